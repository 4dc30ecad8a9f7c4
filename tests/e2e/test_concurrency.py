"""Simultaneous requests against a live, multi-threaded Odoo: real transactions racing.

Each test fires requests from several threads released together by a barrier, then reads the
database as an operator would. Odoo's own runner cannot do this: its HTTP tests share one
transaction.
"""

import re
import threading
import time
import uuid

import odoo_cli
import pytest
import requests

ERROR_KEYS = {"code", "message", "details"}


class Client:
    def __init__(self, base_url):
        self.base_url = base_url

    def request(self, method, path, body=None, token=None, sa=None, api_key=None, headers=None):
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        if sa:
            all_headers["X-SA-ID"] = str(sa)
        if api_key:
            all_headers["X-API-KEY"] = api_key
        response = requests.request(method, self.base_url + path, json=body, headers=all_headers, timeout=120)
        return response.status_code, response.json()

    def ok(self, method, path, body=None, expected=200, **kwargs):
        status, data = self.request(method, path, body, **kwargs)
        assert status == expected, f"{method} {path}: {status} {data}"
        return data

    def sign_in(self, login, password):
        return self.ok("POST", "/api/auth/token", {"login": login, "password": password})["access_token"]


def simultaneously(*calls):
    """Run the calls in threads released at the same instant; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:  # reported by the assertion below
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert all(not isinstance(result, Exception) for result in results), results
    return results


def assert_error_shape(body):
    assert set(body) == {"error"} and set(body["error"]) == ERROR_KEYS, body


@pytest.fixture(scope="module")
def team(odoo_server):
    """A branch SA with a staff manager and two agents, all signed in."""
    client = Client(odoo_server.base_url)
    unique = uuid.uuid4().hex[:8]
    password = f"race-{unique}"
    manager_email = f"race.manager.{unique}@example.com"
    output = odoo_cli.shell(
        odoo_server.db,
        f"p = env['res.partner'].create({{'name': 'Race Manager', 'email': {manager_email!r}}})\n"
        "seed = env['ov.serviced_account'].search([('is_seed', '=', True)], limit=1)\n"
        "env.cr.commit()\n"
        "print('ABS_IDS=%s,%s' % (p.id, seed.id))\n",
        label="race-shell",
    )
    match = re.search(r"ABS_IDS=(\d+),(\d+)", output)
    assert match, output[-2000:]
    manager_partner, seed = int(match.group(1)), int(match.group(2))
    sa = client.ok(
        "POST",
        "/api/service-accounts",
        {
            "name": f"Race Branch {unique}",
            "parent_id": seed,
            "initial_admin_partner_id": manager_partner,
            "initial_admin_password": password,
        },
        api_key=odoo_server.api_key,
        expected=201,
    )["id"]
    manager = client.sign_in(manager_email, password)
    agents = []
    for name in ("Race Agent A", "Race Agent B"):
        email = f"{name.lower().replace(' ', '.')}.{unique}@example.com"
        enrolled = client.ok(
            "POST",
            f"/api/service-accounts/{sa}/members/enroll",
            {"name": name, "email": email, "role_code": "agent", "password": password},
            token=manager,
            sa=sa,
            expected=201,
        )
        agents.append({**enrolled, "token": client.sign_in(email, password)})
    conn = odoo_server.connect()
    yield {
        "client": client,
        "sa": sa,
        "manager": manager,
        "agents": agents,
        "conn": conn,
        "server": odoo_server,
        "password": password,
        "unique": unique,
    }
    conn.close()


def rows(conn, sql, params=()):
    with conn.cursor() as cr:
        cr.execute(sql, params)
        return cr.fetchall()


def test_four_simultaneous_creates_of_one_email_make_one_customer_and_three_409s(team):
    client, sa, agents = team["client"], team["sa"], team["agents"]
    for attempt in range(3):
        email = f"same.{attempt}.{team['unique']}@example.com"

        def create(agent, email=email):
            return client.request(
                "POST", "/api/contacts", {"name": "Same Person", "email": email}, token=agent["token"], sa=sa
            )

        callers = agents * 2
        results = simultaneously(*(lambda agent=agent: create(agent) for agent in callers))

        statuses = sorted(status for status, _body in results)
        assert statuses == [201, 409, 409, 409], results
        winner_agent, winner = next(
            (a, body) for a, (status, body) in zip(callers, results, strict=True) if status == 201
        )
        for agent, (status, body) in zip(callers, results, strict=True):
            if status == 409:
                assert_error_shape(body)
                # The winner's customer is assigned to the winner: the other agent cannot see
                # it, and a 409 never numbers a customer its caller cannot see.
                expected = winner["id"] if agent is winner_agent else None
                assert body["error"]["details"].get("partner_id") == expected, body
        customers = rows(
            team["conn"],
            "SELECT p.id FROM res_partner p JOIN ov_sa_customer_assignment a ON a.partner_id = p.id "
            "WHERE a.account_id = %s AND a.state = 'active' AND p.email_normalized = %s",
            [sa, email],
        )
        assert customers == [(winner["id"],)]


def test_simultaneous_retries_with_one_idempotency_key_return_one_answer(team):
    client, sa, agent = team["client"], team["sa"], team["agents"][0]
    key = f"race-key-{team['unique']}"
    body = {"name": "Retried Twice", "phone": "+228 2"}

    def create():
        return client.request(
            "POST", "/api/contacts", body, token=agent["token"], sa=sa, headers={"Idempotency-Key": key}
        )

    first, second = simultaneously(create, create)

    assert first[0] == second[0] == 201, (first, second)
    assert first[1] == second[1]
    count = rows(
        team["conn"],
        "SELECT count(*) FROM res_partner p JOIN ov_sa_customer_assignment a ON a.partner_id = p.id "
        "WHERE a.account_id = %s AND p.name = 'Retried Twice'",
        [sa],
    )
    assert count == [(1,)]


def _enroll_agent(team, name):
    client, sa = team["client"], team["sa"]
    email = f"{name}.{uuid.uuid4().hex[:6]}@example.com"
    enrolled = client.ok(
        "POST",
        f"/api/service-accounts/{sa}/members/enroll",
        {"name": name, "email": email, "role_code": "agent", "password": team["password"]},
        token=team["manager"],
        sa=sa,
        expected=201,
    )
    return {**enrolled, "token": client.sign_in(email, team["password"])}


def _assignments_of(team, partner_id):
    return rows(
        team["conn"],
        "SELECT count(*) FROM ov_sa_customer_assignment WHERE actor_id = %s AND state = 'active'",
        [partner_id],
    )[0][0]


def _answer_while_held(team, statement, params, request, what):
    """The answer of ``request()`` sent while another transaction has run ``statement`` without
    committing: it must wait for that transaction (checked 2 s in), then get its answer once it
    commits. Returns that answer and the first row the statement returned (None: no rows)."""
    locker = team["server"].connect()
    locker.autocommit = False
    result = {}
    try:
        with locker.cursor() as cr:
            cr.execute(statement, params)
            held = cr.fetchone() if cr.description else None
            thread = threading.Thread(target=lambda: result.update(answer=request()))
            thread.start()
            time.sleep(2)
            assert thread.is_alive(), f"the request did not wait for {what}: {result}"
        locker.commit()
        thread.join(timeout=120)
    finally:
        locker.close()
    return result["answer"], held


def _answer_while_a_revocation_is_held(team, agent, request):
    """The answer of ``request()`` sent while another transaction has revoked ``agent``'s
    membership without committing (what a revocation does first: change the membership row)."""
    revoke = "UPDATE ov_membership SET membership_state = 'revoked' WHERE id = %s"
    answer, _held = _answer_while_held(team, revoke, [agent["membership_id"]], request, "the membership row")
    return answer


def test_create_waits_for_a_revocation_holding_the_membership_and_is_then_refused(team):
    client, sa = team["client"], team["sa"]
    agent = _enroll_agent(team, "revoked.while.creating")
    status, body = _answer_while_a_revocation_is_held(
        team,
        agent,
        lambda: client.request(
            "POST", "/api/contacts", {"name": "Created During Revocation"}, token=agent["token"], sa=sa
        ),
    )
    assert status == 403, body
    assert_error_shape(body)
    assert _assignments_of(team, agent["partner_id"]) == 0


def test_an_assignment_waits_for_a_revocation_of_the_new_holder_and_is_then_refused(team):
    client, sa = team["client"], team["sa"]
    agent = _enroll_agent(team, "revoked.while.assigned")
    customer = client.ok(
        "POST",
        "/api/contacts",
        {"name": "Assigned During Revocation"},
        token=team["manager"],
        sa=sa,
        expected=201,
    )
    status, body = _answer_while_a_revocation_is_held(
        team,
        agent,
        lambda: client.request(
            "POST",
            f"/api/contacts/{customer['id']}/assign",
            {"employee_id": agent["employee_id"]},
            token=team["manager"],
            sa=sa,
        ),
    )
    assert status in (404, 422), body
    assert_error_shape(body)
    assert _assignments_of(team, agent["partner_id"]) == 0


def test_racing_creates_and_revocation_leave_nothing_assigned_to_the_revoked_person(team):
    client, sa = team["client"], team["sa"]
    for attempt in range(3):
        agent = _enroll_agent(team, f"race.revoked.{attempt}")

        def create(n, agent=agent, attempt=attempt):
            return client.request(
                "POST", "/api/contacts", {"name": f"Race {attempt}.{n}"}, token=agent["token"], sa=sa
            )

        def revoke(agent=agent):
            return client.request(
                "DELETE",
                f"/api/service-accounts/{sa}/members/{agent['membership_id']}",
                token=team["manager"],
                sa=sa,
            )

        results = simultaneously(lambda: create(1), revoke, lambda: create(2))

        assert results[1][0] == 200, results[1]
        for status, body in (results[0], results[2]):
            assert status in (201, 403), body
        assert _assignments_of(team, agent["partner_id"]) == 0, results


def test_simultaneous_requests_release_an_ended_membership_once(team):
    client, sa, conn = team["client"], team["sa"], team["conn"]
    ending = _enroll_agent(team, "ending")
    customers = [
        client.ok(
            "POST", "/api/contacts", {"name": f"Ending {n}"}, token=ending["token"], sa=sa, expected=201
        )["id"]
        for n in (1, 2)
    ]
    with conn.cursor() as cr:
        cr.execute(
            "UPDATE ov_membership SET effective_to = (now() AT TIME ZONE 'UTC') - interval '1 minute' "
            "WHERE id = %s",
            [ending["membership_id"]],
        )
    other = team["agents"][0]

    def list_contacts():
        return client.request("GET", "/api/contacts?limit=200", token=other["token"], sa=sa)

    results = simultaneously(list_contacts, list_contacts, list_contacts)

    for status, body in results:
        assert status == 200, body
        assert set(customers) <= {item["id"] for item in body["items"]}, "unassigned: other agents see them"
    assert _assignments_of(team, ending["partner_id"]) == 0
    events = rows(
        conn,
        "SELECT subject_id, count(*) FROM abs_event_outbox WHERE event_type = 'customer.unassigned' "
        "AND subject_model = 'res.partner' AND subject_id = ANY(%s) GROUP BY subject_id ORDER BY subject_id",
        [customers],
    )
    assert events == [(customers[0], 1), (customers[1], 1)], "released exactly once"
    status, body = client.request("GET", "/api/contacts", token=ending["token"], sa=sa)
    assert status == 403, body


def test_a_customer_assigned_while_the_backfill_runs_is_assigned_once(team):
    """The backfill's insert meets a row another transaction is adding for the same customer: it
    waits for it, then (REPEATABLE READ) fails with a serialization error that Odoo answers by
    running the request again, which finds that row (docs/operations/upgrade.md#backfill-locks)."""
    client, sa, conn, server = team["client"], team["sa"], team["conn"], team["server"]
    stamped = [
        client.ok(
            "POST", "/api/contacts", {"name": f"Backfilled {n}"}, token=team["manager"], sa=sa, expected=201
        )["id"]
        for n in (1, 2)
    ]
    # customers stamped before V3: their accounts' stamps and no assignment row
    rows(conn, "DELETE FROM ov_sa_customer_assignment WHERE partner_id = ANY(%s) RETURNING id", [stamped])
    company = rows(conn, "SELECT company_id FROM ov_serviced_account WHERE id = %s", [sa])[0][0]
    raced, left = stamped
    # another transaction assigns one of them, not yet committed
    assign = (
        "INSERT INTO ov_sa_customer_assignment (account_id, partner_id, state, date_from, "
        "assignment_status, company_id, create_uid, write_uid, create_date, write_date) "
        "VALUES (%s, %s, 'active', now(), 'unassigned', %s, 1, 1, now(), now()) RETURNING id"
    )

    def backfill():
        body = {"dry_run": False, "company_id": company}
        path = "/api/migration/backfill-customer-assignments"
        return client.request("POST", path, body, api_key=server.api_key)

    (status, report), (racing_row,) = _answer_while_held(
        team, assign, [sa, raced, company], backfill, "the other assignment"
    )
    assert status == 200, report
    assert report["conflicts"] == 0 and report["created"] >= 1, report
    active = rows(
        conn,
        "SELECT partner_id, id FROM ov_sa_customer_assignment "
        "WHERE partner_id = ANY(%s) AND state = 'active' ORDER BY partner_id",
        [stamped],
    )
    assert [partner for partner, _row in active] == sorted(stamped), active
    assert (raced, racing_row) in active, "the row added meanwhile is the customer's only one"
    assert left in dict(active)
