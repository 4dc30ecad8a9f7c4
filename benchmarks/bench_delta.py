"""What does a delta sync cost? GET /api/contacts/changes with no change and with 50 changes.

    ./dev bench delta                         # 100,000 customers
    ./dev bench delta --customers 1000000     # a million (only on a quiet machine)

1. Seeds exactly like bench_governance.py (its database, seeding and backfill code): N customers
   over S SAs, A agents. The seeding itself goes through the change-log triggers.
2. Starts Odoo on loopback, signs in as an agent of the largest SA, and takes the agent's
   snapshot through the endpoint (every page), keeping the cursor.
3. Times, over real HTTP, R deltas with no change (each answers nothing), then R deltas after
   50 of the agent's visible customers were updated and committed (each answers 50 upserts).
4. Prints median / p95, queries per request, and EXPLAIN (ANALYZE, BUFFERS) of the log query
   the endpoint runs, as the API's proxy user would.

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


def sync_page(session, base_url, headers, cursor):
    params = {"limit": "200"}
    if cursor:
        params["cursor"] = cursor
    started = time.perf_counter()
    response = session.get(f"{base_url}/api/contacts/changes", params=params, headers=headers, timeout=300)
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"changes answered {response.status_code}: {response.text[:300]}")
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


def query_count(server, since_line):
    time.sleep(0.5)  # the access line is written after the response is sent
    lines = server.log.read_text(errors="replace").splitlines()[since_line:]
    return [
        int(m.group(4))
        for m in map(gov.ACCESS_LINE.search, lines)
        if m and "/api/contacts/changes" in m.group(2)
    ]


def figures(label, seconds):
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * len(ms)) - 1)]
    say(f"DELTA {label:<44} median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   ({len(ms)} calls)")
    return {"median_ms": round(statistics.median(ms), 1), "p95_ms": round(p95, 1), "calls": len(ms)}


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
    snapshot_started, cursor, pages, has_more = time.perf_counter(), None, 0, True
    while has_more:
        _seconds, body = sync_page(session, server.base_url, headers, cursor)
        cursor, has_more, pages = body["next_cursor"], body["has_more"], pages + 1
    say(
        f"DELTA snapshot of {actors.visible:,} customers: {pages} pages in "
        f"{time.perf_counter() - snapshot_started:.1f} s"
    )
    rounds = max(5, min(args.requests, 100))
    # Until the horizon passes the seeding's transactions, deltas repeat them (at-least-once).
    drained = 0
    while drained < 500:
        drained += 1
        _s, body = sync_page(session, server.base_url, headers, cursor)
        cursor = body["next_cursor"]
        if not body["upserts"] and not body["removals"] and not body["has_more"]:
            break
    say(f"DELTA drained the seeding's changes in {drained} calls")
    log_line = len(server.log.read_text(errors="replace").splitlines())
    idle, idle_sizes = [], set()
    for _round in range(rounds):
        seconds, body = sync_page(session, server.base_url, headers, cursor)
        idle_sizes.add(len(body["upserts"]) + len(body["removals"]))
        idle.append(seconds)
        cursor = body["next_cursor"]
    idle_queries = query_count(server, log_line)
    busy, busy_sizes = [], set()
    log_line = len(server.log.read_text(errors="replace").splitlines())
    for round_no in range(rounds):
        touch_customers(conn, actors.big["sa_id"], actors.agent["partner_id"], CHANGES, round_no)
        seconds, body = sync_page(session, server.base_url, headers, cursor)
        busy.append(seconds)
        busy_sizes.add(len(body["upserts"]) + len(body["removals"]))
        cursor = body["next_cursor"]
    busy_queries = query_count(server, log_line)
    results = {
        "snapshot_pages": pages,
        "no_change": figures(f"with no change (answers {sorted(idle_sizes)})", idle),
        "fifty_changes": figures(f"with {CHANGES} changes (answers {sorted(busy_sizes)})", busy),
        "queries_per_request": {
            "no_change": sorted(set(idle_queries)),
            "fifty_changes": sorted(set(busy_queries)),
        },
    }
    say(
        f"DELTA SQL queries per request: no change {sorted(set(idle_queries))}, "
        f"50 changes {sorted(set(busy_queries))}"
    )
    params = {
        "person_id": actors.agent["partner_id"],
        "sa_id": actors.big["sa_id"],
        "proxy_uid": uid,
        "horizon": horizon_of(cursor),
        "limit": 200,
    }
    touch_customers(conn, actors.big["sa_id"], actors.agent["partner_id"], CHANGES, rounds)
    output = gov.odoo_run(
        args.db,
        "--no-http",
        label="explain-delta",
        stdin=f"PARAMS = {json.dumps(json.dumps(params))}\n{EXPLAIN_CODE}",
        subcommand="shell",
    )
    sql = [line[4:] for line in output.splitlines() if line.startswith("SQL|")]
    plan = [line[8:] for line in output.splitlines() if line.startswith("EXPLAIN|")]
    say(f"\nSQL of the delta's log query (50 changes pending):\n{sql[0] if sql else '?'}")
    say("\nEXPLAIN (ANALYZE, BUFFERS)\n" + "\n".join(f"  {line}" for line in plan))
    results["sql"], results["explain"] = sql, plan
    return results


if __name__ == "__main__":
    main()
