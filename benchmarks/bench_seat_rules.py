"""What do the seat-member record rules cost? Odoo's own Contacts list, seat users next to the admin.

    flock /tmp/abs-bench.lock python benchmarks/bench_seat_rules.py --customers 1000000 --keep-db
    flock /tmp/abs-bench.lock python benchmarks/bench_seat_rules.py --customers 1000000 --reuse-db

(run with the project's virtualenv python: /root/.cache/abs_connector/venv/bin/python)

1. Seeds its database exactly like bench_governance.py (bench_seed: N customers over S SAs,
   the largest holding about a fifth), or reuses one it seeded and kept earlier (upgraded with
   -u first, so that indexes the code declares since the seeding are built).
2. Gives an Odoo seat (an internal user with a password) to three members of the largest SA:
   its staff manager (whole account), an agent (own and unassigned customers) and an
   assigned_only agent. Their searches on contacts now carry the seat-member record rule
   (docs/operations/back-office.md, "Seat users").
3. Prints EXPLAIN (ANALYZE, BUFFERS) of the list page and of its bounded count, for each
   seat user and for the administrator (a Governance Manager: not limited).
4. Starts Odoo on loopback and times, over real HTTP, the request the Contacts list view
   makes: ``web_search_read`` of res.partner, 50 rows in the model's order, the list's
   fields, ``count_limit`` 10001 -- as each seat user and as the administrator, interleaved. A
   seat user's count stops one row past the API's count bound (LIST_COUNT_LIMIT), as their list
   views ask for it.

It asserts nothing: it prints figures (and --json writes them) for docs/performance.md.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import bench_governance as gov  # also puts tests/e2e and tools on sys.path
import bench_seed
import odoo_cli
import requests
from odoo_server import OdooServer

# What the Contacts list view (base.view_partner_tree) reads for each row.
LIST_SPECIFICATION = {
    "complete_name": {},
    "phone": {},
    "email": {},
    "user_id": {"fields": {"display_name": {}}},
    "city": {},
    "state_id": {"fields": {"display_name": {}}},
    "country_id": {"fields": {"display_name": {}}},
    "company_id": {"fields": {"display_name": {}}},
}
PAGE, COUNT_LIMIT = 50, 10001

SEATS_CODE = r"""
import json
P = json.loads(PARAMS)
group_user = env.ref("base.group_user")
Users = env["res.users"].with_context(active_test=False, no_reset_password=True)
uids = {}
for label, person_id in P["persons"].items():
    person = env["res.partner"].browse(person_id)
    user = Users.search([("partner_id", "=", person_id)], limit=1)
    if not user:
        user = Users.create({"partner_id": person_id, "login": person.email})
    user.write({
        "groups_id": [(6, 0, group_user.ids)], "password": P["password"], "active": True,
        "company_id": env.company.id, "company_ids": [(6, 0, env.company.ids)],
    })
    uids[label] = user.id
admin = env.ref("base.user_admin")
admin.password = P["password"]
uids["admin"] = admin.id
env.cr.commit()
print("SEATS|" + json.dumps(uids), flush=True)
"""

EXPLAIN_CODE = r"""
import json
from odoo.addons.abs_connector.governance import api_schemas
from odoo.tools import SQL
P = json.loads(PARAMS)
for label, uid in P["uids"].items():
    Partner = env["res.partner"].with_user(uid)
    page = Partner._search([], limit=P["page"], order=Partner._order)
    # as web_search_read asks search_count() for it: a seat user's up to the API's bound
    limit = P["count_limit"]
    if Partner._abs_count_is_bounded():
        limit = min(limit, api_schemas.LIST_COUNT_LIMIT + 1)
    # search_count()'s own SQL: driven from the member's assignment rows when it can be
    count = Partner._abs_seat_count_sql([], limit)
    if count is None:
        bounded = Partner.with_context(abs_seat_counting=True)._search([], limit=limit)
        count = SQL("SELECT COUNT(*) FROM (%s) t", bounded.select("1"))
    for title, sql in (("page", page.select()), ("count", count)):
        if title == "page" and label != "admin":
            print(f"SQL|{label}|" + env.cr.mogrify(sql.code, sql.params).decode(), flush=True)
        env.cr.execute(SQL("EXPLAIN (ANALYZE, BUFFERS) %s", sql))
        for (line,) in env.cr.fetchall():
            print(f"EXPLAIN|{label}, {title}|{line}", flush=True)
"""


def say(*parts):
    print(*parts, flush=True)


def pick_people(accounts, people):
    """The largest SA and the three members of it who get a seat."""
    big = max(accounts, key=lambda account: account["customers"])

    def person(kind, policy=None):
        return next(p for p in people if p["kind"] == kind and p["k"] == big["k"] and p["policy"] == policy)

    return big, {
        "staff (whole account)": person("staff")["partner_id"],
        "agent (own + unassigned)": person("agent")["partner_id"],
        "agent (assigned_only)": person("agent", "assigned_only")["partner_id"],
    }


def shell(db, label, code, params):
    output = gov.odoo_run(
        db,
        "--no-http",
        label=label,
        subcommand="shell",
        stdin=f"PARAMS = {json.dumps(json.dumps(params))}\n{code}",
    )
    return output.splitlines()


def explain(db, uids):
    sql, plans = {}, {}
    params = {"uids": uids, "page": PAGE, "count_limit": COUNT_LIMIT}
    for line in shell(db, "explain-seat", EXPLAIN_CODE, params):
        if line.startswith("SQL|"):
            _, label, text = line.split("|", 2)
            sql[label] = text
        elif line.startswith("EXPLAIN|"):
            _, label, text = line.split("|", 2)
            plans.setdefault(label, []).append(text)
    return sql, plans


class WebClient:
    """One signed-in web session, as the browser of that user holds it."""

    def __init__(self, base_url, db, login, password):
        self.base_url = base_url
        self.session = requests.Session()
        answer = self._call("/web/session/authenticate", {"db": db, "login": login, "password": password})
        if not answer.get("uid"):
            raise RuntimeError(f"{login} could not sign in")

    def _call(self, path, params):
        response = self.session.post(
            self.base_url + path,
            json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": params},
            timeout=600,
        )
        response.raise_for_status()
        body = response.json()
        if "error" in body:
            raise RuntimeError(f"{path}: {body['error'].get('data', {}).get('message')}")
        return body["result"]

    def contacts_list(self):
        """The Contacts list view's request; returns (seconds, rows, length)."""
        started = time.perf_counter()
        result = self._call(
            "/web/dataset/call_kw/res.partner/web_search_read",
            {
                "model": "res.partner",
                "method": "web_search_read",
                "args": [],
                "kwargs": {
                    "specification": LIST_SPECIFICATION,
                    "domain": [],
                    "offset": 0,
                    "limit": PAGE,
                    "order": "",
                    "count_limit": COUNT_LIMIT,
                    "context": {"lang": "en_US", "bin_size": True},
                },
            },
        )
        return time.perf_counter() - started, len(result["records"]), result["length"]


def time_lists(server, db, logins, requests_per_user):
    clients = {label: WebClient(server.base_url, db, login, gov.PASSWORD) for label, login in logins.items()}
    figures = {label: {"seconds": []} for label in clients}
    for label, client in clients.items():  # warm-up, and what each one sees
        for _ in range(3):
            _, rows, length = client.contacts_list()
        figures[label].update(rows=rows, length=length)
    for _ in range(requests_per_user):  # interleaved: load from other processes hits them alike
        for label, client in clients.items():
            figures[label]["seconds"].append(client.contacts_list()[0])
    return figures


def print_figures(figures):
    admin = statistics.median(figures["admin"]["seconds"])
    say(
        f"\n{'Contacts list (web_search_read, 50 rows, count_limit 10001)':<62} {'median':>8} {'p95':>8} "
        f"{'rows':>5} {'length':>7} {'/ admin':>8}"
    )
    for label, figure in figures.items():
        seconds = sorted(figure["seconds"])
        median = statistics.median(seconds)
        p95 = seconds[min(len(seconds) - 1, int(0.95 * len(seconds)))]
        figure.update(
            median_ms=round(median * 1000, 1), p95_ms=round(p95 * 1000, 1), ratio=round(median / admin, 2)
        )
        say(
            f"  {label:<60} {median * 1000:7.1f}ms {p95 * 1000:7.1f}ms {figure['rows']:>5} "
            f"{figure['length']:>7} {median / admin:7.2f}x"
        )


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    gov.add_data_arguments(parser)
    parser.add_argument("--requests", type=int, default=30, help="timed lists per user (default 30)")
    parser.add_argument("--db", default="abs_bench_seat")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    return parser.parse_args(argv)


def prepare(args):
    """Seed (or reuse) the database; returns the largest SA and the seated people's uids."""
    if not (args.reuse_db and gov.seeded(args.db)):
        gov.create_database(args.db, args.template)
        conn = odoo_cli.connect(args.db)
        try:
            gov.seed(conn, args)
        finally:
            conn.close()
    else:
        say(f"BENCH reusing the seeded database {args.db}")
        gov.upgrade(args.db)
    conn = odoo_cli.connect(args.db)
    try:
        with conn.cursor() as cr:
            accounts, people = bench_seed.describe(cr)
    finally:
        conn.close()
    big, persons = pick_people(accounts, people)
    uids = json.loads(
        next(
            line
            for line in shell(args.db, "seats", SEATS_CODE, {"persons": persons, "password": gov.PASSWORD})
            if line.startswith("SEATS|")
        )[6:]
    )
    return big, persons, uids


def main(argv=None):
    args = parse_args(argv)
    started = time.perf_counter()
    results = {"arguments": {k: str(v) for k, v in vars(args).items()}, "machine": gov.machine()}
    try:
        big, persons, uids = prepare(args)
        results["data"] = {"customers": args.customers, "largest_sa_customers": big["customers"]}
        say(
            f"DATA {args.customers:,} customers; the seat users are members of the largest SA "
            f"({big['customers']:,} active assignments)"
        )
        results["sql"], results["explain"] = explain(args.db, uids)
        for label, text in results["sql"].items():
            say(f"\nSQL of the list page as {label}:\n{text}")
        for label, lines in results["explain"].items():
            say(f"\nEXPLAIN (ANALYZE, BUFFERS) -- {label}")
            say("\n".join(f"  {line}" for line in lines))
        server = OdooServer(
            args.db, mqtt_port=1883, extra_config={"addons_path": gov.addons_path(), "abs_mqtt_host": ""}
        )
        conn = odoo_cli.connect(args.db)
        with conn.cursor() as cr:
            cr.execute("SELECT id, login FROM res_users WHERE id = ANY(%s)", [list(uids.values())])
            login_of = dict(cr.fetchall())
        conn.close()
        server.start()
        try:
            results["requests"] = time_lists(
                server, args.db, {label: login_of[uid] for label, uid in uids.items()}, args.requests
            )
        finally:
            server.stop()
        print_figures(results["requests"])
    finally:
        if not (args.keep_db or args.reuse_db):
            odoo_cli.drop_database(args.db)
    say(f"\nBENCH total {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
        say(f"BENCH figures written to {args.json}")


if __name__ == "__main__":
    sys.exit(main())
