"""Delta sync against a live server, where every step is its own committed transaction.

Property: after any sequence of creates, updates, reassignments, archives and unarchives, policy
and role changes, suspensions, reinstatements and revocations (with re-enrolment), the replica
each caller keeps with ``GET /api/contacts/changes`` equals what ``GET /api/contacts`` answers
that caller, field for field; a caller the list refuses is refused by the sync too.

Unlike the Odoo-runner suite (one test transaction), here every request commits, so every delta
starts from a horizon that really moved: a change a delta fails to bring is a failure here.
Operations without an API endpoint (unarchive, policy, role, suspension) are made in SQL, as an
operator or a migration would: the change log is written by the database, whatever the door.
"""

import re
import uuid

import odoo_cli
import pytest
import requests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

POLICIES = [None, "sa_wide", "assigned_plus_unassigned", "assigned_only"]
CITIES = ["Kara", "Sokodé", "Kpalimé", "Aného", "Dapaong"]


class Caller:
    def __init__(self, base_url, sa_id, email, password):
        self.base_url, self.sa_id, self.email, self.password = base_url, sa_id, email, password
        self.token = None
        self.items, self.cursor = {}, None
        self.sign_in()

    def sign_in(self):
        response = requests.post(
            f"{self.base_url}/api/auth/token",
            json={"login": self.email, "password": self.password},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        self.token = response.json()["access_token"]

    def call(self, method, path, body=None, params=None):
        headers = {"Authorization": f"Bearer {self.token}", "X-SA-ID": str(self.sa_id)}
        response = requests.request(
            method, self.base_url + path, json=body, params=params, headers=headers, timeout=60
        )
        return response.status_code, response.json()

    def listed(self):
        items, params = {}, {"limit": 200}
        while True:
            status, body = self.call("GET", "/api/contacts", params=params)
            if status != 200:
                return status, None
            items.update((item["id"], item) for item in body["items"])
            if body["next_cursor"] is None:
                return 200, items
            params = {"limit": 200, "cursor": body["next_cursor"]}

    def pull(self):
        """Every page from the cursor; a 410 drops the copy and starts from a snapshot."""
        while True:
            params = {"limit": 3}
            if self.cursor:
                params["cursor"] = self.cursor
            status, body = self.call("GET", "/api/contacts/changes", params=params)
            if status == 410:
                assert body["error"]["code"] == "cursor_reset", body
                self.items, self.cursor = {}, None
                continue
            if status != 200:
                return status
            for item in body["upserts"]:
                self.items[item["id"]] = item
            for removal in body["removals"]:
                self.items.pop(removal["id"], None)
            self.cursor = body["next_cursor"]
            if not body["has_more"]:
                return 200


@pytest.fixture(scope="module")
def world(odoo_server):
    unique = uuid.uuid4().hex[:8]
    password = f"sync-{unique}-password"
    staff_email = f"sync.staff.{unique}@example.com"
    output = odoo_cli.shell(
        odoo_server.db,
        f"p = env['res.partner'].create({{'name': 'Sync Staff', 'email': {staff_email!r}}})\n"
        "env.cr.commit()\nprint('ABS_ID=%s' % p.id)\n",
        label="sync-property-shell",
    )
    staff_partner = int(re.search(r"ABS_ID=(\d+)", output).group(1))
    conn = odoo_server.connect()
    conn.autocommit = True
    with conn.cursor() as cr:
        cr.execute("SELECT id FROM ov_serviced_account WHERE is_seed ORDER BY id LIMIT 1")
        parent = cr.fetchone()[0]
    response = requests.post(
        odoo_server.url("/api/service-accounts"),
        json={
            "name": f"Sync Property {unique}",
            "parent_id": parent,
            "initial_admin_partner_id": staff_partner,
            "initial_admin_password": password,
        },
        headers={"X-API-KEY": odoo_server.api_key},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    sa_id = response.json()["id"]
    staff = Caller(odoo_server.base_url, sa_id, staff_email, password)
    agents = []
    for n in (1, 2):
        email = f"sync.agent{n}.{unique}@example.com"
        enrolled = enroll(staff, f"Sync Agent {n}", email, password)
        agent = Caller(odoo_server.base_url, sa_id, email, password)
        agent.membership_id, agent.employee_id = enrolled["membership_id"], enrolled["employee_id"]
        agents.append(agent)
    state = {"sa_id": sa_id, "staff": staff, "agents": agents, "customers": [], "conn": conn, "seq": 0}
    yield state
    conn.close()


def enroll(staff, name, email, password=None):
    """Enroll an agent; a password only the first time (afterwards it is the person's own)."""
    body = {"name": name, "email": email, "role_code": "agent"}
    if password:
        body["password"] = password
    status, body = staff.call("POST", f"/api/service-accounts/{staff.sa_id}/members/enroll", body)
    assert status == 201, body
    return body


def sql(world, statement, params):
    with world["conn"].cursor() as cr:
        cr.execute(statement, params)


# ---- operations: each one commits on its own; a refused one changes nothing ----


def op_create(world, data):
    world["seq"] += 1
    creator = data.draw(st.sampled_from([world["staff"], *world["agents"]]), label="creator")
    status, body = creator.call(
        "POST", "/api/contacts", {"name": f"Sync Customer {world['seq']}", "city": "Lomé"}
    )
    if status == 201:
        world["customers"].append(body["id"])


def op_update(world, data, customer):
    city = data.draw(st.sampled_from(CITIES), label="city")
    world["staff"].call("PUT", f"/api/contacts/{customer}", {"city": city})


def op_reassign(world, data, customer):
    agent = data.draw(st.sampled_from(world["agents"]), label="to")
    world["staff"].call("POST", f"/api/contacts/{customer}/assign", {"employee_id": agent.employee_id})


def op_archive(world, _data, customer):
    world["staff"].call("DELETE", f"/api/contacts/{customer}")


def op_unarchive(world, _data, customer):
    sql(world, "UPDATE res_partner SET active = true WHERE id = %s", [customer])


def op_policy(world, data):
    agent = data.draw(st.sampled_from(world["agents"]), label="agent")
    policy = data.draw(st.sampled_from(POLICIES), label="policy")
    sql(world, "UPDATE ov_membership SET scope_policy = %s WHERE id = %s", [policy, agent.membership_id])


def op_role(world, data):
    agent = data.draw(st.sampled_from(world["agents"]), label="agent")
    role = data.draw(st.sampled_from(["agent", "viewer"]), label="role")
    sql(world, "UPDATE ov_membership SET role_code = %s WHERE id = %s", [role, agent.membership_id])


def op_suspend(world, data):
    agent = data.draw(st.sampled_from(world["agents"]), label="agent")
    state = data.draw(st.sampled_from(["suspended", "active"]), label="state")
    sql(
        world,
        "UPDATE ov_membership SET membership_state = %s WHERE id = %s AND membership_state <> 'revoked'",
        [state, agent.membership_id],
    )


def op_revoke(world, data):
    """Revoke through the API (customers released), then enroll the person again."""
    agent = data.draw(st.sampled_from(world["agents"]), label="agent")
    staff = world["staff"]
    status, body = staff.call("DELETE", f"/api/service-accounts/{staff.sa_id}/members/{agent.membership_id}")
    assert status in (200, 409), body
    enrolled = enroll(staff, "Sync Agent again", agent.email)
    agent.membership_id, agent.employee_id = enrolled["membership_id"], enrolled["employee_id"]


ON_CUSTOMER = {"update": op_update, "reassign": op_reassign, "archive": op_archive, "unarchive": op_unarchive}
ON_WORLD = {
    "create": op_create,
    "policy": op_policy,
    "role": op_role,
    "suspend": op_suspend,
    "revoke": op_revoke,
}


def apply(world, data):
    name = data.draw(st.sampled_from(sorted([*ON_CUSTOMER, *ON_WORLD])), label="operation")
    if name in ON_WORLD:
        ON_WORLD[name](world, data)
    elif world["customers"]:
        ON_CUSTOMER[name](world, data, data.draw(st.sampled_from(world["customers"]), label="customer"))


def check(world):
    for caller in [world["staff"], *world["agents"]]:
        status, listed = caller.listed()
        sync_status = caller.pull()
        assert sync_status == status, f"{caller.email}: list answered {status}, sync {sync_status}"
        if status == 200:
            assert caller.items == listed, f"the replica of {caller.email} differs from its list"


@settings(
    max_examples=4,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_replica_equals_its_callers_list_after_every_committed_step(world, data):
    for _step in range(data.draw(st.integers(min_value=3, max_value=7), label="steps")):
        apply(world, data)
        check(world)
