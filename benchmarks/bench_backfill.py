"""How long does the V3 assignment backfill take for N stamped customers?

    python benchmarks/bench_backfill.py                 # 100,000 customers
    python benchmarks/bench_backfill.py --customers 1000000

Creates its own database from the dependency template (``abs_tmpl_deps``
unless --template), installs abs_connector, creates 20 branch SAs and 200
agents through the ORM, then N V2-stamped customers with one INSERT (blocks
of 1,000 customers per SA, an agent each, one customer in five unassigned,
no assignment), then times the dry run, the backfill, the scheduled action that gives the
customers their account's company (when the run left it more than a batch)
and a second (idempotent) run inside one Odoo process.
It prints seconds and rows/s; it asserts nothing. Run with the project's
virtualenv python; database settings as for tests/e2e (ABS_DB_*).
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

import odoo_cli  # found through the sys.path entry above

BRANCHES = 20
AGENTS = 200

# Runs inside `odoo-bin shell`; times the three phases and prints one line each.
TIMED_BACKFILL = """
import time
from odoo.addons.abs_connector import backfill

def timed(label, func):
    start = time.perf_counter()
    report = func()
    seconds = time.perf_counter() - start
    rows = report["created"] if not report["dry_run"] else report["would_create"]
    rate = rows / seconds if seconds else 0.0
    print(f"BENCH {label:<12} {seconds:9.2f} s  {rows:>9} rows  {rate:>11,.0f} rows/s  "
          f"skipped {report['skipped_total']}", flush=True)

# The scheduled action's batches until no customer awaits its company, a commit after each, as
# Odoo's scheduler runs them.
def drain_companies():
    given = backfill.customers_awaiting_company(env)
    start, batches = time.perf_counter(), 0
    while backfill.customers_awaiting_company(env, limit=1):
        env["ov.sa_customer_assignment"]._cron_assign_customer_companies()
        env.cr.commit()
        batches += 1
    seconds = time.perf_counter() - start
    rate = given / seconds if seconds else 0.0
    print(f"BENCH {'companies':<12} {seconds:9.2f} s  {given:>9} rows  {rate:>11,.0f} rows/s  "
          f"batches {batches} (the scheduled action after the run)", flush=True)

timed("dry run", lambda: backfill.plan(env))
timed("backfill", lambda: backfill.run(env))
env.cr.commit()
drain_companies()
timed("second run", lambda: backfill.run(env))
env.cr.commit()
"""


# Runs inside `odoo-bin shell`: branch SAs and agents through the real model
# methods (other modules add required columns to these tables).
SETUP = """
import json
SA = env["ov.serviced_account"]
seed = SA._get_company_seed(env.ref("base.main_company"))
manager = env["res.partner"].create({"name": "Bench Manager", "email": "bench.manager@example.com"})
branches = [SA._abs_create_branch({"name": f"Bench branch {i}", "parent_id": seed.id}, manager)
            for i in range(%(branches)d)]
agents = env["res.partner"].create([{"name": f"Bench agent {i}", "email": f"bench.agent.{i}@example.com"}
                                    for i in range(%(agents)d)])
for index, agent in enumerate(agents):
    env["ov.membership"]._abs_enroll(branches[index %% len(branches)], agent, "agent")
print("SETUP " + json.dumps({"branches": [b.id for b in branches], "agents": agents.ids}))
env.cr.commit()
"""


def _prepare(dbname, customers):
    """Branch SAs and agents through the ORM, then N stamped customers with one INSERT."""
    output = odoo_cli.shell(dbname, SETUP % {"branches": BRANCHES, "agents": AGENTS}, label="bench-setup")
    ids = json.loads(next(line for line in output.splitlines() if line.startswith("SETUP "))[6:])
    conn = odoo_cli.connect(dbname)
    started = time.perf_counter()
    with conn.cursor() as cr:
        # V2 customers: stamps, no assignment. One in five has no actor (unassigned).
        cr.execute(
            """
            INSERT INTO res_partner (name, complete_name, active, type, is_company, autopost_bills,
                                     x_sa_id, x_actor_id, create_date, write_date)
            SELECT 'Bench customer ' || g, 'Bench customer ' || g, TRUE, 'contact', FALSE, 'ask',
                   (%(branches)s::int[])[1 + (g / 1000) %% array_length(%(branches)s::int[], 1)],
                   CASE WHEN g %% 5 = 0 THEN NULL
                        ELSE (%(agents)s::int[])[1 + g %% array_length(%(agents)s::int[], 1)] END,
                   NOW() AT TIME ZONE 'UTC' - make_interval(mins => g %% 100000),
                   NOW() AT TIME ZONE 'UTC'
              FROM generate_series(1, %(customers)s) g
            """,
            {"branches": ids["branches"], "agents": ids["agents"], "customers": customers},
        )
        cr.execute("ANALYZE res_partner")
        cr.execute("ANALYZE ov_sa_customer_assignment")
    conn.close()
    print(
        f"BENCH stamped {customers:,} customers over {BRANCHES} SAs in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--db", default="abs_bench_backfill")
    parser.add_argument("--template", default=odoo_cli.TEMPLATE_DB)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)

    print(f"BENCH creating {args.db} from {args.template} and installing abs_connector ...", flush=True)
    odoo_cli.create_database(args.db, args.template)
    try:
        odoo_cli.install(args.db)
        _prepare(args.db, args.customers)
        output = odoo_cli.shell(args.db, TIMED_BACKFILL, label="bench")
        print("\n".join(line for line in output.splitlines() if line.startswith("BENCH")))
    finally:
        if not args.keep:
            odoo_cli.drop_database(args.db)


if __name__ == "__main__":
    main()
