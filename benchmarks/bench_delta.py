"""What does a delta sync cost? GET /api/contacts/changes with no change and with 50 changes.

    ./dev bench delta                                              # 100,000 customers
    ./dev bench delta --customers 1000000 --keep-db --db abs_bench_delta_1m   # seed once, keep
    ./dev bench delta --customers 1000000 --reuse-db --db abs_bench_delta_1m  # time again, no seeding

1. Seeds exactly like bench_governance.py (its database, seeding and backfill code): N customers
   over S SAs, A agents. The seeding itself goes through the change-log triggers. With
   ``--keep-db`` the seeded database is kept; ``--reuse-db`` times it again without seeding.
2. Starts Odoo on loopback, signs in as an agent of the largest SA, and takes the agent's
   snapshot through the endpoint (every page), keeping the cursor.
3. Times, over real HTTP, R rounds of four requests, interleaved so that load from elsewhere on
   the machine hits them alike: a delta with no change (answers nothing), and three baselines
   that show the per-request overhead: ``/bench/floor`` (any Odoo request: no authentication,
   no query of its own), ``GET /api/me/service-accounts`` (the same JWT authentication, no SA)
   and the delta endpoint's cheapest answer (``limit=0``: authenticated, membership checked,
   then refused with 422 before the log is read). Then R deltas after 50 of the agent's visible
   customers were updated and committed (each answers 50 upserts).
4. Prints median / p95, the SQL queries per request and their SQL time (from Odoo's access
   log), the machine's load average, and EXPLAIN (ANALYZE, BUFFERS) of the log query the
   endpoint runs, as the API's proxy user would.

It asserts nothing: it prints figures for docs/performance.md.
"""

import base64
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE)]

import bench_governance as gov  # noqa: E402  (found through the sys.path entry above)
import odoo_cli  # noqa: E402  (bench_governance puts tests/e2e on sys.path)
import requests  # noqa: E402
from odoo_server import OdooServer  # noqa: E402

CHANGES = 50

EXPLAIN_CODE = r"""
import json
from odoo.tools import SQL
from odoo.addons.abs_connector.governance import visibility
P = json.loads(PARAMS)
ctx = env["ov.membership"]._abs_access_context(
    env["res.partner"].browse(P["person_id"]), env["ov.serviced_account"].browse(P["sa_id"]))
changes = env["abs.contact.change"].with_user(P["proxy_uid"])
sql = changes._abs_changed_partner_ids_sql(visibility.change_domain(ctx), P["horizon"], 0, P["limit"] + 1)
print("SQL|" + env.cr.mogrify(sql.code, sql.params).decode(), flush=True)
env.cr.execute(SQL("EXPLAIN (ANALYZE, BUFFERS) %s", sql))
for (line,) in env.cr.fetchall():
    print("EXPLAIN|" + line, flush=True)
"""


def say(*parts):
    print(*parts, flush=True)


def horizon_of(cursor):
    """The horizon a delta cursor carries (payload only; the benchmark never forges one)."""
    body = cursor.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))[5]


def timed_get(session, base_url, path, headers, params=None, expect=200):
    started = time.perf_counter()
    response = session.get(f"{base_url}{path}", params=params, headers=headers, timeout=300)
    seconds = time.perf_counter() - started
    if response.status_code != expect:
        raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:300]}")
    return seconds, response


def sync_page(session, base_url, headers, cursor):
    params = {"limit": "200"}
    if cursor:
        params["cursor"] = cursor
    seconds, response = timed_get(session, base_url, "/api/contacts/changes", headers, params)
    return seconds, response.json()


def touch_customers(conn, sa_id, agent_id, count, round_no):
    """Update ``count`` of the agent's visible customers and commit (the triggers log them)."""
    with conn.cursor() as cr:
        cr.execute(
            """
            UPDATE res_partner SET city = %s
             WHERE id IN (SELECT a.partner_id FROM ov_sa_customer_assignment a
                           JOIN res_partner p ON p.id = a.partner_id
                          WHERE a.account_id = %s AND a.state = 'active' AND p.active
                            AND (a.actor_id = %s OR a.actor_id IS NULL)
                          ORDER BY a.partner_id LIMIT %s)
            """,
            [f"Delta {round_no}", sa_id, agent_id, count],
        )
    conn.commit()


def access_lines(server, since_line):
    """``(path, queries, sql seconds)`` of the access-log lines written since ``since_line``."""
    time.sleep(0.5)  # the access line is written after the response is sent
    lines = server.log.read_text(errors="replace").splitlines()[since_line:]
    return [
        (m.group(2).split("?")[0], int(m.group(4)), float(m.group(5)))
        for m in map(gov.ACCESS_LINE.search, lines)
        if m
    ]


def log_length(server):
    return len(server.log.read_text(errors="replace").splitlines())


def figures(label, seconds, logged=None):
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * len(ms)) - 1)]
    result = {"median_ms": round(statistics.median(ms), 1), "p95_ms": round(p95, 1), "calls": len(ms)}
    queries = ""
    if logged:
        result["queries"] = sorted({count for count, _sql in logged})
        result["sql_median_ms"] = round(statistics.median(sql for _count, sql in logged) * 1000, 1)
        queries = f"   queries {result['queries']}   SQL {result['sql_median_ms']:5.1f} ms"
    say(
        f"DELTA {label:<50} median {result['median_ms']:6.1f} ms   p95 {result['p95_ms']:6.1f} ms"
        f"   ({len(ms)} calls){queries}"
    )
    return result


def main(argv=None):
    args = gov.parse_args(argv)
    results = {"arguments": {k: str(v) for k, v in vars(args).items()}, "machine": gov.machine()}
    started = time.perf_counter()
    if args.db == "abs_bench_gov":
        args.db = "abs_bench_delta"
    server = OdooServer(
        args.db,
        mqtt_port=1883,
        extra_config={"addons_path": gov.addons_path(), "abs_mqtt_host": "", "abs_jwt_access_ttl": "86400"},
    )
    reuse = args.reuse_db and gov.seeded(args.db)
    if not reuse:
        gov.create_database(args.db, args.template)
    conn = odoo_cli.connect(args.db)
    try:
        with conn.cursor() as cr:
            accounts, people = gov.seed(conn, args)[:2] if not reuse else gov.bench_seed.describe(cr)
        with conn.cursor() as cr:
            actors = gov.pick_actors(cr, accounts, people)
            uid = gov.proxy_uid(cr)
            cr.execute("SELECT count(*) FROM abs_contact_change")
            log_rows = cr.fetchone()[0]
        conn.commit()
        say(f"DATA {args.customers:,} customers; change log {log_rows:,} rows; agent sees {actors.visible:,}")
        results["data"] = {"customers": args.customers, "log_rows": log_rows, "agent_visible": actors.visible}
        server.start()
        try:
            results.update(run(server, conn, actors, uid, args))
        finally:
            server.stop()
    finally:
        conn.close()
        if not (args.keep_db or args.reuse_db):
            odoo_cli.drop_database(args.db)
    say(f"\nBENCH total {time.perf_counter() - started:.0f} s; load average {os.getloadavg()}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


def run(server, conn, actors, uid, args):
    session = requests.Session()
    http = gov.Http(server.base_url)
    token = http.token(actors.agent["email"])
    headers = {"Authorization": f"Bearer {token}", "X-SA-ID": str(actors.big["sa_id"])}
    cursor = snapshot(session, server.base_url, headers, actors)
    cursor = drain(session, server.base_url, headers, cursor)
    rounds = max(5, min(args.requests, 200))
    results = {"load_average_before": os.getloadavg()}
    idle, cursor = idle_rounds(session, server, headers, cursor, rounds)
    results.update(idle)
    results["fifty_changes"], cursor = busy_rounds(session, server, conn, headers, cursor, actors, rounds)
    results["load_average_after"] = os.getloadavg()
    say(
        f"DELTA load average (1, 5, 15 min) before {fmt_load(results['load_average_before'])}, "
        f"after {fmt_load(results['load_average_after'])}"
    )
    touch_customers(conn, actors.big["sa_id"], actors.agent["partner_id"], CHANGES, rounds)
    results["sql"], results["explain"] = explain(args, actors, uid, cursor)
    return results


def fmt_load(load):
    return " / ".join(f"{value:.1f}" for value in load)


def snapshot(session, base_url, headers, actors):
    started, cursor, pages, has_more = time.perf_counter(), None, 0, True
    while has_more:
        _seconds, body = sync_page(session, base_url, headers, cursor)
        cursor, has_more, pages = body["next_cursor"], body["has_more"], pages + 1
    say(
        f"DELTA snapshot of {actors.visible:,} customers: {pages} pages in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return cursor


def drain(session, base_url, headers, cursor):
    """Until the horizon passes the seeding's transactions, deltas repeat them (at-least-once)."""
    calls, quiet = 0, False
    while not quiet and calls < 500:
        _s, body = sync_page(session, base_url, headers, cursor)
        cursor, calls = body["next_cursor"], calls + 1
        quiet = not body["upserts"] and not body["removals"] and not body["has_more"]
    say(f"DELTA drained the seeding's changes in {calls} calls")
    return cursor


def idle_rounds(session, server, headers, cursor, rounds):
    """Deltas with no change, interleaved with the three baselines."""
    base = server.base_url
    calls = {
        "floor": lambda: timed_get(session, base, "/bench/floor", {})[0],
        "me": lambda: timed_get(session, base, "/api/me/service-accounts", headers)[0],
        "refused": lambda: timed_get(
            session, base, "/api/contacts/changes", headers, {"limit": "0"}, expect=422
        )[0],
    }
    seconds = {name: [] for name in (*calls, "no_change")}
    sizes = set()
    line = log_length(server)
    for _round in range(rounds):
        for name, call in calls.items():
            seconds[name].append(call())
        took, body = sync_page(session, base, headers, cursor)
        seconds["no_change"].append(took)
        sizes.add(len(body["upserts"]) + len(body["removals"]))
        cursor = body["next_cursor"]
    logged = access_lines(server, line)
    delta_logged = [(q, s) for path, q, s in logged if path == "/api/contacts/changes"]
    labels = {
        "floor": ("/bench/floor (any Odoo request, no auth)", "/bench/floor"),
        "me": ("/api/me/service-accounts (JWT, no SA)", "/api/me/service-accounts"),
    }
    results = {
        name: figures(label, seconds[name], [(q, s) for path, q, s in logged if path == path_])
        for name, (label, path_) in labels.items()
    }
    # the refused calls and the deltas share a path: the refused ones come first in each round
    results["refused"] = figures(
        "changes?limit=0 (auth + membership, then 422)", seconds["refused"], delta_logged[0::2]
    )
    results["no_change"] = figures(
        f"changes with no change (answers {sorted(sizes)})", seconds["no_change"], delta_logged[1::2]
    )
    return results, cursor


def busy_rounds(session, server, conn, headers, cursor, actors, rounds):
    seconds, sizes = [], set()
    line = log_length(server)
    for round_no in range(rounds):
        touch_customers(conn, actors.big["sa_id"], actors.agent["partner_id"], CHANGES, round_no)
        took, body = sync_page(session, server.base_url, headers, cursor)
        seconds.append(took)
        sizes.add(len(body["upserts"]) + len(body["removals"]))
        cursor = body["next_cursor"]
    logged = [(q, s) for path, q, s in access_lines(server, line) if path == "/api/contacts/changes"]
    return figures(f"changes with {CHANGES} changes (answers {sorted(sizes)})", seconds, logged), cursor


def explain(args, actors, uid, cursor):
    params = {
        "person_id": actors.agent["partner_id"],
        "sa_id": actors.big["sa_id"],
        "proxy_uid": uid,
        "horizon": horizon_of(cursor),
        "limit": 200,
    }
    output = gov.odoo_run(
        args.db,
        "--no-http",
        label="explain-delta",
        stdin=f"PARAMS = {json.dumps(json.dumps(params))}\n{EXPLAIN_CODE}",
        subcommand="shell",
    )
    sql = [line[4:] for line in output.splitlines() if line.startswith("SQL|")]
    plan = [line[8:] for line in output.splitlines() if line.startswith("EXPLAIN|")]
    say(f"\nSQL of the delta's log query ({CHANGES} changes pending):\n{sql[0] if sql else '?'}")
    say("\nEXPLAIN (ANALYZE, BUFFERS)\n" + "\n".join(f"  {line}" for line in plan))
    return sql, plan


if __name__ == "__main__":
    main()
