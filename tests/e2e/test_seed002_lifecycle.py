"""Seed 002 "Customer Lifecycle", Stages 0-6, walked over HTTP against a live Odoo.

Each stage makes the API call the seed shows, with the request body the seed shows, then reads
the database (plain SQL, as an operator would) and checks the data state the seed prints after
that stage. The stages share one server and run in order; a failing stage stops the walk.
"""

import re
import uuid

import odoo_cli
import pytest
import requests


class Api:
    def __init__(self, base_url):
        self.base_url = base_url

    def call(self, method, path, body=None, token=None, sa=None, api_key=None, expected=200):
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if sa:
            headers["X-SA-ID"] = str(sa)
        if api_key:
            headers["X-API-KEY"] = api_key
        response = requests.request(method, self.base_url + path, json=body, headers=headers, timeout=60)
        assert response.status_code == expected, f"{method} {path}: {response.status_code} {response.text}"
        assert response.headers["Content-Type"].startswith("application/json")
        return response.json()

    def sign_in(self, login, password):
        return self.call("POST", "/api/auth/token", {"login": login, "password": password})["access_token"]


def query(conn, sql, params=()):
    with conn.cursor() as cr:
        cr.execute(sql, params)
        return cr.fetchall()


def one(conn, sql, params=()):
    rows = query(conn, sql, params)
    assert len(rows) == 1, f"expected one row, got {rows!r} for {sql}"
    return rows[0]


@pytest.fixture(scope="module")
def lifecycle(odoo_server):
    """Shared state of the walk: ids and tokens as each stage discovers them."""
    unique = uuid.uuid4().hex[:8]
    conn = odoo_server.connect()
    state = {
        "api": Api(odoo_server.base_url),
        "conn": conn,
        "api_key": odoo_server.api_key,
        "alice_email": f"alice.{unique}@example.com",
        "jean_email": f"jean.{unique}@example.com",
        "kwame_email": f"kwame.{unique}@example.com",
        "marie_email": f"marie.{unique}@client.com",
        "password": f"lifecycle-{unique}",
    }
    alice_email = state["alice_email"]
    code = (
        f"partner = env['res.partner'].create({{'name': 'Alice Mensah', 'email': {alice_email!r}}})\n"
        "org = env['res.partner'].create({'name': 'Togo Field Operations Org', 'is_company': True})\n"
        "env.cr.commit()\n"
        "print('ABS_IDS=%s,%s' % (partner.id, org.id))\n"
    )
    output = odoo_cli.shell(odoo_server.db, code, label="lifecycle-shell")
    match = re.search(r"ABS_IDS=(\d+),(\d+)", output)
    assert match, output[-2000:]
    state["alice_partner"], state["org_partner"] = int(match.group(1)), int(match.group(2))
    yield state
    conn.close()


def test_stage_0ab_global_root_and_company_seed_exist(lifecycle):
    conn = lifecycle["conn"]
    root_id, parent, company = one(
        conn,
        "SELECT id, parent_id, company_id FROM ov_serviced_account "
        "WHERE is_global_root AND name = 'OV Global Root'",
    )
    assert parent is None and company == 1
    seed_id, seed_parent, source, state = one(
        conn,
        """
        SELECT sa.id, sa.parent_id, sa.source_company_id, sa.state FROM ov_serviced_account sa
         WHERE sa.is_seed AND sa.source_company_id = 1""",
    )
    assert (seed_parent, source, state) == (root_id, 1, "active")
    lifecycle["seed_sa"] = seed_id


def test_stage_0c_branch_sa_created_with_api_key(lifecycle):
    api, conn = lifecycle["api"], lifecycle["conn"]
    body = api.call(
        "POST",
        "/api/service-accounts",
        {
            "name": "Togo Field Operations",
            "parent_id": lifecycle["seed_sa"],
            "partner_id": lifecycle["org_partner"],
            "initial_admin_partner_id": lifecycle["alice_partner"],
            "initial_admin_password": lifecycle["password"],
        },
        api_key=lifecycle["api_key"],
        expected=201,
    )
    sa = lifecycle["sa"] = body["id"]
    state, account_class, parent, manager = one(
        conn,
        "SELECT state, account_class, parent_id, sa_manager_id FROM ov_serviced_account WHERE id = %s",
        [sa],
    )
    assert (state, account_class, parent) == ("active", "EXTC", lifecycle["seed_sa"])
    person, role, manager_member, membership_state = one(
        conn,
        """
        SELECT person_partner_id, role_code, manager_member_id, membership_state
          FROM ov_membership WHERE id = %s""",
        [manager],
    )
    assert (person, role, manager_member, membership_state) == (
        lifecycle["alice_partner"],
        "staff",
        None,
        "active",
    )
    lifecycle["alice_token"] = api.sign_in(lifecycle["alice_email"], lifecycle["password"])


def test_stage_0d_agent_enrollment(lifecycle):
    api, conn, sa = lifecycle["api"], lifecycle["conn"], lifecycle["sa"]
    for name, key in (("Jean Kofi", "jean"), ("Kwame Asante", "kwame")):
        body = api.call(
            "POST",
            f"/api/service-accounts/{sa}/members/enroll",
            {
                "name": name,
                "email": lifecycle[f"{key}_email"],
                "role_code": "agent",
                "password": lifecycle["password"],
            },
            token=lifecycle["alice_token"],
            sa=sa,
            expected=201,
        )
        assert (body["role_code"], body["membership_state"]) == ("agent", "active")
        lifecycle[f"{key}_partner"] = body["partner_id"]
        lifecycle[f"{key}_employee"] = body["employee_id"]
        lifecycle[f"{key}_membership"] = body["membership_id"]
        user_id, login = one(
            conn, "SELECT user_id, login FROM abs_employee WHERE id = %s", [body["employee_id"]]
        )
        assert user_id is None, "an agent is a free seat: no res.users"
        assert login == lifecycle[f"{key}_email"]
    memberships = query(
        conn,
        "SELECT person_partner_id, role_code FROM ov_membership "
        "WHERE serviced_account_id = %s ORDER BY id",
        [sa],
    )
    assert memberships == [
        (lifecycle["alice_partner"], "staff"),
        (lifecycle["jean_partner"], "agent"),
        (lifecycle["kwame_partner"], "agent"),
    ]
    lifecycle["jean_token"] = api.sign_in(lifecycle["jean_email"], lifecycle["password"])


def test_stage_1_customer_creation(lifecycle):
    api, conn, sa = lifecycle["api"], lifecycle["conn"], lifecycle["sa"]
    body = api.call(
        "POST",
        "/api/contacts",
        {
            "name": "Marie Dupont",
            "email": lifecycle["marie_email"],
            "phone": "+228 90 000 001",
        },
        token=lifecycle["jean_token"],
        sa=sa,
        expected=201,
    )
    marie = lifecycle["marie"] = body["id"]
    x_sa, x_actor = one(conn, "SELECT x_sa_id, x_actor_id FROM res_partner WHERE id = %s", [marie])
    assert (x_sa, x_actor) == (sa, lifecycle["jean_partner"])
    row = one(
        conn,
        """
        SELECT id, account_id, partner_id, actor_id, state, date_from IS NOT NULL, date_to, assigned_by_id
          FROM ov_sa_customer_assignment WHERE partner_id = %s""",
        [marie],
    )
    assert row[1:] == (sa, marie, lifecycle["jean_partner"], "active", True, None, lifecycle["jean_partner"])
    lifecycle["assignment_1"] = row[0]
    portal = query(conn, "SELECT login, share FROM res_users WHERE partner_id = %s", [marie])
    assert portal == [(lifecycle["marie_email"], True)], "a portal user is created for the customer"


def test_stage_2_visibility(lifecycle):
    api, sa = lifecycle["api"], lifecycle["sa"]
    jean = api.call("GET", "/api/contacts", token=lifecycle["jean_token"], sa=sa)
    assert [item["id"] for item in jean["items"]] == [lifecycle["marie"]]
    kwame_token = api.sign_in(lifecycle["kwame_email"], lifecycle["password"])
    kwame = api.call("GET", "/api/contacts", token=kwame_token, sa=sa)
    assert kwame["total"] == 0, "assigned_plus_unassigned: Kwame does not see Jean's customer"
    api.call("GET", f"/api/contacts/{lifecycle['marie']}", token=kwame_token, sa=sa, expected=404)
    alice = api.call("GET", "/api/contacts", token=lifecycle["alice_token"], sa=sa)
    assert [item["id"] for item in alice["items"]] == [lifecycle["marie"]]
    single = api.call("GET", f"/api/contacts/{lifecycle['marie']}", token=lifecycle["jean_token"], sa=sa)
    assert single["name"] == "Marie Dupont"


def test_stage_3_customer_update(lifecycle):
    api, conn, sa = lifecycle["api"], lifecycle["conn"], lifecycle["sa"]
    api.call(
        "PUT",
        f"/api/contacts/{lifecycle['marie']}",
        {"phone": "+228 90 000 002", "city": "Lomé"},
        token=lifecycle["jean_token"],
        sa=sa,
    )
    assert one(conn, "SELECT phone, city FROM res_partner WHERE id = %s", [lifecycle["marie"]]) == (
        "+228 90 000 002",
        "Lomé",
    )


def test_stage_4_actor_reassignment(lifecycle):
    api, conn, sa = lifecycle["api"], lifecycle["conn"], lifecycle["sa"]
    body = api.call(
        "POST",
        f"/api/contacts/{lifecycle['marie']}/assign",
        {"employee_id": lifecycle["kwame_employee"]},
        token=lifecycle["alice_token"],
        sa=sa,
    )
    assert body["previous_assignment_id"] == lifecycle["assignment_1"]
    employee, actor = one(
        conn, "SELECT x_assigned_employee_id, x_actor_id FROM res_partner WHERE id = %s", [lifecycle["marie"]]
    )
    assert (employee, actor) == (lifecycle["kwame_employee"], lifecycle["kwame_partner"])
    rows = query(
        conn,
        """SELECT id, actor_id, state, date_to IS NOT NULL, assigned_by_id
                            FROM ov_sa_customer_assignment WHERE partner_id = %s ORDER BY id""",
        [lifecycle["marie"]],
    )
    assert rows == [
        (lifecycle["assignment_1"], lifecycle["jean_partner"], "expired", True, lifecycle["jean_partner"]),
        (body["assignment_id"], lifecycle["kwame_partner"], "active", False, lifecycle["alice_partner"]),
    ]
    lifecycle["assignment_2"] = body["assignment_id"]


def test_stage_5_agent_membership_revocation(lifecycle):
    api, conn, sa = lifecycle["api"], lifecycle["conn"], lifecycle["sa"]
    kwame_token = api.sign_in(lifecycle["kwame_email"], lifecycle["password"])
    body = api.call(
        "DELETE",
        f"/api/service-accounts/{sa}/members/{lifecycle['kwame_membership']}",
        token=lifecycle["alice_token"],
        sa=sa,
    )
    assert body == {
        "membership_id": lifecycle["kwame_membership"],
        "membership_state": "revoked",
        "unassigned_customers": 1,
    }
    assert one(conn, "SELECT x_sa_id, x_actor_id FROM res_partner WHERE id = %s", [lifecycle["marie"]]) == (
        sa,
        None,
    )
    assert one(
        conn,
        "SELECT account_id, actor_id, state FROM ov_sa_customer_assignment WHERE id = %s",
        [lifecycle["assignment_2"]],
    ) == (sa, None, "active")
    # the revoked agent's very next request is refused
    api.call("GET", "/api/contacts", token=kwame_token, sa=sa, expected=403)
    # Marie now appears in any agent's assigned_plus_unassigned list
    jean = api.call("GET", "/api/contacts", token=lifecycle["jean_token"], sa=sa)
    assert lifecycle["marie"] in [item["id"] for item in jean["items"]]


def test_stage_6_customer_archival(lifecycle):
    api, conn, sa = lifecycle["api"], lifecycle["conn"], lifecycle["sa"]
    api.call("DELETE", f"/api/contacts/{lifecycle['marie']}", token=lifecycle["alice_token"], sa=sa)
    assert one(conn, "SELECT active FROM res_partner WHERE id = %s", [lifecycle["marie"]]) == (False,)
    assert query(conn, "SELECT active FROM res_users WHERE partner_id = %s", [lifecycle["marie"]]) == [
        (False,)
    ]
    assert one(
        conn, "SELECT state FROM ov_sa_customer_assignment WHERE id = %s", [lifecycle["assignment_2"]]
    ) == ("active",)
    listed = api.call("GET", "/api/contacts", token=lifecycle["alice_token"], sa=sa)
    assert lifecycle["marie"] not in [item["id"] for item in listed["items"]]
