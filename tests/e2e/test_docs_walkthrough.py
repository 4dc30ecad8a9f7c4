"""The agent pages, executed against a live server.

Every ```bash block of docs/agent/start-here.md, then of docs/agent/field-sales.md,
runs, in order, in one bash shell with ``set -euo pipefail``, against the
session's Odoo server and MQTT broker. Then the test checks, through the API and in the database, that the
walkthrough did what the page says: the customer exists in the SA with the
updated fields, is assigned to the agent, and the events the page reads are
valid against their schemas. If the API drifts from the page, this fails.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import odoo_cli
import pytest
import requests
from odoo_server import OdooServer

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "agent" / "start-here.md"
FIELD_SALES_PAGE = REPO / "docs" / "agent" / "field-sales.md"
# A block preceded by ``<!-- needs: TOOL -->`` needs that program on the server's machine.
FENCE = re.compile(
    r"^(?:<!-- needs: (?P<needs>[\w-]+) -->\n)?```bash[ \t]*\n(?P<body>.*?)^```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)

# Variables the page's blocks set, written out after the last block so the test can check them.
RESULT_VARIABLES = (
    "SA",
    "CUSTOMER_ID",
    "TOKEN",
    "MANAGER_TOKEN",
    "PRODUCT_ID",
    "ORDER_ID",
    "INVOICE_ID",
    "COUNT",
)

# Debian's wkhtmltopdf, which ./dev installs; Odoo finds it on PATH as this test does.
PDF_RENDERER = "wkhtmltopdf"
NO_PDF_RENDERER = (
    "NO WKHTMLTOPDF ON THIS MACHINE: the quotation mail and invoice PDF examples of "
    "docs/agent/field-sales.md were not run (install Debian's wkhtmltopdf, as ./dev does as root)"
)
CUSTOMER_EMAIL = "marie@client.com"


def bash_blocks(markdown, unavailable=()):
    """The ```bash blocks of a page, in order (other fences are sample output), without those
    that need a program in ``unavailable``."""
    return [
        match.group("body") for match in FENCE.finditer(markdown) if match.group("needs") not in unavailable
    ]


def renders_pdf():
    return shutil.which(PDF_RENDERER) is not None


def walkthrough_script(blocks, result_file):
    trailer = "\n".join(f'printf "%s=%s\\n" {name} "${name}" >> "{result_file}"' for name in RESULT_VARIABLES)
    body = "\n\n".join(f"# --- block {n} ---\n{block}" for n, block in enumerate(blocks, 1))
    return f"set -euo pipefail\n\n{body}\n\n{trailer}\n"


def _create_manager_partner(db, email):
    """A person partner with an e-mail, the way a back-office user would create one."""
    code = (
        f"partner = env['res.partner'].create({{'name': 'Alice Mensah', 'email': {email!r}}})\n"
        "env.cr.commit()\n"
        "print('ABS_PARTNER_ID=%s' % partner.id)\n"
    )
    output = odoo_cli.shell(db, code, label="docs-walkthrough-shell")
    match = re.search(r"ABS_PARTNER_ID=(\d+)", output)
    assert match, f"the shell did not create the manager partner:\n{output[-2000:]}"
    return int(match.group(1))


def _create_catalogue_product(db):
    """The product the field sales page looks up, as a back-office user would create it."""
    code = (
        "product = env['product.product'].create("
        "{'name': 'Solar Lamp', 'default_code': 'SL-02', 'list_price': 40.0, 'sale_ok': True})\n"
        "env.cr.commit()\n"
        "print('ABS_PRODUCT_ID=%s' % product.id)\n"
    )
    output = odoo_cli.shell(db, code, label="docs-walkthrough-product")
    match = re.search(r"ABS_PRODUCT_ID=(\d+)", output)
    assert match, f"the shell did not create the product:\n{output[-2000:]}"
    return int(match.group(1))


def _main_company_seed(conn):
    with conn.cursor() as cr:
        cr.execute("""
            SELECT sa.id FROM ov_serviced_account sa
            JOIN ir_model_data imd ON imd.model = 'res.company' AND imd.res_id = sa.source_company_id
            WHERE sa.is_seed AND imd.module = 'base' AND imd.name = 'main_company'
        """)
        row = cr.fetchone()
    assert row, "the main company has no seed SA"
    return row[0]


def _load_event_validator():
    sys.path.insert(0, str(REPO / "abs_connector"))
    from governance import events

    return events


@pytest.fixture(scope="module")
def walkthrough(odoo_server, tmp_path_factory):
    missing = [tool for tool in ("bash", "curl", "jq", "mosquitto_sub") if not shutil.which(tool)]
    if missing:
        pytest.fail(f"the walkthrough needs {', '.join(missing)} on PATH", pytrace=False)

    unique = uuid.uuid4().hex[:8]
    manager_email = f"alice.{unique}@example.com"
    conn = odoo_server.connect()
    try:
        parent_sa = _main_company_seed(conn)
    finally:
        conn.close()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path_factory.getbasetemp()),
        "BASE": odoo_server.base_url,
        "AGENT_EMAIL": f"jean.{unique}@example.com",
        "AGENT_PASSWORD": f"walkthrough-{unique}-password",
        "MQTT_HOST": "127.0.0.1",
        "MQTT_PORT": str(odoo_server.mqtt_port),
        "MQTT_PREFIX": f"abs/{odoo_server.db}",
        "ABS_API_KEY": odoo_server.api_key,
        "PARENT_SA_ID": str(parent_sa),
        "MANAGER_PARTNER_ID": str(_create_manager_partner(odoo_server.db, manager_email)),
        "MANAGER_EMAIL": manager_email,
        "MANAGER_PASSWORD": f"manager-{unique}-password",
    }
    workdir = tmp_path_factory.mktemp("walkthrough")
    result_file = workdir / "result.env"
    product_id = _create_catalogue_product(odoo_server.db)
    blocks = bash_blocks(PAGE.read_text(encoding="utf-8"))
    blocks += bash_blocks(
        FIELD_SALES_PAGE.read_text(encoding="utf-8"), unavailable=() if renders_pdf() else (PDF_RENDERER,)
    )
    script = walkthrough_script(blocks, result_file)
    (workdir / "walkthrough.sh").write_text(script)
    completed = subprocess.run(
        ["bash", str(workdir / "walkthrough.sh")],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, (
        f"docs/agent/start-here.md failed against the live server (exit {completed.returncode}).\n"
        f"script: {workdir / 'walkthrough.sh'}\nstdout:\n{completed.stdout[-4000:]}\n"
        f"stderr:\n{completed.stderr[-4000:]}\nserver log: {odoo_server.log}"
    )
    results = dict(line.split("=", 1) for line in result_file.read_text().splitlines())
    return {
        "env": env,
        "results": results,
        "workdir": workdir,
        "stdout": completed.stdout,
        "product_id": product_id,
    }


def test_walkthrough_page_has_every_task_as_bash_blocks():
    text = PAGE.read_text(encoding="utf-8")
    blocks = "\n".join(bash_blocks(text))
    for call in (
        "/api/auth/token",
        "/api/me/service-accounts",
        "/api/contacts",
        "-X PUT",
        "mosquitto_sub",
        "/api/auth/refresh",
        "/api/contacts/changes",
        "Idempotency-Key",
    ):
        assert call in blocks, f"the walkthrough no longer executes {call}"


def test_walkthrough_customer_exists_with_updated_fields(odoo_server, walkthrough):
    results = walkthrough["results"]
    answer = requests.get(
        odoo_server.url(f"/api/contacts/{results['CUSTOMER_ID']}"),
        headers={"Authorization": f"Bearer {results['TOKEN']}", "X-SA-ID": results["SA"]},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    contact = answer.json()
    assert contact["name"] == "Marie Dupont"
    assert contact["phone"] == "+228 90 000 002"
    assert contact["city"] == "Lomé"
    assert contact["sa_id"] == int(results["SA"])


def test_walkthrough_customer_is_assigned_to_the_agent_in_the_new_branch(odoo_server, walkthrough):
    results = walkthrough["results"]
    conn = odoo_server.connect()
    try:
        with conn.cursor() as cr:
            cr.execute(
                """
                SELECT sa.parent_id, sa.name, a.state, e.login
                FROM ov_sa_customer_assignment a
                JOIN ov_serviced_account sa ON sa.id = a.account_id
                JOIN abs_employee e ON e.partner_id = a.actor_id
                WHERE a.partner_id = %s AND a.account_id = %s
            """,
                [int(results["CUSTOMER_ID"]), int(results["SA"])],
            )
            rows = cr.fetchall()
    finally:
        conn.close()
    assert len(rows) == 1, rows
    parent_id, name, state, login = rows[0]
    assert parent_id == int(walkthrough["env"]["PARENT_SA_ID"])
    assert name == "Togo Field Operations"
    assert state == "active"
    assert login == walkthrough["env"]["AGENT_EMAIL"]


def test_walkthrough_reads_valid_created_and_updated_events(walkthrough):
    events = _load_event_validator()
    customer_id = int(walkthrough["results"]["CUSTOMER_ID"])
    prefix = walkthrough["env"]["MQTT_PREFIX"]
    received = []
    for line in (walkthrough["workdir"] / "events.txt").read_text().splitlines():
        topic, payload = line.split(" ", 1)
        envelope = json.loads(payload)
        events.validate_envelope(envelope)
        assert topic == f"{prefix}/sa/{walkthrough['results']['SA']}/{envelope['type']}"
        assert envelope["subject"] == {"model": "res.partner", "id": customer_id}
        received.append(envelope["type"])
    assert received == ["customer.created", "customer.updated"]


def test_walkthrough_offline_replica_equals_the_agents_list(odoo_server, walkthrough):
    results = walkthrough["results"]
    replica = json.loads((walkthrough["workdir"] / "replica.json").read_text())
    answer = requests.get(
        odoo_server.url("/api/contacts"),
        params={"limit": "200"},
        headers={"Authorization": f"Bearer {results['TOKEN']}", "X-SA-ID": results["SA"]},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    listed = {str(item["id"]): item for item in answer.json()["items"]}
    assert replica == listed
    assert sorted(item["name"] for item in replica.values()) == ["Kossi Agbeko", "Marie Dupont"]


def test_field_sales_page_has_every_task_as_bash_blocks():
    blocks = "\n".join(bash_blocks(FIELD_SALES_PAGE.read_text(encoding="utf-8")))
    for call in (
        "/api/products",
        "cursor=",
        "/api/orders",
        "-X PUT",
        "/confirm",
        "/invoice",
        "/api/invoices/",
    ):
        assert call in blocks, f"the field sales page no longer executes {call}"


def test_walkthrough_takes_an_order_confirms_and_invoices_it(odoo_server, walkthrough):
    results = walkthrough["results"]
    assert int(results["PRODUCT_ID"]) == walkthrough["product_id"]
    assert int(results["COUNT"]) >= 1
    conn = odoo_server.connect()
    try:
        with conn.cursor() as cr:
            cr.execute(
                """
                SELECT o.state, o.partner_id, o.x_sa_id, e.login, l.product_uom_qty, m.state, m.x_sa_id
                FROM sale_order o
                JOIN abs_employee e ON e.partner_id = o.x_actor_id
                JOIN sale_order_line l ON l.order_id = o.id
                JOIN account_move m ON m.id = %s
                WHERE o.id = %s
            """,
                [int(results["INVOICE_ID"]), int(results["ORDER_ID"])],
            )
            rows = cr.fetchall()
    finally:
        conn.close()
    sa = int(results["SA"])
    assert rows == [
        ("sale", int(results["CUSTOMER_ID"]), sa, walkthrough["env"]["AGENT_EMAIL"], 3.0, "draft", sa)
    ]


def test_walkthrough_reads_valid_order_events(walkthrough):
    events = _load_event_validator()
    prefix = walkthrough["env"]["MQTT_PREFIX"]
    sa = walkthrough["results"]["SA"]
    received = []
    for line in (walkthrough["workdir"] / "order-events.txt").read_text().splitlines():
        topic, payload = line.split(" ", 1)
        envelope = json.loads(payload)
        events.validate_envelope(envelope)
        assert topic == f"{prefix}/sa/{sa}/{envelope['type']}"
        received.append((envelope["type"], envelope["subject"]["model"]))
    assert received == [
        ("order.created", "sale.order"),
        ("order.confirmed", "sale.order"),
        ("invoice.created", "account.move"),
    ]


def test_field_sales_page_runs_the_quotation_mail_and_invoice_pdf_examples():
    markdown = FIELD_SALES_PAGE.read_text(encoding="utf-8")
    needing_pdf = [
        block for block in bash_blocks(markdown) if block not in bash_blocks(markdown, (PDF_RENDERER,))
    ]
    assert len(needing_pdf) == 2
    assert "/send" in needing_pdf[0]
    assert "/pdf" in needing_pdf[1]


def _order_name(odoo_server, order_id):
    conn = odoo_server.connect()
    try:
        with conn.cursor() as cr:
            cr.execute("SELECT name FROM sale_order WHERE id = %s", [order_id])
            return cr.fetchone()[0]
    finally:
        conn.close()


def _pdf_attachments(message):
    return [part for part in message.iter_attachments() if part.get_content_type() == "application/pdf"]


def _wait_for_mail(smtp_sink, predicate, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = [message for message in smtp_sink.messages_to(CUSTOMER_EMAIL) if predicate(message)]
        if found:
            return found
        time.sleep(0.2)
    return []


def assert_real_pdf(content):
    assert content.startswith(b"%PDF-"), content[:40]
    assert content.rstrip().endswith(b"%%EOF")
    assert 5_000 < len(content) < 5_000_000, len(content)


def test_walkthrough_sends_the_quotation_mail_with_its_pdf_to_the_customer(
    odoo_server, walkthrough, smtp_sink
):
    if not renders_pdf():
        pytest.skip(NO_PDF_RENDERER)
    order_name = _order_name(odoo_server, int(walkthrough["results"]["ORDER_ID"]))
    mails = _wait_for_mail(
        smtp_sink,
        lambda message: any(order_name in (part.get_filename() or "") for part in _pdf_attachments(message)),
    )
    assert len(mails) == 1, f"no single quotation mail with {order_name}'s PDF reached {CUSTOMER_EMAIL}"
    mail = mails[0]
    assert walkthrough["env"]["AGENT_EMAIL"] in mail["From"], mail["From"]
    assert order_name in mail["Subject"]
    (pdf,) = _pdf_attachments(mail)
    assert_real_pdf(pdf.get_content())


def test_walkthrough_downloads_the_invoice_as_a_real_pdf(odoo_server, walkthrough):
    if not renders_pdf():
        pytest.skip(NO_PDF_RENDERER)
    assert "application/pdf, " in walkthrough["stdout"]
    assert_real_pdf((walkthrough["workdir"] / "invoice.pdf").read_bytes())
    results = walkthrough["results"]
    answer = requests.get(
        odoo_server.url(f"/api/invoices/{results['INVOICE_ID']}/pdf"),
        headers={"Authorization": f"Bearer {results['MANAGER_TOKEN']}", "X-SA-ID": results["SA"]},
        timeout=120,
    )
    assert answer.status_code == 200, answer.text[:500]
    assert answer.headers["Content-Type"] == "application/pdf"
    assert ".pdf" in answer.headers["Content-Disposition"]
    assert_real_pdf(answer.content)


@pytest.fixture(scope="module")
def server_without_pdf_renderer(odoo_server, walkthrough, tmp_path_factory):
    """A second server on the walkthrough's database whose PATH has no wkhtmltopdf, as on a
    machine where it is not installed."""
    empty = tmp_path_factory.mktemp("path-without-wkhtmltopdf")
    server = OdooServer(
        odoo_server.db,
        mqtt_port=odoo_server.mqtt_port,
        name=f"{odoo_server.db}-no-pdf",
        env={**os.environ, "PATH": str(empty)},
    )
    server.start()
    yield server
    server.stop()


def test_server_without_wkhtmltopdf_answers_503_for_the_invoice_pdf(walkthrough, server_without_pdf_renderer):
    results = walkthrough["results"]
    answer = requests.get(
        server_without_pdf_renderer.url(f"/api/invoices/{results['INVOICE_ID']}/pdf"),
        headers={"Authorization": f"Bearer {results['MANAGER_TOKEN']}", "X-SA-ID": results["SA"]},
        timeout=60,
    )
    assert answer.status_code == 503, answer.text[:500]
    assert answer.json()["error"]["code"] == "service_unavailable"
    assert "wkhtmltopdf" in answer.json()["error"]["message"]


def test_server_without_wkhtmltopdf_answers_503_to_send_and_the_quotation_stays_an_unsent_draft(
    odoo_server, walkthrough, server_without_pdf_renderer, smtp_sink
):
    results = walkthrough["results"]
    agent = {"Authorization": f"Bearer {results['TOKEN']}", "X-SA-ID": results["SA"]}
    created = requests.post(
        server_without_pdf_renderer.url("/api/orders"),
        json={
            "contact_id": int(results["CUSTOMER_ID"]),
            "lines": [{"product_id": int(results["PRODUCT_ID"]), "quantity": 1}],
        },
        headers=agent,
        timeout=60,
    )
    assert created.status_code == 201, created.text
    order = created.json()
    mails_before = len(smtp_sink.messages_to(CUSTOMER_EMAIL))

    answer = requests.post(
        server_without_pdf_renderer.url(f"/api/orders/{order['id']}/send"), headers=agent, timeout=60
    )

    assert answer.status_code == 503, answer.text[:500]
    assert answer.json()["error"]["code"] == "service_unavailable"
    conn = odoo_server.connect()
    try:
        with conn.cursor() as cr:
            cr.execute("SELECT state FROM sale_order WHERE id = %s", [order["id"]])
            assert cr.fetchone() == ("draft",)
            cr.execute(
                "SELECT count(*) FROM mail_mail m JOIN mail_message msg ON msg.id = m.mail_message_id "
                "WHERE msg.model = 'sale.order' AND msg.res_id = %s",
                [order["id"]],
            )
            assert cr.fetchone() == (0,)
    finally:
        conn.close()
    time.sleep(1)
    assert len(smtp_sink.messages_to(CUSTOMER_EMAIL)) == mails_before
