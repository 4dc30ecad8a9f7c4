"""Which ended memberships the request gate still has to look at (docs/adr/0015-lapse-marker.md).

Every SA-scoped request asks whether a membership has ended (``effective_to`` passed) with
customers still assigned, so that they are released before anyone reads them. Asked in full, the
question joins memberships, accounts and assignments, and PostgreSQL plans it afresh on every
request (Odoo's pool discards a connection's plans when it lends it): about two thirds of the
gate's cost. ``ov_membership.abs_lapse_settled`` lets the gate ask it of one table:

- the release (gate or cron) sets it on every ended membership it has dealt with;
- the database clears it whenever the answer could change: the membership's term, state, scope,
  person or account changes, its person is given an active assignment, or an account moves in
  the tree (what a subtree membership covers).

A settled membership is therefore one whose customers were released and that has held none
since. The cron still asks the full question, so a path that escaped the triggers is caught
within its interval. The column is kept by the database only: no ORM field reads or writes it.
"""

from odoo.tools import SQL

COLUMN = "abs_lapse_settled"
# The ended memberships the gate may still have to deal with: the rows of the partial index the
# gate's question reads, in the very words of that question, so that PostgreSQL can use it.
_UNSETTLED = "membership_state IN ('active', 'suspended') AND NOT abs_lapse_settled"
# What a bulk load of assignments switches off (backfill.py), then makes up for with
# unsettle_all_sql().
ASSIGNMENT_INSERT_TRIGGER = "abs_lapse_assignment_ins"

# The functions the triggers run, by name: the body between BEGIN and END.
_FUNCTIONS = {
    # the membership's own term, state, scope, person or account changed
    "abs_lapse_unsettle_membership": """
    NEW.abs_lapse_settled := FALSE;
    RETURN NEW;""",
    # rows inserted in one statement (the backfill inserts a million): their people's memberships
    "abs_lapse_unsettle_inserted_actors": """
    UPDATE ov_membership m SET abs_lapse_settled = FALSE
     WHERE m.abs_lapse_settled
       AND m.person_partner_id IN (SELECT n.actor_id FROM abs_inserted n
                                    WHERE n.state = 'active' AND n.actor_id IS NOT NULL);
    RETURN NULL;""",
    # one row given an actor, made active again or moved to another account
    "abs_lapse_unsettle_actor": """
    UPDATE ov_membership SET abs_lapse_settled = FALSE
     WHERE abs_lapse_settled AND person_partner_id = NEW.actor_id;
    RETURN NULL;""",
    # an account moved in the tree: what every subtree membership covers may have changed
    "abs_lapse_unsettle_subtrees": """
    UPDATE ov_membership SET abs_lapse_settled = FALSE
     WHERE abs_lapse_settled AND hierarchy_scope = 'this_node_and_descendants';
    RETURN NULL;""",
}

# (name, table, definition after "CREATE TRIGGER <name>" up to "EXECUTE FUNCTION", function)
_TRIGGERS = (
    ("abs_lapse_membership_upd", "ov_membership",
     "BEFORE UPDATE ON ov_membership FOR EACH ROW WHEN ("
     "(OLD.effective_to, OLD.membership_state, OLD.hierarchy_scope, OLD.person_partner_id,"
     " OLD.serviced_account_id) IS DISTINCT FROM (NEW.effective_to, NEW.membership_state,"
     " NEW.hierarchy_scope, NEW.person_partner_id, NEW.serviced_account_id))",
     "abs_lapse_unsettle_membership"),
    (ASSIGNMENT_INSERT_TRIGGER, "ov_sa_customer_assignment",
     "AFTER INSERT ON ov_sa_customer_assignment REFERENCING NEW TABLE AS abs_inserted"
     " FOR EACH STATEMENT",
     "abs_lapse_unsettle_inserted_actors"),
    ("abs_lapse_assignment_upd", "ov_sa_customer_assignment",
     "AFTER UPDATE ON ov_sa_customer_assignment FOR EACH ROW WHEN ("
     "NEW.state = 'active' AND NEW.actor_id IS NOT NULL AND"
     " (OLD.actor_id, OLD.state, OLD.account_id) IS DISTINCT FROM"
     " (NEW.actor_id, NEW.state, NEW.account_id))",
     "abs_lapse_unsettle_actor"),
    ("abs_lapse_account_moved", "ov_serviced_account",
     "AFTER UPDATE OF parent_path ON ov_serviced_account FOR EACH ROW"
     " WHEN (OLD.parent_path IS DISTINCT FROM NEW.parent_path)",
     "abs_lapse_unsettle_subtrees"),
)  # fmt: skip


def install_column(cr):
    """Add the marker to ``ov_membership`` (unsettled: the first gate after it looks at all) and
    the partial index of the rows the gate's question reads."""
    cr.execute(
        SQL(
            "ALTER TABLE ov_membership ADD COLUMN IF NOT EXISTS %s boolean NOT NULL DEFAULT FALSE",
            SQL.identifier(COLUMN),
        )
    )
    cr.execute(
        SQL(
            "CREATE INDEX IF NOT EXISTS ov_membership_unsettled_lapses ON ov_membership (effective_to)"
            " WHERE %s",
            SQL(_UNSETTLED),
        )
    )


def install_triggers(cr, table):
    """(Re)create the triggers that fire on ``table``, and the functions they run."""
    for name, on_table, definition, function in _TRIGGERS:
        if on_table != table:
            continue
        cr.execute(
            SQL(
                "CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN%s\nEND\n$$",
                SQL.identifier(function),
                SQL(_FUNCTIONS[function]),
            )
        )
        cr.execute(SQL("DROP TRIGGER IF EXISTS %s ON %s", SQL.identifier(name), SQL.identifier(table)))
        cr.execute(
            SQL(
                "CREATE TRIGGER %s %s EXECUTE FUNCTION %s()",
                SQL.identifier(name),
                SQL(definition),
                SQL.identifier(function),
            )
        )


def drop_functions(cr):
    """Drop the functions and, with them, their triggers (uninstall)."""
    for name in _FUNCTIONS:
        cr.execute(SQL("DROP FUNCTION IF EXISTS %s() CASCADE", SQL.identifier(name)))


def _ended_unsettled(now):
    return SQL("%s AND effective_to < %s", SQL(_UNSETTLED), now)


def unsettled_lapse_sql(now):
    """Whether some membership has ended and was not dealt with since: the gate's question."""
    return SQL("SELECT 1 FROM ov_membership WHERE %s", _ended_unsettled(now))


def unsettle_all_sql():
    """Every membership unsettled: the gate looks at each ended one again (and settles it)."""
    return SQL("UPDATE ov_membership SET %(marker)s = FALSE WHERE %(marker)s", marker=SQL.identifier(COLUMN))


def settle_sql(now):
    """Mark every membership ended by ``now`` as dealt with (its customers were just released)."""
    return SQL("UPDATE ov_membership SET abs_lapse_settled = TRUE WHERE %s", _ended_unsettled(now))
