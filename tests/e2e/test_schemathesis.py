"""Property-based run of Schemathesis against /api/openapi.json on a live server.

Every operation of the published document is called with generated inputs (valid and invalid),
as an authenticated staff member of a real Service Account and with a real API key, so the
generated requests reach the handlers rather than stopping at authentication. No input may
produce a 5xx, and every answer must match the document: a documented status code, JSON, and a
body valid against the response schema.
"""

import os
import re
import uuid

import odoo_cli
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

# The document is OpenAPI 3.1 (JSON Schema 2020-12); Schemathesis 3.x supports it behind a flag.
schemathesis.experimental.OPEN_API_3_1.enable()

CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance)
MAX_EXAMPLES = int(os.environ.get("ABS_SCHEMATHESIS_EXAMPLES", "30"))


@pytest.fixture(scope="module")
def fuzz_identity(odoo_server):
    """A branch SA with a staff manager (signed in), an agent and a customer to aim at."""
    unique = uuid.uuid4().hex[:8]
    email, password = f"fuzz.manager.{unique}@example.com", f"fuzz-{unique}-password"
    output = odoo_cli.shell(
        odoo_server.db,
        (
            f"partner = env['res.partner'].create({{'name': 'Fuzz Manager', 'email': {email!r}}})\n"
            "seed = env['ov.serviced_account'].search([('is_seed', '=', True)], limit=1)\n"
            "env.cr.commit()\n"
            "print('ABS_IDS=%s,%s' % (partner.id, seed.id))\n"
        ),
        label="schemathesis-shell",
    )
    match = re.search(r"ABS_IDS=(\d+),(\d+)", output)
    assert match, output[-2000:]
    manager, seed = int(match.group(1)), int(match.group(2))
    base, api_key = odoo_server.base_url, odoo_server.api_key
    created = requests.post(
        f"{base}/api/service-accounts",
        json={
            "name": f"Fuzz {unique}",
            "parent_id": seed,
            "initial_admin_partner_id": manager,
            "initial_admin_password": password,
        },
        headers={"X-API-KEY": api_key},
        timeout=60,
    )
    assert created.status_code == 201, created.text
    sa = created.json()["id"]
    token = requests.post(
        f"{base}/api/auth/token", json={"login": email, "password": password}, timeout=60
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "X-SA-ID": str(sa)}
    enrolled = requests.post(
        f"{base}/api/service-accounts/{sa}/members/enroll",
        json={
            "name": "Fuzz Agent",
            "email": f"fuzz.agent.{unique}@example.com",
            "role_code": "agent",
            "password": password,
        },
        headers=headers,
        timeout=60,
    )
    assert enrolled.status_code == 201, enrolled.text
    customer = requests.post(
        f"{base}/api/contacts", json={"name": "Fuzz Customer"}, headers=headers, timeout=60
    )
    assert customer.status_code == 201, customer.text
    return {"sa": sa, "token": token, "api_key": api_key}


@pytest.fixture(scope="module")
def api_schema(odoo_server, fuzz_identity):
    return schemathesis.from_uri(odoo_server.url("/api/openapi.json"), base_url=odoo_server.base_url)


schema = schemathesis.from_pytest_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_api_never_fails_and_always_answers_as_documented(case, fuzz_identity):
    headers = {"Authorization": f"Bearer {fuzz_identity['token']}", "X-API-KEY": fuzz_identity["api_key"]}
    # Aim at the real SA most of the time; keep the generated value otherwise.
    if case.headers and "X-SA-ID" in case.headers and not str(case.headers["X-SA-ID"]).endswith("7"):
        headers["X-SA-ID"] = str(fuzz_identity["sa"])
    case.call_and_validate(headers=headers, checks=CHECKS, timeout=60)
