"""What does governance cost? One run, side by side with the alternatives.

    python benchmarks/bench_governance.py                       # 100,000 customers
    python benchmarks/bench_governance.py --customers 1000000 --json /tmp/bench-1m.json
    python benchmarks/bench_governance.py --customers 10000 --requests 50 --keep-db

(run with the project's virtualenv python: /root/.cache/abs_connector/venv/bin/python)

1. Creates its own database from the dependency template, installs abs_connector
   and the benchmark-only companion addon benchmarks/addons/abs_connector_bench
   (its /bench/plain and /bench/native_rule endpoints exist only there).
2. Seeds with set-based SQL (bench_seed.py): N V2-stamped customers over S SAs
   (a few large, most small) and A agents, a share unassigned, some archived;
   times the real backfill (abs_connector/backfill.py, via bench_backfill.py)
   that turns the stamps into active assignments; adds expired history rows.
3. Prints EXPLAIN (ANALYZE, BUFFERS) of the visibility query next to the
   ungoverned and native-rule queries.
4. Starts Odoo on loopback and times, over real HTTP, GET /api/contacts as an
   agent (assigned_plus_unassigned), as staff (sa_wide), as an assigned_only
   agent, a deep page, a search by e-mail and GET /api/contacts/<id>; next to
   (a) the same page without governance and (b) Odoo's native salesman rule
   (user_id = me or empty), as the same proxy user, with the same page size,
   order, fields and total count. Governed and baseline requests are
   interleaved in rounds, each round in a new (seeded) order, so load from
   other processes hits them alike and no request always follows the same one.
5. Prints median / p95 latency, requests per second with 1 and N concurrent
   clients, the ratios, and the SQL queries per request read from Odoo's
   access log (query count column), for several page sizes and SA sizes.
6. Runs benchmarks/bench_relay.py (outbox relay, events per second) when present.

It asserts nothing: it prints figures (and --json writes them) for
docs/performance.md.
"""

import argparse
import configparser
import json
import math
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(HERE), str(REPO / "tests" / "e2e"), str(REPO / "tools"), str(REPO / "abs_connector")]

import bench_seed  # noqa: E402  (found through the sys.path entries above)
import odoo_cli  # noqa: E402
import requests  # noqa: E402
from bench_backfill import TIMED_BACKFILL  # noqa: E402
from odoo_server import OdooServer  # noqa: E402
from passlib.context import CryptContext  # noqa: E402

from governance import api_schemas, list_cursor  # noqa: E402  (pure: no Odoo import)

BENCH_ADDONS = HERE / "addons"
# Every seeded person's password: the database is a throw-away copy on loopback.
PASSWORD = "bench-password-1"  # noqa: S105
PROXY_XMLID = ("abs_connector", "abs_api_proxy_user")
PROXY_UID_PARAM = "abs_connector_bench.proxy_uid"
# The fields of the API's Contact that are plain res.partner columns: what the baselines read.
BASELINE_FIELDS = "id,name,email,phone,mobile,street,street2,city,zip,country_id,function,comment,active"
ORDER = "id"  # the API's default list order
ADMIN_LOGIN = "admin"
# Odoo's own list page: what the web client's list view of contacts sends (web_search_read with a
# field specification and count_limit 10001), as the administrator, in the API's order.
ODOO_SPEC = {
    **{name: {} for name in BASELINE_FIELDS.split(",") if name != "country_id"},
    "country_id": {"fields": {"display_name": {}}},
}
ODOO_COUNT_LIMIT = 10001
MAX_OFFSET = 10000  # the API's offset bound: deeper pages use the cursor
CURSOR_DEPTH = 50_000  # the cursor's deep page starts after this many rows (page 1,001 of 50)
# --layout: "spread" over --sas SAs (skewed sizes), or every customer in ONE SA with 9 agents
# (each owning about a tenth) and a tenth unassigned.
ONE_SA_LAYOUT = {"sas": 1, "agents": 9, "unassigned": 0.1}
# "GET /api/contacts?limit=50 HTTP/1.1" 200 - 12 0.004 0.010  (status, -, query count, sql s, other s)
ACCESS_LINE = re.compile(r'"(GET|POST) (\S+) HTTP/[\d.]+" (\d{3}) \S+ (\d+) ([\d.]+) ([\d.]+)')


def say(*parts):
    print(*parts, flush=True)


# ----------------------------------------------------------------------------- database


def addons_path():
    return f"{odoo_cli.ODOO_PATH / 'addons'},{REPO},{BENCH_ADDONS}"


def odoo_run(db, *args, label, stdin=None, subcommand=None):
    """odoo-bin with the benchmark's addons path (the later --addons-path wins)."""
    return odoo_cli.odoo_bin(
        db,
        f"--addons-path={addons_path()}",
        *args,
        label=label,
        stdin=stdin,
        subcommand=subcommand,
        timeout=6 * 3600,
    )


def create_database(db, template):
    say(f"BENCH creating {db} from {template}, installing abs_connector + abs_connector_bench ...")
    odoo_cli.create_database(db, template)
    odoo_run(
        db,
        "-i",
        "abs_connector,abs_connector_bench",
        "--without-demo=all",
        "--stop-after-init",
        "--no-http",
        label="install",
    )


def seed(conn, args):
    """Seed, time the backfill, add history; returns (accounts, people)."""
    password_hash = CryptContext(schemes=["pbkdf2_sha256"]).hash(PASSWORD)
    with conn.cursor() as cr:
        cr.execute("SELECT setseed(%s)", [args.seed])
        started = time.perf_counter()
        people_plan = bench_seed.plan_people(args.sas, args.agents, random.Random(args.seed))
        setup = {"sas": args.sas, "agents": people_plan}
        odoo_run(
            args.db,
            "--no-http",
            label="setup",
            subcommand="shell",
            stdin=f"PARAMS = {json.dumps(json.dumps(setup))}\n{bench_seed.SETUP_CODE}",
        )
        say(
            f"SEED {'SAs, staff, agents (ORM)':<34} {args.sas + args.agents:>10,} rows "
            f"{time.perf_counter() - started:8.2f} s"
        )
        cr.execute("SELECT company_id FROM ov_serviced_account WHERE is_seed ORDER BY id LIMIT 1")
        bench_seed.load_people(cr, cr.fetchone()[0], password_hash, log=say)
        bench_seed.create_customers(cr, args.customers, args.sas, args.unassigned, args.archived, log=say)
        say(f"SEED {'total (before backfill)':<34} {'':>10}      {time.perf_counter() - started:8.2f} s")
        cr.execute("ANALYZE res_partner")
        say("BACKFILL the real V3 backfill over the stamped customers (dry run, run, idempotent rerun):")
        output = odoo_run(args.db, "--no-http", label="backfill", stdin=TIMED_BACKFILL, subcommand="shell")
        backfill = [line for line in output.splitlines() if line.startswith("BENCH")]
        say("\n".join(backfill))
        bench_seed.add_history(cr, log=say)
        bench_seed.analyze(cr, log=say)
        accounts, people = bench_seed.describe(cr)
    return accounts, people, backfill


def upgrade(db):
    """``-u`` the addons of a reused database: the code benchmarked may declare indexes the seeded
    one lacks (Odoo builds them on upgrade)."""
    say(f"BENCH upgrading abs_connector + abs_connector_bench in {db} ...")
    odoo_run(
        db,
        "-u",
        "abs_connector,abs_connector_bench",
        "--stop-after-init",
        "--no-http",
        label="upgrade",
    )


def seeded(db):
    """Whether ``db`` exists and holds a finished seed (kept by an earlier run)."""
    if not odoo_cli.database_exists(db):
        return False
    conn = odoo_cli.connect(db)
    try:
        with conn.cursor() as cr:
            cr.execute(
                "SELECT to_regclass('bench_person') IS NOT NULL"
                " AND EXISTS (SELECT 1 FROM ov_sa_customer_assignment WHERE state = 'expired')"
            )
            return cr.fetchone()[0]
    finally:
        conn.close()


def set_admin_password(cr):
    """The administrator signs in to the web client's JSON-RPC for Odoo's own list page."""
    cr.execute(
        "UPDATE res_users SET password = %s WHERE login = %s",
        [CryptContext(schemes=["pbkdf2_sha512"]).hash(PASSWORD), ADMIN_LOGIN],
    )


def proxy_uid(cr):
    cr.execute("SELECT res_id FROM ir_model_data WHERE module = %s AND name = %s", PROXY_XMLID)
    row = cr.fetchone()
    if not row:
        raise RuntimeError(f"The API proxy user {'.'.join(PROXY_XMLID)} does not exist")
    return row[0]


def set_proxy_param(cr, uid):
    cr.execute(
        """
        INSERT INTO ir_config_parameter (key, value, create_uid, write_uid, create_date, write_date)
        VALUES (%s, %s, 1, 1, NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC')
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
    """,
        [PROXY_UID_PARAM, str(uid)],
    )


# ----------------------------------------------------------------------------- who and what


@dataclass
class Actors:
    """The people and data points the scenarios use, picked from the seeded data."""

    big: dict
    small: dict
    agent: dict
    staff: dict
    assigned_only: dict
    small_agent: dict
    visible: int
    deep_offset: int
    cursor_after_id: int
    cursor_depth: int
    customer_id: int
    customer_email: str
    customer_name: str
    customer_phone: str
    customer_city: str


def pick_actors(cr, accounts, people):
    big, small = accounts[0], min(accounts, key=lambda a: a["customers"])

    def person(kind, k, policy=None):
        return next(p for p in people if p["kind"] == kind and p["k"] == k and p["policy"] == policy)

    agent = person("agent", big["k"])
    cr.execute(
        """
        SELECT count(*) FROM ov_sa_customer_assignment a JOIN res_partner p ON p.id = a.partner_id
         WHERE a.account_id = %s AND a.state = 'active' AND p.active
           AND (a.actor_id = %s OR a.actor_id IS NULL)
    """,
        [big["sa_id"], agent["partner_id"]],
    )
    visible = cr.fetchone()[0]
    cr.execute(
        """
        SELECT p.id, p.email FROM ov_sa_customer_assignment a JOIN res_partner p ON p.id = a.partner_id
         WHERE a.account_id = %s AND a.state = 'active' AND p.active AND a.actor_id = %s
         ORDER BY p.id LIMIT 1 OFFSET (SELECT count(*) / 2 FROM ov_sa_customer_assignment
                                        WHERE account_id = %s AND state = 'active' AND actor_id = %s)
    """,
        [big["sa_id"], agent["partner_id"], big["sa_id"], agent["partner_id"]],
    )
    customer_id, customer_email = cr.fetchone()
    cr.execute("SELECT name, phone, city FROM res_partner WHERE id = %s", [customer_id])
    name, phone, city = cr.fetchone()
    depth = min(CURSOR_DEPTH, visible // 2)
    cr.execute(
        """
        SELECT p.id FROM ov_sa_customer_assignment a JOIN res_partner p ON p.id = a.partner_id
         WHERE a.account_id = %s AND a.state = 'active' AND p.active
           AND (a.actor_id = %s OR a.actor_id IS NULL)
         ORDER BY p.id OFFSET %s LIMIT 1
    """,
        [big["sa_id"], agent["partner_id"], max(0, depth - 1)],
    )
    cursor_after_id = cr.fetchone()[0]
    return Actors(
        big=big,
        small=small,
        agent=agent,
        staff=person("staff", big["k"]),
        assigned_only=person("agent", big["k"], "assigned_only"),
        small_agent=person("agent", small["k"]),
        visible=visible,
        deep_offset=min(MAX_OFFSET, max(0, (visible // 2) // 50 * 50)),
        cursor_after_id=cursor_after_id,
        cursor_depth=depth,
        customer_id=customer_id,
        customer_email=customer_email,
        # a word of the name ("Customer 12345"), the phone's last digits, the city
        customer_name=" ".join(name.split()[1:]),
        customer_phone=phone[-7:],
        customer_city=city,
    )


# ----------------------------------------------------------------------------- EXPLAIN

EXPLAIN_CODE = r"""
import json
from odoo.tools import SQL
from odoo.addons.abs_connector.controllers.common import search_domain
from odoo.addons.abs_connector.controllers.contacts import SEARCH_FIELDS
from odoo.addons.abs_connector.governance import visibility
P = json.loads(PARAMS)
Partner = env["res.partner"].with_user(P["proxy_uid"])

def search(term, model=None):
    # the API's search (controllers/common.py): with the model, a whole address by its mailbox
    return search_domain(term, SEARCH_FIELDS, model)

def show(label, domain, offset=0, count=True, count_limit=P["odoo_count_limit"]):
    page = Partner._search(domain, offset=offset, limit=P["limit"], order=P["order"])
    if label == P["print_sql_of"]:
        sql = page.select()
        print("SQL|" + env.cr.mogrify(sql.code, sql.params).decode(), flush=True)
    queries = [("page", page.select())]
    if count:  # counted up to a limit: the API's for governed lists, Odoo's web client's else
        queries.append(("count", Partner._search(domain, limit=count_limit).select("")))
    for title, sql in queries:
        if title == "count":
            sql = SQL("SELECT COUNT(*) FROM (%s) t", sql)
        print_plan(f"{label}, {title}", sql)

def print_plan(label, sql):
    env.cr.execute(SQL("EXPLAIN (ANALYZE, BUFFERS) %s", sql))
    for (line,) in env.cr.fetchall():
        print(f"EXPLAIN|{label}|{line}", flush=True)

def show_search(label, domain):
    # the API's searched list: its matches first (ids, up to the count's bound), then, when
    # they are fewer, the page among them (controllers/common.py, _page_and_total)
    matches = Partner._search(domain, limit=P["api_count_limit"])
    print_plan(f"{label}, matches", matches.select())
    ids = list(matches.get_result_ids())
    if len(ids) < P["api_count_limit"]:
        page = Partner._search([("id", "in", ids), *domain], limit=P["limit"], order=P["order"])
        print_plan(f"{label}, page of the {len(ids)} matches", page.select())

# the API's unfiltered list in id order: driven from the caller's assignment rows
def show_driven(label, branches, count_branches=None):
    page = Partner._abs_customers_from_assignments(branches, P["limit"] + 1)
    page.limit = P["limit"] + 1
    if label == P["print_sql_of"]:
        sql = page.select()
        print("SQL|" + env.cr.mogrify(sql.code, sql.params).decode(), flush=True)
    queries = [("page", page.select(SQL('"res_partner".*')))]
    if count_branches:  # the statement the API's bounded count runs (its first round)
        counted = Partner._abs_driven_customers(count_branches).count_sql(P["api_count_limit"])
        queries.append(("count", counted))
    for title, sql in queries:
        print_plan(f"{label}, {title}", sql)

native = ["|", ("user_id", "=", P["user_id"]), ("user_id", "=", False)]
for label, person_id, sa_id in P["governed"]:
    ctx = env["ov.membership"]._abs_access_context(
        env["res.partner"].browse(person_id), env["ov.serviced_account"].browse(sa_id))
    domain = visibility.customer_domain(ctx)
    branches = visibility.disjoint_assignment_domains(ctx)
    show_driven(label, branches, branches)
    if label == P["print_sql_of"]:
        # the API's cursor page: the keyset bound in each branch
        bounded = visibility.disjoint_assignment_domains(ctx, (">", P["cursor_after_id"]))
        show_driven(f"{label}, cursor page after {P['cursor_depth']:,} rows", bounded)
        # what the list costs through the visibility domain alone (a search, another order,
        # a subtree scope)
        show(f"{label}, through the domain", domain, count_limit=P["api_count_limit"])
        for what, term in P["searches"]:
            show_search(f"{label}, search by {what} {term!r}", [*domain, *search(term, Partner)])
show("ungoverned", [])
show("native rule", native)
for what, term in P["searches"]:
    show(f"native rule, search by {what} {term!r}", [*native, *search(term)])
"""


def searches(actors):
    """(what, term) of the timed searches: e-mail, name, phone and city of one of the agent's customers."""
    return [
        ("e-mail", actors.customer_email),
        ("name", actors.customer_name),
        ("phone", actors.customer_phone),
        ("city", actors.customer_city),
    ]


def explain(db, uid, actors):
    params = {
        "proxy_uid": uid,
        "limit": 50,
        "order": ORDER,
        "user_id": actors.agent["user_id"],
        "print_sql_of": "governed agent",
        "odoo_count_limit": ODOO_COUNT_LIMIT,
        "api_count_limit": api_schemas.LIST_COUNT_LIMIT + 1,
        "cursor_after_id": actors.cursor_after_id,
        "cursor_depth": actors.cursor_depth,
        "searches": searches(actors),
        "governed": [
            ["governed agent", actors.agent["partner_id"], actors.big["sa_id"]],
            ["governed staff", actors.staff["partner_id"], actors.big["sa_id"]],
        ],
    }
    code = f"PARAMS = {json.dumps(json.dumps(params))}\n{EXPLAIN_CODE}"
    output = odoo_run(db, "--no-http", label="explain", stdin=code, subcommand="shell")
    sql_text, plans = None, {}
    for line in output.splitlines():
        if line.startswith("SQL|"):
            sql_text = line[4:]
        elif line.startswith("EXPLAIN|"):
            _, label, text = line.split("|", 2)
            plans.setdefault(label, []).append(text)
    return sql_text, plans


# ----------------------------------------------------------------------------- HTTP


@dataclass
class Scenario:
    name: str
    path: str
    headers: dict = field(default_factory=dict)
    slow: bool = False  # a full-text search: timed --search-requests times, not --requests
    body: dict | None = None  # a JSON-RPC call (POSTed) instead of a GET
    latencies: list = field(default_factory=list)
    rps: dict = field(default_factory=dict)
    queries: list = field(default_factory=list)


class Http:
    """requests with one keep-alive session per thread."""

    def __init__(self, base_url):
        self.base_url = base_url
        self._local = threading.local()

    def _session(self):
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def get(self, scenario):
        url = self.base_url + scenario.path
        started = time.perf_counter()
        if scenario.body is None:
            response = self._session().get(url, headers=scenario.headers, timeout=300)
        else:
            response = self._session().post(url, json=scenario.body, headers=scenario.headers, timeout=300)
        seconds = time.perf_counter() - started
        if response.status_code != 200 or (scenario.body is not None and "error" in response.json()):
            raise RuntimeError(
                f"{scenario.name}: {scenario.path} answered {response.status_code}: {response.text[:300]}"
            )
        return seconds, response

    def odoo_session(self, db):
        """The session cookie of the administrator signed in to the web client, as a header."""
        response = self._session().post(
            self.base_url + "/web/session/authenticate",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": {"db": db, "login": ADMIN_LOGIN, "password": PASSWORD},
            },
            timeout=60,
        )
        if response.status_code != 200 or "error" in response.json():
            raise RuntimeError(f"web client sign-in answered {response.status_code}: {response.text[:300]}")
        return {"Cookie": f"session_id={response.cookies['session_id']}"}

    def token(self, email):
        response = self._session().post(
            self.base_url + "/api/auth/token", json={"login": email, "password": PASSWORD}, timeout=60
        )
        if response.status_code != 200:
            raise RuntimeError(f"login of {email} answered {response.status_code}: {response.text[:300]}")
        return response.json()["access_token"]


def call_kw(method, args, kwargs):
    """The JSON-RPC body the web client posts to /web/dataset/call_kw/res.partner/<method>."""
    return {
        "jsonrpc": "2.0",
        "method": "call",
        "params": {"model": "res.partner", "method": method, "args": args, "kwargs": kwargs},
    }


def odoo_list_page(offset=0):
    kwargs = {
        "specification": ODOO_SPEC,
        "domain": [],
        "offset": offset,
        "limit": 50,
        "order": ORDER,
        "count_limit": ODOO_COUNT_LIMIT,
        "context": {"lang": "en_US", "bin_size": True},
    }
    return call_kw("web_search_read", [], kwargs)


def scenarios(http, actors, db, cursor_secret):
    """The timed requests; the first of each group is the governed one the others compare with."""
    sa = str(actors.big["sa_id"])

    def gov(person, sa_id=sa):
        return {"Authorization": f"Bearer {http.token(person['email'])}", "X-SA-ID": sa_id}

    agent, staff, only = gov(actors.agent), gov(actors.staff), gov(actors.assigned_only)
    small = gov(actors.small_agent, str(actors.small["sa_id"]))
    odoo = http.odoo_session(db)
    page = "limit=50"  # the API lists in its default order, id (the baselines get order=id)
    base = f"fields={BASELINE_FIELDS}&order={ORDER}&limit=50"
    native = f"/bench/native_rule?user_id={actors.agent['user_id']}&{base}"
    deep = f"offset={actors.deep_offset}"
    cursor = list_cursor.encode(
        list_cursor.Position("contacts", "id asc", None, actors.cursor_after_id), cursor_secret
    )
    search_path = "/web/dataset/call_kw/res.partner/web_search_read"
    read = call_kw("read", [[actors.customer_id], BASELINE_FIELDS.split(",")], {"context": {"lang": "en_US"}})
    groups = {
        "list": [
            Scenario("governed list, agent", "/api/contacts?limit=50", agent),
            Scenario("Odoo's own list page (web_search_read)", search_path, odoo, body=odoo_list_page()),
            Scenario("ungoverned list", f"/bench/plain?{base}"),
            Scenario("native rule list", native),
        ],
        "staff": [Scenario("governed list, staff (sa_wide)", "/api/contacts?limit=50", staff)],
        "assigned_only": [Scenario("governed list, assigned_only", "/api/contacts?limit=50", only)],
        "deep": [
            Scenario(
                f"governed deep page, cursor after {actors.cursor_depth:,} rows",
                f"/api/contacts?{page}&cursor={cursor}",
                agent,
            ),
            Scenario(
                f"governed deep page, offset {actors.deep_offset:,}", f"/api/contacts?{page}&{deep}", agent
            ),
            Scenario(
                f"Odoo's own list page, offset {actors.deep_offset:,}",
                search_path,
                odoo,
                body=odoo_list_page(actors.deep_offset),
            ),
            Scenario("ungoverned deep page", f"/bench/plain?{base}&{deep}"),
            Scenario("native rule deep page", f"{native}&{deep}"),
        ],
        "get": [
            Scenario("governed GET /api/contacts/<id>", f"/api/contacts/{actors.customer_id}", agent),
            Scenario(
                "Odoo's plain read of the same record",
                "/web/dataset/call_kw/res.partner/read",
                odoo,
                body=read,
            ),
        ],
        "_constancy": [
            Scenario("governed list, agent, limit=10", "/api/contacts?limit=10", agent),
            Scenario("governed list, agent, limit=200", "/api/contacts?limit=200", agent),
            Scenario("governed list, staff, limit=200", "/api/contacts?limit=200", staff),
            Scenario(
                f"governed list, agent of the smallest SA ({actors.small['customers']} customers)",
                "/api/contacts?limit=50",
                small,
            ),
            Scenario(
                "ungoverned list, limit=200",
                f"/bench/plain?fields={BASELINE_FIELDS}&order={ORDER}" "&limit=200",
            ),
        ],
    }
    for what, term in searches(actors):
        query = requests.utils.quote(term)
        groups[f"search by {what}"] = [
            Scenario(f"governed search by {what}", f"/api/contacts?{page}&search={query}", agent, slow=True),
            Scenario(f"native rule search by {what}", f"{native}&search={query}", slow=True),
        ]
    return groups


def count_queries(http, server, scenario, runs):
    """SQL queries of each request, from the query-count column of Odoo's access log."""
    log = Path(server.log)
    start = log.stat().st_size
    for _ in range(runs):
        http.get(scenario)
    time.sleep(0.5)  # the access line is written after the response is sent
    with log.open() as handle:
        handle.seek(start)
        lines = handle.read().splitlines()
    counts = [
        int(match.group(4))
        for match in map(ACCESS_LINE.search, lines)
        if match and match.group(2) == scenario.path
    ]
    if len(counts) != runs:
        raise RuntimeError(f"expected {runs} access lines for {scenario.path} in {log}, found {len(counts)}")
    return counts


def interleaved_latencies(http, timed, rounds, slow_rounds):
    """``rounds`` rounds, each one request of every scenario (slow ones: ``slow_rounds``), in an
    order shuffled anew each round: in a fixed order each request always followed the same one,
    the governed GET the heaviest deep page and Odoo's ``read`` that GET of the same record, which
    alone made the GET 1.18x the read where shuffled rounds give 1.00x (docs/performance.md)."""
    shuffler = random.Random(42)  # the same orders in every run
    for number in range(rounds):
        order = list(timed)
        shuffler.shuffle(order)
        for scenario in order:
            if scenario.slow and number >= slow_rounds:
                continue
            seconds, _response = http.get(scenario)
            scenario.latencies.append(seconds)


def throughput(http, scenario, clients, total):
    per_client = max(1, total // clients)

    def work(_):
        for _ in range(per_client):
            http.get(scenario)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(work, range(clients)))
    return per_client * clients / (time.perf_counter() - started)


def percentile(values, share):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


# ----------------------------------------------------------------------------- report


def summarize(groups, clients):
    odoo_page = statistics.median(groups["list"][1].latencies)
    rows = []
    for group, items in groups.items():
        if group.startswith("_"):
            continue
        governed = items[0]
        for scenario in items:
            median = statistics.median(scenario.latencies)
            row = {
                "group": group,
                "name": scenario.name,
                "path": scenario.path,
                "median_ms": median * 1000,
                "p95_ms": percentile(scenario.latencies, 0.95) * 1000,
                "rps_1": 1 / statistics.mean(scenario.latencies),
                f"rps_{clients}": scenario.rps.get(clients),
                "queries": sorted(set(scenario.queries)),
                "over_odoo_page": median / odoo_page,
            }
            if scenario is not governed:
                row["governed_over_this"] = statistics.median(governed.latencies) / median
            rows.append(row)
    return rows


def print_table(rows, clients):
    say("")
    say(
        f"{'request':<52} {'median ms':>9} {'p95 ms':>8} {'rps@1':>7} {f'rps@{clients}':>7} "
        f"{'queries':>8} {'governed/this':>13} {'this/Odoo page':>14}"
    )
    for row in rows:
        ratio = f"{row['governed_over_this']:.2f}x" if "governed_over_this" in row else ""
        queries = ",".join(map(str, row["queries"]))
        say(
            f"{row['name']:<52} {row['median_ms']:>9.1f} {row['p95_ms']:>8.1f} {row['rps_1']:>7.1f} "
            f"{row[f'rps_{clients}']:>7.1f} {queries:>8} {ratio:>13} {row['over_odoo_page']:>13.2f}x"
        )


def markdown(results, clients):
    """The request table, the query counts and the plans, as Markdown for docs/performance.md."""
    settings = results["machine"].get("postgresql")
    warning = settings and buffer_pool_warning(settings)
    out = [
        *([postgres_line(settings), ""] if settings else []),
        *([f"**Warning:** {warning}.", ""] if warning else []),
        f"| request | median ms | p95 ms | req/s, 1 client | req/s, {clients} clients | SQL queries "
        "| governed / this | this / Odoo's page |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results["requests"]:
        ratio = f"{row['governed_over_this']:.2f}x" if "governed_over_this" in row else ""
        out.append(
            f"| {row['name']} | {row['median_ms']:.1f} | {row['p95_ms']:.1f} | {row['rps_1']:.1f} "
            f"| {row[f'rps_{clients}']:.1f} | {','.join(map(str, row['queries']))} | {ratio} "
            f"| {row['over_odoo_page']:.2f}x |"
        )
    out += ["", "| request | SQL queries per request |", "|---|---:|"]
    out += [
        f"| {name} | {','.join(map(str, sorted(set(counts))))} |"
        for name, counts in results["query_counts"].items()
    ]
    for label, lines in results["explain"].items():
        out += ["", f"`EXPLAIN (ANALYZE, BUFFERS)`, {label}:", "", "```text", *lines, "```"]
    return "\n".join(out) + "\n"


def cursor_secret(server):
    """The server's token secret, which also signs list cursors (the deep page starts from one)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(server.config)
    return parser["options"]["abs_jwt_secret"]


def relay_benchmark():
    script = HERE / "bench_relay.py"
    if not script.exists():
        say("RELAY benchmarks/bench_relay.py is not there yet: relay figures not measured")
        return []
    say("RELAY running benchmarks/bench_relay.py (outbox backlog -> MQTT broker) ...")
    completed = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=False)
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    say("\n".join(f"RELAY {line}" for line in lines))
    if completed.returncode:
        say(f"RELAY bench_relay.py failed (exit {completed.returncode}): {completed.stderr[-1000:]}")
    return lines


def machine():
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    mem_kb = int(
        next(
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    )
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "load_average": os.getloadavg(),
    }


# What the operations guide sizes for a million customers (docs/operations/scaling.md): the
# figures at that size depend on these as much as on the code, so every run records them.
POSTGRES_SETTINGS = ("shared_buffers", "effective_cache_size", "work_mem", "random_page_cost", "jit")
# What every list request reads: the partners and the assignment rows, with their indexes.
HOT_TABLES = ("res_partner", "ov_sa_customer_assignment")
_HOT_TABLES_NAMED = " and ".join(HOT_TABLES)


def postgres_settings(cr):
    """The server's version, :data:`POSTGRES_SETTINGS`, and the sizes of the buffer pool and of
    :data:`HOT_TABLES` in bytes."""
    cr.execute("SELECT current_setting('server_version'), pg_size_bytes(current_setting('shared_buffers'))")
    version, buffer_bytes = cr.fetchone()
    cr.execute(
        "SELECT name, current_setting(name) FROM unnest(%s::text[]) AS name", [list(POSTGRES_SETTINGS)]
    )
    settings = dict(cr.fetchall())
    cr.execute(
        "SELECT sum(pg_total_relation_size(name::regclass))::bigint FROM unnest(%s::text[]) AS name",
        [list(HOT_TABLES)],
    )
    return {
        "version": version,
        **settings,
        "shared_buffers_bytes": buffer_bytes,
        "hot_tables_bytes": cr.fetchone()[0],
    }


def buffer_pool_warning(settings):
    """A warning when the buffer pool cannot hold what every list request reads, else None: the
    requests then read pages through the operating system's cache, which a small database does
    not, so the figures grow with the data for a reason the code does not have."""
    if settings["shared_buffers_bytes"] >= settings["hot_tables_bytes"]:
        return None
    return (
        f"shared_buffers ({settings['shared_buffers']}) is smaller than {_HOT_TABLES_NAMED} "
        f"({_hot_tables_size(settings)} with their indexes): requests read pages through "
        "the OS cache; docs/operations/scaling.md sizes it at 25 % of RAM"
    )


def postgres_line(settings):
    """The settings as one line of the benchmark's output and Markdown."""
    named = ", ".join(f"{name} {settings[name]}" for name in POSTGRES_SETTINGS)
    return f"PostgreSQL {settings['version']}: {named}; {_HOT_TABLES_NAMED} {_hot_tables_size(settings)}"


def _hot_tables_size(settings):
    return f"{settings['hot_tables_bytes'] / 2**20:,.0f} MB"


# ----------------------------------------------------------------------------- main


def add_data_arguments(parser):
    """The options of the seeded data and its database, shared by the benchmarks built on :func:`seed`."""
    parser.add_argument("--customers", type=int, default=100_000, help="customers to seed (default 100,000)")
    parser.add_argument("--sas", type=int, default=50, help="branch service accounts (default 50)")
    parser.add_argument("--agents", type=int, default=500, help="agents, at least --sas (default 500)")
    parser.add_argument("--unassigned", type=float, default=0.2, help="share of unassigned customers")
    parser.add_argument("--archived", type=float, default=0.05, help="share of archived customers")
    parser.add_argument("--seed", type=float, default=0.42, help="random seed of the data (-1..1)")
    parser.add_argument("--template", default=odoo_cli.TEMPLATE_DB)
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        help="reuse --db if an earlier --keep-db run seeded it (and keep it)",
    )


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_data_arguments(parser)
    parser.add_argument(
        "--layout",
        choices=("spread", "one-sa"),
        default="spread",
        help="spread: customers over --sas SAs (default); one-sa: all in ONE SA with 9 agents "
        "(the benchmarked one owns about 10 %%) and 10 %% unassigned "
        "(overrides --sas, --agents, --unassigned)",
    )
    parser.add_argument("--requests", type=int, default=200, help="timed requests per scenario (default 200)")
    parser.add_argument(
        "--search-requests",
        type=int,
        default=40,
        help="timed requests per full-text search scenario (default 40: they scan)",
    )
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients for the throughput figure")
    parser.add_argument("--query-runs", type=int, default=5, help="requests per scenario for query counts")
    parser.add_argument("--db", default="abs_bench_gov")
    parser.add_argument("--no-relay", action="store_true", help="skip benchmarks/bench_relay.py")
    parser.add_argument(
        "--json", type=Path, help="also write every figure to this JSON file, and Markdown tables next to it"
    )
    args = parser.parse_args(argv)
    if args.layout == "one-sa":
        for name, value in ONE_SA_LAYOUT.items():
            setattr(args, name, value)
    if args.agents < args.sas:
        parser.error("--agents must be at least --sas: every SA gets an agent")
    if args.customers < 1000:
        parser.error("--customers must be at least 1000")
    return args


def run_http(server, actors, args):
    http = Http(server.base_url)
    groups = scenarios(http, actors, args.db, cursor_secret(server))
    every = [s for items in groups.values() for s in items]
    say(f"HTTP warming up {len(every)} scenarios ...")
    for scenario in every:
        for _ in range(5):
            http.get(scenario)
    for scenario in every:
        scenario.queries = count_queries(http, server, scenario, args.query_runs)
    timed = [s for group, items in groups.items() if not group.startswith("_") for s in items]
    slow_requests = min(args.requests, args.search_requests)
    say(
        f"HTTP timing {len(timed)} scenarios x {args.requests} requests ({slow_requests} for searches), "
        "interleaved ..."
    )
    interleaved_latencies(http, timed, args.requests, slow_requests)
    say(f"HTTP throughput with {args.clients} concurrent clients ...")
    for scenario in timed:
        scenario.rps[args.clients] = throughput(
            http, scenario, args.clients, slow_requests if scenario.slow else args.requests
        )
    return groups


def main(argv=None):
    args = parse_args(argv)
    results = {"arguments": {k: str(v) for k, v in vars(args).items()}, "machine": machine()}
    started = time.perf_counter()
    server = OdooServer(
        args.db,
        mqtt_port=1883,
        extra_config={
            "addons_path": addons_path(),
            "abs_mqtt_host": "",  # events stay in the outbox; the relay has its own benchmark
            "abs_jwt_access_ttl": "86400",  # a million-customer run outlives the default 15 minutes
        },
    )
    reuse = args.reuse_db and seeded(args.db)
    if not reuse:
        create_database(args.db, args.template)
    conn = odoo_cli.connect(args.db)
    try:
        if reuse:
            say(f"BENCH reusing the seeded database {args.db} (seeding and backfill not re-timed)")
            upgrade(args.db)
            with conn.cursor() as cr:
                accounts, people = bench_seed.describe(cr)
            results["backfill"] = ["not re-timed: --reuse-db"]
        else:
            accounts, people, results["backfill"] = seed(conn, args)
        with conn.cursor() as cr:
            results["machine"]["postgresql"] = postgres_settings(cr)
            actors = pick_actors(cr, accounts, people)
            uid = proxy_uid(cr)
            set_proxy_param(cr, uid)
            set_admin_password(cr)
        results["data"] = {
            "layout": args.layout,
            "customers": args.customers,
            "sas": len(accounts),
            "agents": args.agents,
            "largest_sa_customers": actors.big["customers"],
            "smallest_sa_customers": actors.small["customers"],
            "agent_visible_in_largest_sa": actors.visible,
        }
        settings = results["machine"]["postgresql"]
        say(f"MACHINE {postgres_line(settings)}")
        warning = buffer_pool_warning(settings)
        if warning:
            say(f"MACHINE WARNING {warning}")
        say(
            f"DATA largest SA {actors.big['customers']:,} active assignments, smallest "
            f"{actors.small['customers']:,}; benchmarked agent sees {actors.visible:,}"
        )
        results["sql"], results["explain"] = explain(args.db, uid, actors)
        say(f"\nSQL of the governed list page (as the API's proxy user):\n{results['sql']}")
        for label, lines in results["explain"].items():
            say(f"\nEXPLAIN (ANALYZE, BUFFERS) -- {label}")
            say("\n".join(f"  {line}" for line in lines))
        server.start()
        try:
            groups = run_http(server, actors, args)
        finally:
            server.stop()
        results["requests"] = summarize(groups, args.clients)
        results["query_counts"] = {s.name: s.queries for items in groups.values() for s in items}
        print_table(results["requests"], args.clients)
        say("\nSQL queries per request (access log), whatever the page size and SA size:")
        for name, counts in results["query_counts"].items():
            say(f"  {name:<70} {','.join(map(str, sorted(set(counts))))}")
        if not args.no_relay:
            results["relay"] = relay_benchmark()
    finally:
        conn.close()
        if not (args.keep_db or args.reuse_db):
            odoo_cli.drop_database(args.db)
    results["machine"]["load_average_end"] = os.getloadavg()
    say(
        f"\nBENCH total {time.perf_counter() - started:.0f} s; load average {os.getloadavg()}; "
        f"server log {server.log}"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
        args.json.with_suffix(".md").write_text(markdown(results, args.clients))
        say(f"BENCH figures written to {args.json} and {args.json.with_suffix('.md')}")


if __name__ == "__main__":
    main()
