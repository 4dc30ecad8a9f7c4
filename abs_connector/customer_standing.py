"""Each assignment row carries its customer's standing: whether the partner is active, its company
and whether it is a shared partner (docs/adr/0016-assignment-customer-standing.md).

Those are the columns Odoo's own search of partners tests for the API's proxy user: the active
test and the multi-company rule. A list's bounded count reads them from the index its rows are
read from (``driven_lists.DrivenCustomers.count``) instead of probing a thousand scattered partners
(docs/performance.md#lists-count). The database keeps them, as it keeps the sort name
(docs/adr/0013), so that every door is covered: the ORM, the backfill, Odoo's Merge Contacts (SQL),
hand-written SQL. They are not ORM fields: nothing reads them through the ORM, whose cache would
hold them stale after a partner's write in the same transaction.

Plain SQL, called from the assignment model's ``init()`` and the 18.0.1.4.0 migration.
"""

from odoo.tools import SQL
from odoo.tools.sql import column_exists, create_column

TABLE = "ov_sa_customer_assignment"

# {the assignment row's column: (the partner's column it copies, its type)}; the SQL below names
# them one by one
COPIES = {
    "abs_customer_active": ("active", "boolean"),
    "abs_customer_company_id": ("company_id", "int4"),
    "abs_customer_share": ("partner_share", "boolean"),
}
# The partner's columns a copy stands for, with its id: the row's partner_id.
PARTNER_COLUMNS = {"id": "partner_id", **{partner: row for row, (partner, _type) in COPIES.items()}}


_FROM_PARTNER = """
CREATE OR REPLACE FUNCTION abs_assignment_standing_from_partner() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    SELECT p.active, p.company_id, p.partner_share
      INTO NEW.abs_customer_active, NEW.abs_customer_company_id, NEW.abs_customer_share
      FROM res_partner p WHERE p.id = NEW.partner_id;
    RETURN NEW;
END
$$;
"""
# One statement for all the partners a statement wrote, so that a bulk write (the backfill's
# scheduled action gives 20,000 customers their company at once) updates their rows in one pass
# and fires the assignments' own statement triggers (the change log) once, not once per partner:
# a trigger per row made each such batch 25 s instead of 3. A few rows take the statement's cached
# plan, an index probe per partner; more are planned for their number (EXECUTE), as PL/pgSQL
# would otherwise keep the plan of the connection's first statement.
_ROWS_OF_WRITTEN_PARTNERS = """
    UPDATE ov_sa_customer_assignment a
       SET (abs_customer_active, abs_customer_company_id, abs_customer_share)
           = ROW(n.active, n.company_id, n.partner_share)
      FROM abs_new_rows n
     WHERE a.partner_id = n.id
       AND (a.abs_customer_active, a.abs_customer_company_id, a.abs_customer_share)
           IS DISTINCT FROM (n.active, n.company_id, n.partner_share)
"""
_CACHED_PLAN_MAX_ROWS = 64
_TO_ASSIGNMENTS = f"""
CREATE OR REPLACE FUNCTION abs_partner_standing_to_assignments() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT count(*) FROM abs_new_rows) <= {_CACHED_PLAN_MAX_ROWS} THEN
        {_ROWS_OF_WRITTEN_PARTNERS};
    ELSE
        EXECUTE $statement${_ROWS_OF_WRITTEN_PARTNERS}$statement$;
    END IF;
    RETURN NULL;
END
$$;
"""  # noqa: S608 -- built from this module's constants only
_MEND = """
UPDATE ov_sa_customer_assignment a
   SET (abs_customer_active, abs_customer_company_id, abs_customer_share)
       = ROW(p.active, p.company_id, p.partner_share)
  FROM res_partner p
 WHERE p.id = a.partner_id
   AND (a.abs_customer_active, a.abs_customer_company_id, a.abs_customer_share)
       IS DISTINCT FROM (p.active, p.company_id, p.partner_share)
"""
# (name, table, timing and event, statement-level transition tables or None, row condition or None,
# function). A row inserted without its copies takes its partner's: a bulk insert that already
# joins the partners gives them itself, and so makes no row-by-row lookup (the backfill).
TRIGGERS = (
    ("abs_assignment_standing_ins", TABLE, "BEFORE INSERT", None,
     "NEW.abs_customer_active IS NULL", "abs_assignment_standing_from_partner"),
    ("abs_assignment_standing_upd", TABLE, "BEFORE UPDATE OF partner_id", None,
     "OLD.partner_id IS DISTINCT FROM NEW.partner_id", "abs_assignment_standing_from_partner"),
    # PostgreSQL allows no column list with transition tables: every update of partners fires it
    ("abs_partner_standing_upd", "res_partner", "AFTER UPDATE", "NEW TABLE AS abs_new_rows",
     None, "abs_partner_standing_to_assignments"),
)  # fmt: skip


def install(cr):
    """The columns, the functions and the triggers that keep them, then one set-based pass that
    mends every row that differs from its partner (rows written before the triggers existed, or
    by a transaction racing a change of the same customer: docs/adr/0016)."""
    add_columns(cr)
    cr.execute(_FROM_PARTNER)
    cr.execute(_TO_ASSIGNMENTS)
    drop_triggers(cr)
    for name, table, event, transition, condition, function in TRIGGERS:
        cr.execute(
            SQL(
                "CREATE TRIGGER %s %s ON %s %s EXECUTE FUNCTION %s()",
                SQL.identifier(name),
                SQL(event),
                SQL.identifier(table),
                SQL("REFERENCING %s FOR EACH STATEMENT", SQL(transition))
                if transition
                else SQL("FOR EACH ROW WHEN (%s)", SQL(condition)),
                SQL.identifier(function),
            )
        )
    return mend(cr)


def add_columns(cr):
    """The copies' columns, where they are missing (empty until :func:`mend`)."""
    for column, (_partner, sql_type) in COPIES.items():
        if not column_exists(cr, TABLE, column):
            create_column(cr, TABLE, column, sql_type)


def mend(cr):
    """Every row whose copies differ from its partner's columns given them, in one statement;
    returns how many rows it mended."""
    cr.execute(SQL(_MEND))
    return cr.rowcount


def drop_triggers(cr):
    """The triggers, e.g. before the addon's tables go (they live on ``res_partner`` too)."""
    for name, table, *_definition in TRIGGERS:
        cr.execute(SQL("DROP TRIGGER IF EXISTS %s ON %s", SQL.identifier(name), SQL.identifier(table)))
