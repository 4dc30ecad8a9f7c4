"""Event delivery by a real Odoo server to a real Mosquitto, across failures.

Changes are made by separate ``odoo-bin shell`` processes using the server's
own configuration (same database, same broker); the server's retry cron is
what must publish what those processes could not.
"""

import re
import sys
import time
import uuid
from pathlib import Path

import odoo_cli
from services import MqttSubscriber

REPO = Path(__file__).resolve().parents[2]
CRON_WAIT = 150  # the relay cron runs every minute; a restarted server runs it at once

SETUP = """
SA = env["ov.serviced_account"]
seed = SA._get_company_seed(env.company)
manager = env["res.partner"].create({{"name": "Relay Manager {tag}",
                                     "email": "relay.manager.{tag}@example.com"}})
branch = SA._abs_create_branch({{"name": "Relay Branch {tag}", "parent_id": seed.id}}, manager)
customer = env["res.partner"]._abs_create_governed_customer(
    branch, {{"name": "Relay Customer {tag}", "email": "relay.customer.{tag}@example.com"}}, manager,
    portal_access=False)
print("ABS_IDS=%s,%s,%s" % (branch.id, manager.id, customer.id), flush=True)
"""


def events_module():
    sys.path.insert(0, str(REPO / "abs_connector"))
    from governance import events

    return events


def shell(server, code, label):
    """Run ``code`` in an odoo-bin shell configured exactly like the server."""
    return odoo_cli.odoo_bin(
        server.db, "-c", str(server.config), "--no-http", label=label, stdin=code, subcommand="shell"
    )


def outbox_states(server, subject_id):
    with server.connect() as conn, conn.cursor() as cr:
        cr.execute(
            "SELECT state FROM abs_event_outbox "
            "WHERE subject_model = 'res.partner' AND subject_id = %s ORDER BY id",
            [subject_id],
        )
        return [row[0] for row in cr.fetchall()]


def test_event_committed_by_a_process_that_dies_before_publishing_arrives_after_restart(odoo_server):
    tag = uuid.uuid4().hex[:8]
    odoo_server.stop()
    with MqttSubscriber(odoo_server.mqtt_port, f"abs/{odoo_server.db}/#") as subscriber:
        try:
            # The process commits, then dies before any after-commit work: the
            # first post-commit callback (registered before the change) exits.
            code = (
                "import os\nenv.cr.postcommit.add(lambda: os._exit(0))\n"
                + SETUP.format(tag=tag)
                + "env.cr.commit()\nprint('NOT REACHED', flush=True)\n"
            )
            output = shell(odoo_server, code, label=f"crash-{tag}")
            assert "NOT REACHED" not in output
            customer_id = int(re.search(r"ABS_IDS=\d+,\d+,(\d+)", output).group(1))
            assert outbox_states(odoo_server, customer_id) == ["pending"], "committed, not published"
        finally:
            odoo_server.start()
        deadline = time.monotonic() + CRON_WAIT
        while time.monotonic() < deadline and not subscriber.messages:
            time.sleep(1)
        received = [p for _t, p in subscriber.settle(quiet=1) if p["subject"]["id"] == customer_id]
    assert [p["type"] for p in received] == ["customer.created"]
    assert events_module().schema_errors(received[0]) == []
    assert outbox_states(odoo_server, customer_id) == ["sent"]


def test_five_changes_during_a_broker_outage_arrive_in_order_exactly_once(odoo_server, mqtt_broker):
    tag = uuid.uuid4().hex[:8]
    output = shell(odoo_server, SETUP.format(tag=tag) + "env.cr.commit()\n", label=f"outage-setup-{tag}")
    branch_id, manager_id, customer_id = map(int, re.search(r"ABS_IDS=(\d+),(\d+),(\d+)", output).groups())
    mqtt_broker.stop()
    try:
        for n in range(5):
            shell(
                odoo_server,
                (
                    f"partner = env['res.partner'].browse({customer_id})\n"
                    f"partner._abs_update_governed_customer({{'phone': '+228 90 000 20{n}'}}, "
                    f"env['ov.serviced_account'].browse({branch_id}), "
                    f"env['res.partner'].browse({manager_id}))\n"
                    "env.cr.commit()\n"
                ),
                label=f"outage-change-{tag}-{n}",
            )
        assert outbox_states(odoo_server, customer_id)[-5:] == ["pending"] * 5
    finally:
        mqtt_broker.start()
    topic_filter = f"abs/{odoo_server.db}/sa/{branch_id}/customer.updated"
    with MqttSubscriber(odoo_server.mqtt_port, topic_filter) as sub:
        deadline = time.monotonic() + CRON_WAIT
        while time.monotonic() < deadline and len(sub.messages) < 5:
            time.sleep(1)
        received = [p for _t, p in sub.settle(quiet=2) if p["subject"]["id"] == customer_id]
    assert [p["data"]["changed"]["phone"] for p in received] == [f"+228 90 000 20{n}" for n in range(5)]
    assert len({p["id"] for p in received}) == 5
    for payload in received:
        assert events_module().schema_errors(payload) == []
