"""Backfill of V3 customer assignments from the V2 stamps on res.partner.

Customers created before V3 carry ``x_sa_id`` / ``x_actor_id`` but have no
``ov.sa_customer_assignment`` row. This module gives each of them one active
assignment (a NULL ``x_actor_id`` means unassigned), with set-based SQL only:
the whole job is one classification query and one ``INSERT ... SELECT``, so it
runs in seconds on a million customers where a per-record ORM loop would take
hours.

Used by the 18.0.1.1.0 upgrade script, the install hook, the
``POST /api/migration/backfill-customer-assignments`` endpoint and the
back-office wizard, so all of them classify and count stamps the same way.

Rules:

* a stamp is migrated only if the (customer, SA) pair has no assignment row at
  all: a pair V3 already knows (even as expired history) is left alone, which
  is also what makes a second run create nothing;
* stamps pointing at a missing SA, an inactive SA or an actor partner that no
  longer exists are skipped and reported (count + sample, and a warning in the
  server log) rather than guessed at;
* a customer assigned by another transaction while the backfill runs is never
  assigned twice: the insert waits on the partial unique index for that
  transaction, then (Odoo's transactions are REPEATABLE READ) fails with a
  serialization error, which Odoo answers for a request by running it again;
  the new run finds the row. ``ON CONFLICT (partner_id, account_id) WHERE
  state = 'active' DO NOTHING`` would skip a conflicting row only under READ
  COMMITTED, so ``conflicts`` stays 0 under Odoo. A bulk load (below) has no
  index to wait on: the unique index it rebuilds finds the pair twice, and the
  run fails with a ``GovernanceConflict`` (409) that says to run it again;
* no event is emitted: the backfill records assignments that already existed
  in V2, it does not assign anybody.

A run that creates many rows at once (an upgrade, a first import: at least
``BULK_MIN_ROWS``) loads them in bulk: it locks the assignment table and the
tables its foreign keys point to, drops every index but the primary key (the
one-active unique index included: under those locks the classification has
already left out every pair the table holds, so the plain INSERT needs no
arbiter) and the foreign keys, inserts, then rebuilds the indexes (one sort
each) and re-adds the foreign keys (one validating join each) instead of
maintaining and checking them row by row. Instead of a delta-sync change-log
row per customer it makes every sync cursor issued before it answer
``expired`` (a client takes a new snapshot). Everything happens in the caller's transaction, so a failure
leaves the table as it was. The locks are listed in docs/operations/upgrade.md.

Each governed customer then belongs to its account's company
(:func:`give_customers_their_companies`). That rewrites the customer's partner row with every
index Odoo keeps on contacts (about 35, six of them trigram indexes), some 20 times the cost of
its assignment row: up to ``COMPANY_BATCH_SIZE`` customers are given their company in the
run's transaction; more are left to the scheduled action "Governance: give governed customers
their account's company", which takes them a batch per transaction, with its progress, so that
no transaction holds a million contacts locked for minutes.
"""

import logging
from contextlib import contextmanager, nullcontext

from psycopg2 import errors as pg_errors

from odoo.exceptions import UserError
from odoo.tools import SQL

from . import lapse_marker
from .elevation import elevate
from .exceptions import GovernanceConflict

_logger = logging.getLogger(__name__)

CREATE = "create"
ALREADY_PRESENT = "already_present"
MISSING_SA = "missing_sa"
INACTIVE_SA = "inactive_sa"
MISSING_ACTOR = "missing_actor"
SKIP_REASONS = (MISSING_SA, INACTIVE_SA, MISSING_ACTOR)
SKIP_MESSAGES = {
    MISSING_SA: "x_sa_id points at a Service Account that does not exist",
    INACTIVE_SA: "x_sa_id points at an inactive (archived) Service Account",
    MISSING_ACTOR: "x_actor_id points at a partner that does not exist",
}
DEFAULT_SAMPLE_SIZE = 10

ASSIGNMENT_TABLE = "ov_sa_customer_assignment"
# From this many rows on, rebuilding indexes and validating foreign keys once
# beats maintaining them per row (ten times faster at a million rows).
BULK_MIN_ROWS = 50_000
# A bulk load waits at most this long for its exclusive locks, then falls back
# to the row-by-row path rather than queue every other request behind it.
BULK_LOCK_TIMEOUT = "5s"
# Customers given their account's company in one transaction: a run with more leaves them to the
# scheduled action, a batch of this many per transaction (about 10 s each on 2 cores, the
# customers' assignment rows included: customer_standing.py).
COMPANY_BATCH_SIZE = 20_000
# Memory for the bulk load's hash joins and index sorts, for this transaction only.
BULK_SETTINGS = {"work_mem": "256MB", "maintenance_work_mem": "512MB"}
# The scheduled action that gives governed customers their account's company in batches.
COMPANY_CRON = "abs_connector.ir_cron_abs_assign_customer_companies"
# The delta-sync log's trigger on new assignments (models/abs_contact_change.py).
CHANGE_LOG_INSERT_TRIGGER = "abs_contact_change_assignment_ins"
# Triggers that fill what the bulk INSERT gives itself (the customer's sort name and standing):
# off during the load, as each costs about 0.3 s a million rows only to find its work done.
FILLED_BY_THE_INSERT_TRIGGERS = ("abs_assignment_sort_name_ins", "abs_assignment_standing_ins")

# Columns the INSERT fills itself; any other stored computed field of the
# assignment model is recomputed by the ORM after the insert. The stored
# company (related to the SA's) and the assigned/unassigned status are filled
# by the INSERT too: recomputing them through the ORM would cost minutes on a
# million rows. So are the customer's sort name and standing (customer_standing.py),
# which triggers would otherwise look up row by row.
_INSERTED_COLUMNS = {
    "account_id",
    "partner_id",
    "actor_id",
    "state",
    "date_from",
    "create_uid",
    "write_uid",
    "create_date",
    "write_date",
    "company_id",
    "assignment_status",
    "abs_sort_name",
}


def _check_company(env, company_id):
    if company_id in (None, False):
        return None
    if isinstance(company_id, bool) or not isinstance(company_id, int):
        raise UserError(
            env._("The company must be given by its id (a whole number), not %(value)r.", value=company_id)
        )
    companies = elevate(env["res.company"], "any company id is checked, readable or not")
    if not companies.with_context(active_test=False).browse(company_id).exists():
        raise UserError(env._("There is no company with id %(id)s.", id=company_id))
    return company_id


def _sa_is_inactive(env):
    """SQL condition (on alias ``sa``) for an SA the backfill must not populate."""
    condition = SQL("sa.state IS DISTINCT FROM 'active'")
    if "active" in env["ov.serviced_account"]._fields:
        condition = SQL("(%s OR sa.active IS NOT TRUE)", condition)
    return condition


def _classified_stamps(env, company_id):
    """One row per stamped customer: partner_id, account_id, actor_id, date_from, outcome.

    With ``company_id``, only stamps whose SA belongs to that company; a stamp
    whose SA is missing has no company, so it is attributed to the customer's
    own company.
    """
    scope = SQL("TRUE")
    if company_id:
        scope = SQL(
            "(sa.company_id = %(company)s OR (sa.id IS NULL AND rp.company_id = %(company)s))",
            company=company_id,
        )
    return SQL(
        """
        SELECT rp.id AS partner_id,
               rp.x_sa_id AS account_id,
               rp.x_actor_id AS actor_id,
               rp.complete_name AS sort_name,
               rp.active AS customer_active,
               rp.company_id AS customer_company_id,
               rp.partner_share AS customer_share,
               sa.company_id AS company_id,
               COALESCE(rp.create_date, NOW() AT TIME ZONE 'UTC') AS date_from,
               CASE
                   WHEN known.partner_id IS NOT NULL THEN %(already_present)s
                   WHEN sa.id IS NULL THEN %(missing_sa)s
                   WHEN %(sa_inactive)s THEN %(inactive_sa)s
                   WHEN rp.x_actor_id IS NOT NULL AND actor.id IS NULL THEN %(missing_actor)s
                   ELSE %(create)s
               END AS outcome
          FROM res_partner rp
     LEFT JOIN ov_serviced_account sa ON sa.id = rp.x_sa_id
     LEFT JOIN res_partner actor ON actor.id = rp.x_actor_id
     -- A join, not a correlated EXISTS: inside INSERT ... SELECT a per-row
     -- sub-plan would rescan the table being filled, quadratic on big runs.
     LEFT JOIN (SELECT DISTINCT a.partner_id, a.account_id FROM ov_sa_customer_assignment a) known
            ON known.partner_id = rp.id AND known.account_id = rp.x_sa_id
         WHERE rp.x_sa_id IS NOT NULL
           AND %(scope)s
        """,
        already_present=ALREADY_PRESENT,
        missing_sa=MISSING_SA,
        sa_inactive=_sa_is_inactive(env),
        inactive_sa=INACTIVE_SA,
        missing_actor=MISSING_ACTOR,
        create=CREATE,
        scope=scope,
    )


def _counts(env, classified):
    env.cr.execute(SQL("SELECT c.outcome, COUNT(*) FROM (%s) c GROUP BY c.outcome", classified))
    counts = dict.fromkeys((CREATE, ALREADY_PRESENT, *SKIP_REASONS), 0)
    counts.update(dict(env.cr.fetchall()))
    return counts


def _samples(env, classified, sample_size, counts):
    """Up to ``sample_size`` rows per outcome (except already-present ones), lowest ids first.

    Each outcome found (``counts``) keeps its first rows as it classifies (a bounded sort), where
    numbering every row would sort them all: 3.6 s instead of about 1 s at a million stamps.
    """
    outcomes = [outcome for outcome, count in counts.items() if count and outcome != ALREADY_PRESENT]
    if sample_size <= 0 or not outcomes:
        return {}
    env.cr.execute(
        SQL(
            """
        SELECT s.outcome, s.partner_id, p.name, s.account_id, sa.name, s.actor_id
          FROM unnest(%(outcomes)s::varchar[]) AS found(outcome)
    CROSS JOIN LATERAL (SELECT c.*
                          FROM (%(classified)s) c
                         WHERE c.outcome = found.outcome
                      ORDER BY c.partner_id
                         LIMIT %(size)s) s
          JOIN res_partner p ON p.id = s.partner_id
     LEFT JOIN ov_serviced_account sa ON sa.id = s.account_id
      ORDER BY s.outcome, s.partner_id
        """,
            classified=classified,
            outcomes=outcomes,
            size=sample_size,
        )
    )
    samples = {}
    for outcome, partner_id, partner_name, account_id, account_name, actor_id in env.cr.fetchall():
        row = {
            "partner_id": partner_id,
            "partner_name": partner_name,
            "account_id": account_id,
            "account_name": account_name,
            "actor_id": actor_id,
        }
        if outcome != CREATE:
            row["reason"] = outcome
            row["message"] = SKIP_MESSAGES[outcome]
        samples.setdefault(outcome, []).append(row)
    return samples


def _report(company_id, dry_run, counts, samples):
    skipped = {reason: counts[reason] for reason in SKIP_REASONS}
    return {
        "company_id": company_id,
        "dry_run": dry_run,
        "would_create": counts[CREATE],
        "created": 0,
        "conflicts": 0,
        "companies_deferred": False,
        "already_present": counts[ALREADY_PRESENT],
        "skipped": skipped,
        "skipped_total": sum(skipped.values()),
        "sample": samples.get(CREATE, []),
        "skipped_sample": [row for reason in SKIP_REASONS for row in samples.get(reason, [])],
    }


def plan(env, company_id=None, sample_size=DEFAULT_SAMPLE_SIZE):
    """Dry run: what a run would create and skip, with a sample. Writes nothing."""
    company_id = _check_company(env, company_id)
    # Pending ORM writes to the stamps or assignments must be visible to SQL.
    env.flush_all()
    classified = _classified_stamps(env, company_id)
    counts = _counts(env, classified)
    report = _report(company_id, True, counts, _samples(env, classified, sample_size, counts))
    _logger.info(
        "abs_connector backfill dry run (company=%s): would create %s, already present %s, skip %s %s",
        company_id or "all",
        report["would_create"],
        report["already_present"],
        report["skipped_total"],
        report["skipped"],
    )
    return report


def run(env, company_id=None, sample_size=DEFAULT_SAMPLE_SIZE, bulk=None):
    """Create the missing assignments; return the same report as :func:`plan` plus ``created``.

    :param bulk: load in bulk (module docstring); ``None`` decides from the
        number of rows to create (``BULK_MIN_ROWS``).
    """
    company_id = _check_company(env, company_id)
    env.flush_all()
    classified = _classified_stamps(env, company_id)
    counts = _counts(env, classified)
    report = _report(company_id, False, counts, _samples(env, classified, sample_size, counts))
    if report["would_create"]:
        if bulk is None:
            bulk = report["would_create"] >= BULK_MIN_ROWS
        bulk = bulk and _lock_for_bulk_load(env)
        report["created"] = _insert_assignments(env, classified, bulk)
        # as every customer created since 18.0.1.2.0: it belongs to its account's company, so
        # that users of other companies do not see it
        report["companies_deferred"] = give_customers_their_companies(env, company_id)
    # Rows skipped by ON CONFLICT; 0 under REPEATABLE READ, where a row assigned by someone else
    # while we ran is a serialization error instead (module docstring)
    report["conflicts"] = report["would_create"] - report["created"]
    _logger.info(
        "abs_connector backfill (company=%s): created %s, already present %s, conflicts %s, skipped %s %s",
        company_id or "all",
        report["created"],
        report["already_present"],
        report["conflicts"],
        report["skipped_total"],
        report["skipped"],
    )
    if report["skipped_total"]:
        _logger.warning(
            "abs_connector backfill skipped %s stamped customer(s) %s; first ones: %s",
            report["skipped_total"],
            report["skipped"],
            ", ".join(
                "partner {partner_id} -> SA {account_id} ({reason})".format_map(row)
                for row in report["skipped_sample"]
            ),
        )
    return report


def _insert_assignments(env, classified, bulk=False):
    Assignment = env["ov.sa_customer_assignment"]
    to_recompute = _stored_computed_fields(Assignment)
    company = _company_field(Assignment)
    with _bulk_load(env) if bulk else nullcontext():
        created, new_ids = _insert_rows(env, classified, company, to_recompute, arbiter=not bulk)
    if created:
        # Fresh statistics, so the next queries (a second run, the visibility
        # sub-selects) are planned for the table's real size, not an empty one.
        env.cr.execute(SQL("ANALYZE ov_sa_customer_assignment"))
    # The ORM did not see these rows: drop what it cached about assignments.
    Assignment.invalidate_model()
    env["res.partner"].invalidate_model(["assignment_ids"])
    if new_ids:
        new_rows = Assignment.browse(new_ids)
        for field in to_recompute:
            env.add_to_compute(field, new_rows)
        new_rows.flush_recordset([field.name for field in to_recompute])
    return created


def _insert_rows(env, classified, company, to_recompute, arbiter=True):
    """The one ``INSERT ... SELECT``; returns (rows created, their ids if the ORM needs them).

    :param arbiter: skip a pair another transaction made active meanwhile (``ON CONFLICT``
        on the one-active index); a bulk load, which has dropped that index, inserts plainly.
    """
    env.cr.execute(
        SQL(
            """
        INSERT INTO ov_sa_customer_assignment
               (account_id, partner_id, actor_id, state, date_from, assignment_status, abs_sort_name,
                abs_customer_active, abs_customer_company_id, abs_customer_share,
                create_uid, write_uid, create_date, write_date %(company_column)s)
        SELECT c.account_id, c.partner_id, c.actor_id, 'active', c.date_from,
               CASE WHEN c.actor_id IS NULL THEN 'unassigned' ELSE 'assigned' END, c.sort_name,
               c.customer_active, c.customer_company_id, c.customer_share,
               %(uid)s, %(uid)s, NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC' %(company_value)s
          FROM (%(classified)s) c
         WHERE c.outcome = %(create)s
        %(on_conflict)s
        %(returning)s
        """,
            uid=env.uid,
            company_column=SQL(", company_id") if company else SQL(),
            company_value=SQL(", c.company_id") if company else SQL(),
            classified=classified,
            create=CREATE,
            on_conflict=SQL("ON CONFLICT (partner_id, account_id) WHERE state = 'active' DO NOTHING")
            if arbiter
            else SQL(),
            # Fetching a million ids is only worth it when the ORM has fields to fill.
            returning=SQL("RETURNING id") if to_recompute else SQL(),
        )
    )
    created = env.cr.rowcount
    return created, [row[0] for row in env.cr.fetchall()] if to_recompute else []


# ---- bulk load ----


def _rebuilt_indexes(cr):
    """(name, definition) of the assignment table's indexes a bulk load rebuilds.

    All but the primary key (other tables' foreign keys rest on it) and any index
    a constraint owns. Maintaining the one-active unique index row by row cost the
    INSERT more than half its time at a million rows (and ``ON CONFLICT`` another
    quarter); built once at the end, it costs under a second.
    """
    cr.execute(
        SQL(
            """
        SELECT index.relname, pg_get_indexdef(i.indexrelid)
          FROM pg_index i
          JOIN pg_class index ON index.oid = i.indexrelid
         WHERE i.indrelid = %(table)s::regclass
           AND NOT i.indisprimary
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
      ORDER BY index.relname
        """,
            table=ASSIGNMENT_TABLE,
        )
    )
    return cr.fetchall()


def _foreign_keys(cr):
    """(name, definition, referenced table) of the assignment table's foreign keys."""
    cr.execute(
        SQL(
            """
        SELECT c.conname, pg_get_constraintdef(c.oid), c.confrelid::regclass::text
          FROM pg_constraint c
         WHERE c.conrelid = %(table)s::regclass AND c.contype = 'f'
      ORDER BY c.conname
        """,
            table=ASSIGNMENT_TABLE,
        )
    )
    return cr.fetchall()


def _set_local(cr, settings):
    """Set ``settings`` for the rest of the transaction; returns the previous values."""
    previous = {}
    for name, value in settings.items():
        cr.execute(SQL("SELECT current_setting(%s), set_config(%s, %s, true)", name, name, value))
        previous[name] = cr.fetchone()[0]
    return previous


def _lock_for_bulk_load(env):
    """Take the bulk load's exclusive locks, or answer False if others hold them too long.

    Dropping a foreign key locks both its tables in ACCESS EXCLUSIVE mode;
    taking every lock first, with a timeout, keeps a busy server from queueing
    behind a bulk load that waits for a long transaction.
    """
    cr = env.cr
    tables = sorted({ASSIGNMENT_TABLE, *(referenced for _name, _definition, referenced in _foreign_keys(cr))})
    previous = _set_local(cr, {"lock_timeout": BULK_LOCK_TIMEOUT})
    try:
        with cr.savepoint(flush=False):
            cr.execute(
                SQL(
                    "LOCK TABLE %s IN ACCESS EXCLUSIVE MODE",
                    SQL(", ").join(SQL.identifier(table) for table in tables),
                )
            )
    except (pg_errors.LockNotAvailable, pg_errors.DeadlockDetected):
        # a deadlock: a request held one of the later tables and then asked for one this load
        # had already locked; the savepoint gives back what it took, and the request goes on
        _logger.warning(
            "abs_connector backfill: %s stayed locked by other transactions for %s (or they waited "
            "on this load); loading row by row instead of in bulk",
            ", ".join(tables),
            BULK_LOCK_TIMEOUT,
        )
        return False
    finally:
        _set_local(cr, previous)
    return True


@contextmanager
def _bulk_load(env):
    """Around the INSERT: indexes, foreign keys and the triggers it makes redundant (the change
    log's, the lapse marker's, the sort name's and standing's) off, then back.

    The caller holds :func:`_lock_for_bulk_load`'s locks, so no other
    transaction writes the table meanwhile.
    """
    cr = env.cr
    indexes = _rebuilt_indexes(cr)
    foreign_keys = _foreign_keys(cr)
    silenced = _redundant_triggers(cr)
    previous = _set_local(cr, BULK_SETTINGS)
    for name, _definition in indexes:
        cr.execute(SQL("DROP INDEX %s", SQL.identifier(name)))
    for name, _definition, _referenced in foreign_keys:
        cr.execute(
            SQL("ALTER TABLE %s DROP CONSTRAINT %s", SQL.identifier(ASSIGNMENT_TABLE), SQL.identifier(name))
        )
    _switch_triggers(cr, silenced, "DISABLE")
    yield
    _switch_triggers(cr, silenced, "ENABLE")
    if CHANGE_LOG_INSERT_TRIGGER in silenced:
        # The rows were not logged one by one: no sync cursor may skip them.
        env["abs.contact.change"]._abs_expire_cursors_issued_before_commit()
    if lapse_marker.ASSIGNMENT_INSERT_TRIGGER in silenced:
        # Cheaper than finding whose memberships the million rows concern: the gate looks at
        # every ended membership once more, and settles it again.
        cr.execute(lapse_marker.unsettle_all_sql())
    for _name, definition in indexes:
        _rebuild_index(env, definition)
    for name, definition, _referenced in foreign_keys:
        cr.execute(
            SQL(
                "ALTER TABLE %s ADD CONSTRAINT %s %s",
                SQL.identifier(ASSIGNMENT_TABLE),
                SQL.identifier(name),
                SQL(definition),  # PostgreSQL's own definition of the constraint
            )
        )
    _set_local(cr, previous)


def _rebuild_index(env, definition):
    """Build an index again from PostgreSQL's own definition of it.

    :raise GovernanceConflict: the one-active index finds a pair twice: a transaction that
        began after this run's snapshot and committed before its locks gave a stamped customer
        its active row, which the classification could not see. The transaction is left
        aborted: nothing is changed.
    """
    try:
        env.cr.execute(SQL(definition))
    except pg_errors.UniqueViolation:
        raise GovernanceConflict(
            env._(
                "Customers were assigned by someone else while the backfill was starting, so it changed "
                "nothing. Run it again: it will leave those customers as they are."
            )
        ) from None


def _has_trigger(cr, name):
    cr.execute(
        SQL(
            "SELECT 1 FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = %s",
            ASSIGNMENT_TABLE,
            name,
        )
    )
    return bool(cr.fetchone())


def _redundant_triggers(cr):
    """The assignment table's triggers whose work the bulk INSERT does itself or makes moot."""
    return [
        name
        for name in (
            CHANGE_LOG_INSERT_TRIGGER,
            lapse_marker.ASSIGNMENT_INSERT_TRIGGER,
            *FILLED_BY_THE_INSERT_TRIGGERS,
        )
        if _has_trigger(cr, name)
    ]


def _switch_triggers(cr, names, action):
    for name in names:
        cr.execute(
            SQL(
                "ALTER TABLE %s %s TRIGGER %s",
                SQL.identifier(ASSIGNMENT_TABLE),
                SQL(action),
                SQL.identifier(name),
            )
        )


def _company_field(model):
    """Whether the model stores the SA's company (``related="account_id.company_id"``)."""
    field = model._fields.get("company_id")
    return bool(field and field.store and field.related == "account_id.company_id")


def _stored_computed_fields(model):
    """Stored computed/related fields the raw INSERT leaves empty (e.g. a stored company)."""
    return [
        field
        for name, field in model._fields.items()
        if field.store
        and field.compute
        and (name not in _INSERTED_COLUMNS or (name == "company_id" and not _company_field(model)))
    ]


def give_customers_their_companies(env, company_id=None):
    """Give each governed customer without a company its Service Account's company
    (:func:`assign_customer_companies`): now when they are at most ``COMPANY_BATCH_SIZE``, else
    by the scheduled action, a batch per transaction (module docstring).

    :param company_id: only the customers that would get this company (None: every one); the
        scheduled action takes those of every company.
    :returns: whether the customers were left to the scheduled action.
    """
    if customers_awaiting_company(env, company_id, limit=COMPANY_BATCH_SIZE + 1) <= COMPANY_BATCH_SIZE:
        assign_customer_companies(env, company_id)
        return False
    cron = elevate(env.ref(COMPANY_CRON), "the backfill hands its long tail to the scheduler")
    cron.active = True
    cron._trigger()
    _logger.info("abs_connector: governed customers get their account's company from the scheduled action")
    return True


def assign_customer_companies(env, company_id=None, limit=None):
    """Give each governed customer without a company its Service Account's company, and its
    contacts and addresses with it, as Odoo's own write of a company does.

    A customer governed in several accounts takes the company of its oldest active
    assignment; a company already set on a partner is left as it is. A customer with a user of
    another company is left out (Odoo refuses that change: the user would lose their own
    partner). Set-based.
    :param company_id: only the customers that would get this company (None: every one).
    :param limit: at most this many customers (None: every one).
    :returns: how many customers got a company.
    """
    env.flush_all()
    env.cr.execute(
        SQL(
            """
        UPDATE res_partner partner
           SET company_id = owner.company_id
          FROM (%s) owner
         WHERE partner.id = owner.partner_id
     RETURNING partner.id
        """,
            _awaiting_company_sql(company_id, limit),
        )
    )
    customer_ids = [row[0] for row in env.cr.fetchall()]
    contacts = _give_contacts_their_customers_company(env, customer_ids)
    env["res.partner"].invalidate_model(["company_id"])
    _logger.info(
        "abs_connector: %s governed customer(s) and %s of their contacts now belong to their "
        "account's company",
        len(customer_ids),
        contacts,
    )
    return len(customer_ids)


def customers_awaiting_company(env, company_id=None, limit=None):
    """How many governed customers :func:`assign_customer_companies` would give a company, counted
    up to ``limit`` (None: all)."""
    env.flush_all()
    if company_id or limit:
        env.cr.execute(SQL("SELECT count(*) FROM (%s) owner", _awaiting_company_sql(company_id, limit)))
    else:
        env.cr.execute(_all_awaiting_company_count_sql())
    return env.cr.fetchone()[0]


def _all_awaiting_company_count_sql():
    """The count of every customer :func:`_awaiting_company_sql` yields, as one hash join: the
    governed customers without a company, less those whose user works in another company than
    their oldest assignment's (read from the users, a few hundred). The scheduled action counts
    what is left after each batch: looked up customer by customer, a million would take 15 s."""
    return SQL(
        """
        SELECT (SELECT count(*) FROM res_partner customer
                 WHERE customer.company_id IS NULL
                   AND EXISTS (SELECT 1 FROM ov_sa_customer_assignment a
                                WHERE a.partner_id = customer.id AND a.state = 'active'))
             - (SELECT count(DISTINCT u.partner_id) FROM res_users u
                  JOIN LATERAL (SELECT oldest.company_id
                                  FROM res_partner customer
                            CROSS JOIN LATERAL (%s) oldest
                                 WHERE customer.id = u.partner_id AND customer.company_id IS NULL) oldest
                    ON TRUE
                 WHERE u.company_id <> oldest.company_id)
        """,
        _oldest_assignment_company_sql(SQL.identifier("customer", "id")),
    )


def _awaiting_company_sql(company_id, limit):
    """The governed customers without a company that take their account's (partner_id,
    company_id): the company of a customer's oldest active assignment, unless the customer's user
    works in another company.

    Read customer by customer from the partners without a company, each one's oldest row looked
    up by its index, so that a batch stops after ``limit`` customers instead of sorting every
    customer's rows first (1.7 s a batch at a million customers).
    """
    return SQL(
        """
        SELECT customer.id AS partner_id, oldest.company_id
          FROM res_partner customer
          JOIN LATERAL (%s) oldest ON TRUE
         WHERE customer.company_id IS NULL
           AND NOT EXISTS (SELECT 1 FROM res_users u
                            WHERE u.partner_id = customer.id AND u.company_id <> oldest.company_id) %s
         %s
        """,
        _oldest_assignment_company_sql(SQL.identifier("customer", "id")),
        SQL("AND oldest.company_id = %s", company_id) if company_id else SQL(),
        SQL("LIMIT %s", limit) if limit else SQL(),
    )


def _oldest_assignment_company_sql(customer_id):
    """The company a governed customer takes (``company_id``): its oldest active assignment's
    Service Account's, looked up by the assignment index. ``customer_id``: the SQL of the
    customer's id, e.g. a column of the enclosing query."""
    return SQL(
        """
        SELECT sa.company_id
          FROM ov_sa_customer_assignment a
          JOIN ov_serviced_account sa ON sa.id = a.account_id
         WHERE a.partner_id = %s AND a.state = 'active'
      ORDER BY a.date_from, a.id
         LIMIT 1
        """,
        customer_id,
    )


def _give_contacts_their_customers_company(env, customer_ids):
    """The contacts and addresses of ``customer_ids`` (same commercial partner) without a
    company take their customer's. :returns: how many."""
    if not customer_ids:
        return 0
    env.cr.execute(
        SQL(
            """
        UPDATE res_partner contact
           SET company_id = customer.company_id
          FROM res_partner customer
         WHERE customer.id = ANY(%s) AND contact.commercial_partner_id = customer.id
           AND contact.id <> customer.id AND contact.company_id IS NULL
           AND NOT EXISTS (SELECT 1 FROM res_users u
                            WHERE u.partner_id = contact.id AND u.company_id <> customer.company_id)
        """,
            customer_ids,
        )
    )
    return env.cr.rowcount


def stamp_documents_of_contacts(env):
    """Give each unstamped document (order, lead, invoice) of a governed customer's contact or
    address the stamps of that customer, as a document created today gets them: the seat rules
    then show it with its customer instead of to every member. Set-based, one ``UPDATE`` per
    document table; a document with a Service Account of its own is left as it is.

    :returns: how many documents got stamps.
    """
    env.flush_all()
    stamped = 0
    for model in _stamped_document_models(env):
        env.cr.execute(
            SQL(
                """
            UPDATE %(table)s document
               SET x_sa_id = customer.x_sa_id, x_actor_id = customer.x_actor_id
              FROM res_partner contact
              JOIN res_partner customer ON customer.id = contact.commercial_partner_id
             WHERE document.%(partner)s = contact.id AND document.x_sa_id IS NULL
               AND contact.x_sa_id IS NULL AND customer.x_sa_id IS NOT NULL
            """,
                table=SQL.identifier(model._table),
                partner=SQL.identifier(model._abs_stamp_partner_field),
            )
        )
        stamped += env.cr.rowcount
        model.invalidate_model(["x_sa_id", "x_actor_id"])
    _logger.info("abs_connector: %s document(s) of customers' contacts now carry their stamps", stamped)
    return stamped


def _stamped_document_models(env):
    """The models whose records take their stamps from a partner field (orders, leads, invoices)."""
    models = (env[name] for name in env["ov.membership"]._abs_governed_models())
    return [model for model in models if model._abs_stamp_partner_field]
