"""Set-based SQL seeding of a governance benchmark database.

Used by bench_governance.py on a database where abs_connector is installed
(the install hook created the global root and the company seed SA). Every
statement is one ``INSERT ... SELECT`` over ``generate_series`` or a join, so a
million customers take seconds, not hours. The data respects every rule the
ORM would enforce: one active assignment per (customer, SA), one employee per
person, unique logins, every SA managed by a staff membership, an expired row
always ending where the next one starts.

Shape (``random()`` seeded, so two runs with the same arguments match):

* ``sas`` branch SAs under the company seed (made with ``create_branch``, so
  each has its staff manager, ``sa_wide`` by role), sizes skewed: SA number k
  gets a customer with probability (k/S)^0.4 - ((k-1)/S)^0.4, so the first SA
  holds about a fifth of all customers and the smallest under 1 %;
* ``agents`` agents (``enroll``), at least one per SA, the rest spread like the
  customers; every tenth agent of an SA (2nd, 12th, ...) has the
  ``assigned_only`` override; each agent also gets a res.users (never used to
  log in: the salesperson of the agent's customers, for Odoo's native rule);
* customers V2-stamped (``x_sa_id``, ``x_actor_id``, ``x_assigned_employee_id``,
  salesperson ``user_id``), each with a name, e-mail, phone and city to search:
  ``unassigned_share`` with no actor, ``archived_share`` archived. Their V3
  assignments come from the real backfill (abs_connector/backfill.py), timed
  by the caller, then :func:`add_history` adds expired history rows in front
  of a share of them.
"""

import time

SKEW = 2.5  # customer -> SA index = 1 + floor(S * random() ^ SKEW)
ASSIGNED_ONLY_EVERY = 10
EMAIL_DOMAIN = "bench.example.com"
CITIES = 2000  # customer g lives in "City <g mod CITIES>": a city search matches 1/CITIES of them


def _now():
    return "NOW() AT TIME ZONE 'UTC'"


def _timed(cr, label, statement, params=None, log=print):
    started = time.perf_counter()
    cr.execute(statement, params)
    rows = cr.rowcount
    log(f"SEED {label:<34} {rows:>10,} rows {time.perf_counter() - started:8.2f} s")
    return rows


# Runs in `odoo-bin shell`: the SAs and their people go through the governance
# model methods (create_branch, enroll), so they carry whatever the ORM adds;
# only the bulk (customers, history) is raw SQL.
SETUP_CODE = r"""
import json
P = json.loads(PARAMS)
Partner, SA = env["res.partner"], env["ov.serviced_account"]
seed = SA._get_company_seed(env.company)
staff = Partner.create([{"name": f"Staff {k}", "email": f"staff{k}@@DOMAIN@", "ref": f"bench:staff:{k}"}
                        for k in range(1, P["sas"] + 1)])
accounts = {k: SA._abs_create_branch({"name": f"Bench Account {k:04d}", "parent_id": seed.id}, person)
            for k, person in enumerate(staff, 1)}
agents = Partner.create([{"name": f"Agent {j}", "email": f"agent{j}@@DOMAIN@", "ref": f"bench:agent:{j}"}
                         for j, _k, _policy in P["agents"]])
for partner, (_j, k, policy) in zip(agents, P["agents"]):
    extra = {"scope_policy": policy} if policy else {}
    env["ov.membership"]._abs_enroll(accounts[k], partner, "agent", **extra)
env.cr.commit()
print("SETUP done", len(accounts), "accounts", len(agents), "agents", flush=True)
""".replace("@DOMAIN@", EMAIL_DOMAIN)


def plan_people(sas, agents, rng):
    """[(agent number, SA number, policy)]: agent j <= S goes to SA j, so every SA has
    one; the rest follow the customer skew; every tenth agent of an SA (2nd, 12th...)
    has the assigned_only override."""
    placed, per_sa = [], {}
    for j in range(1, agents + 1):
        k = j if j <= sas else 1 + int(sas * rng.random() ** SKEW)
        per_sa[k] = per_sa.get(k, 0) + 1
        policy = "assigned_only" if per_sa[k] % ASSIGNED_ONLY_EVERY == 2 else None
        placed.append((j, k, policy))
    return placed


def load_people(cr, company_id, password_hash, log=print):
    """Tables bench_sa / bench_person (who is who, for the SQL below and for --reuse-db),
    the agents' users, everyone's password."""
    cr.execute("""
        DROP TABLE IF EXISTS bench_sa, bench_person;
        CREATE UNLOGGED TABLE bench_sa AS
        SELECT substr(name, 15)::int AS k, id AS sa_id FROM ov_serviced_account
         WHERE name LIKE 'Bench Account %';
        CREATE UNIQUE INDEX ON bench_sa (k);
        CREATE UNLOGGED TABLE bench_person AS
        SELECT split_part(p.ref, ':', 2) AS kind, split_part(p.ref, ':', 3)::int AS num, s.k,
               p.id AS partner_id, p.email, m.id AS membership_id, m.employee_id,
               m.scope_policy AS policy, NULL::int AS user_id, NULL::int AS idx
          FROM res_partner p
          JOIN ov_membership m ON m.person_partner_id = p.id
          JOIN bench_sa s ON s.sa_id = m.serviced_account_id
         WHERE p.ref LIKE 'bench:%';
        UPDATE bench_person b SET idx = r.idx
          FROM (SELECT num, row_number() OVER (PARTITION BY k ORDER BY num) AS idx
                  FROM bench_person WHERE kind = 'agent') r
         WHERE b.kind = 'agent' AND b.num = r.num;
        CREATE INDEX ON bench_person (k, idx);
        CREATE INDEX ON bench_person (partner_id);
        ALTER TABLE bench_sa ADD COLUMN n_agents int;
        UPDATE bench_sa s SET n_agents = (SELECT count(*) FROM bench_person b
                                           WHERE b.kind = 'agent' AND b.k = s.k);
    """)
    _timed(
        cr,
        "agent users (salespersons)",
        f"""
        INSERT INTO res_users (login, partner_id, company_id, notification_type, active, share,
                               create_uid, write_uid, create_date, write_date)
        SELECT email, partner_id, %s, 'email', TRUE, FALSE, 1, 1, {_now()}, {_now()}
          FROM bench_person WHERE kind = 'agent'
    """,
        [company_id],
        log,
    )
    cr.execute(
        """
        UPDATE bench_person b SET user_id = u.id FROM res_users u WHERE u.partner_id = b.partner_id;
        UPDATE abs_employee e SET user_id = b.user_id, password_hash = %s
          FROM bench_person b WHERE b.employee_id = e.id;
        ANALYZE bench_sa;
        ANALYZE bench_person;
    """,
        [password_hash],
    )


def create_customers(cr, customers, sas, unassigned_share, archived_share, log=print):
    """``customers`` V2-stamped customers (no V3 assignment yet: the backfill makes them)."""
    return _timed(
        cr,
        "stamped customers",
        f"""
        INSERT INTO res_partner (id, name, complete_name, email, email_normalized, phone, city,
                                 is_company, type, active, autopost_bills, customer_rank,
                                 commercial_partner_id,
                                 x_sa_id, x_actor_id, x_assigned_employee_id, user_id,
                                 create_uid, write_uid, create_date, write_date)
        SELECT c.id, c.name, c.name, c.email, c.email, '+1 555 ' || lpad(c.g::text, 7, '0'),
               'City ' || lpad((c.g %% {CITIES})::text, 4, '0'), FALSE, 'contact',
               c.r_archived >= %(archived)s, 'ask', 1, c.id,
               s.sa_id, a.partner_id, a.employee_id, a.user_id,
               1, 1, c.created, c.created
          FROM (SELECT nextval('res_partner_id_seq') AS id, g,
                       initcap(substr(md5(g::text), 1, 7)) || ' ' || 'Customer ' || g AS name,
                       'customer' || g || '@{EMAIL_DOMAIN}' AS email,
                       1 + floor(%(sas)s * power(random(), {SKEW}))::int AS k,
                       random() AS r_unassigned, random() AS r_agent, random() AS r_archived,
                       {_now()} - make_interval(secs => floor(random() * 3 * 365 * 86400)::int) AS created
                  FROM generate_series(1, %(customers)s) g) c
          JOIN bench_sa s ON s.k = c.k
     LEFT JOIN bench_person a ON a.kind = 'agent' AND a.k = c.k AND c.r_unassigned >= %(unassigned)s
                             AND a.idx = 1 + floor(c.r_agent * s.n_agents)::int
    """,
        {"customers": customers, "sas": sas, "archived": archived_share, "unassigned": unassigned_share},
        log,
    )


def add_history(cr, first_share=0.3, second_share=0.33, log=print):
    """Expired rows in front of a share of the active assignments (reassignment history).

    ``first_share`` of the active rows get an expired predecessor ending where
    they start, ``second_share`` of those predecessors one more before them.
    The earlier actor is another agent of the same SA (or nobody), the
    reassignment made by the SA's staff manager.
    """
    total = 0
    for label, state, share in (
        ("expired history (1 back)", "active", first_share),
        ("expired history (2 back)", "expired", second_share),
    ):
        total += _timed(
            cr,
            label,
            f"""
            INSERT INTO ov_sa_customer_assignment (account_id, partner_id, actor_id, state,
                                                   date_from, date_to, assigned_by_id, company_id,
                                                   abs_sort_name, abs_customer_active,
                                                   abs_customer_company_id, abs_customer_share,
                                                   create_uid, write_uid, create_date, write_date)
            SELECT a.account_id, a.partner_id, prev.partner_id, 'expired',
                   a.date_from - make_interval(days => 30 + (a.partner_id %% 300)), a.date_from,
                   staff.partner_id, a.company_id, a.abs_sort_name, a.abs_customer_active,
                   a.abs_customer_company_id, a.abs_customer_share, 1, 1, {_now()}, {_now()}
              FROM ov_sa_customer_assignment a
              JOIN bench_sa s ON s.sa_id = a.account_id
              JOIN bench_person staff ON staff.kind = 'staff' AND staff.k = s.k
         LEFT JOIN bench_person cur ON cur.partner_id = a.actor_id
         LEFT JOIN bench_person prev ON prev.kind = 'agent' AND prev.k = s.k AND a.partner_id %% 4 != 0
                                    AND prev.idx = 1 + (COALESCE(cur.idx, 0) + a.partner_id %% 7)
                                                       %% s.n_agents
                                    AND prev.partner_id IS DISTINCT FROM a.actor_id
             WHERE a.state = %(state)s AND random() < %(share)s
        """,
            {"share": share, "state": state},
            log,
        )
    return total


def analyze(cr, log=print):
    started = time.perf_counter()
    for table in (
        "res_partner",
        "ov_sa_customer_assignment",
        "ov_membership",
        "abs_employee",
        "ov_serviced_account",
        "res_users",
    ):
        # VACUUM too: index-only scans need the visibility map of freshly loaded tables.
        cr.execute(f"VACUUM ANALYZE {table}")
    log(f"SEED {'vacuum analyze':<34} {'':>10}      {time.perf_counter() - started:8.2f} s")


def describe(cr):
    """Per-SA figures and the people the benchmark acts as."""
    cr.execute("""
        SELECT s.k, s.sa_id, s.n_agents,
               (SELECT count(*) FROM ov_sa_customer_assignment a WHERE a.account_id = s.sa_id
                                                                  AND a.state = 'active') AS customers
          FROM bench_sa s ORDER BY s.k
    """)
    accounts = [dict(zip(("k", "sa_id", "agents", "customers"), row, strict=True)) for row in cr.fetchall()]
    cr.execute("""SELECT kind, num, k, idx, partner_id, email, user_id, employee_id, membership_id, policy
                    FROM bench_person ORDER BY kind, k, idx NULLS FIRST""")
    names = (
        "kind",
        "num",
        "k",
        "idx",
        "partner_id",
        "email",
        "user_id",
        "employee_id",
        "membership_id",
        "policy",
    )
    people = [dict(zip(names, row, strict=True)) for row in cr.fetchall()]
    return accounts, people
