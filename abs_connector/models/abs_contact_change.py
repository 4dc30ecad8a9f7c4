import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL, config

from ..elevation import elevate

_logger = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 30
COMPACTED_HORIZON_PARAM = "abs_connector.sync_compacted_horizon"
RETENTION_PARAM = "abs_connector.sync_retention_days"

# Columns of res_partner the API's contact representation is built from: a change to any of them,
# on a governed customer, is a change the caller's replica must receive.
REPRESENTED_COLUMNS = (
    "name",
    "email",
    "phone",
    "mobile",
    "street",
    "street2",
    "city",
    "zip",
    "country_id",
    "function",
    "comment",
    "active",
    "x_sa_id",
    "x_actor_id",
    "x_assigned_employee_id",
)

_INSERT = (
    "INSERT INTO abs_contact_change "
    "(partner_id, account_id, old_visible, old_actor_id, new_visible, new_actor_id, changed_at)"
)
_NOW = "(now() AT TIME ZONE 'UTC')"

# Written by the database itself, so every door is covered: ORM, wizards, the set-based backfill,
# migrations and hand-written SQL alike. Statement triggers with transition tables keep a
# set-based statement set-based.
#
# A statement that joins the old rows to the new ones runs through EXECUTE, planned for the rows at
# hand each time: PL/pgSQL would keep the plan of the connection's first write, made for one row (a
# nested loop over both transition tables), and a later write of 20,000 rows would compare every
# old row with every new one: 155 s for 20,000 contacts instead of 0.4 s.
_ASSIGNMENT_TRIGGER_FUNCTION = f"""
CREATE OR REPLACE FUNCTION abs_contact_change_on_assignment() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_INSERT}
        SELECT n.partner_id, n.account_id, false, NULL,
               n.state = 'active' AND coalesce(p.active, false), n.actor_id, {_NOW}
          FROM abs_new_rows n LEFT JOIN res_partner p ON p.id = n.partner_id;
    ELSIF TG_OP = 'UPDATE' THEN
        EXECUTE $statement$
        {_INSERT}
        SELECT n.partner_id, n.account_id,
               o.state = 'active' AND coalesce(p.active, false), o.actor_id,
               n.state = 'active' AND coalesce(p.active, false), n.actor_id, {_NOW}
          FROM abs_old_rows o JOIN abs_new_rows n ON n.id = o.id
          LEFT JOIN res_partner p ON p.id = n.partner_id
         WHERE (o.partner_id, o.account_id) = (n.partner_id, n.account_id)
           AND (o.state, o.actor_id) IS DISTINCT FROM (n.state, n.actor_id)
        UNION ALL
        SELECT o.partner_id, o.account_id, o.state = 'active' AND coalesce(p.active, false),
               o.actor_id, false, NULL, {_NOW}
          FROM abs_old_rows o JOIN abs_new_rows n ON n.id = o.id
          LEFT JOIN res_partner p ON p.id = o.partner_id
         WHERE (o.partner_id, o.account_id) <> (n.partner_id, n.account_id)
        UNION ALL
        SELECT n.partner_id, n.account_id, false, NULL,
               n.state = 'active' AND coalesce(p.active, false), n.actor_id, {_NOW}
          FROM abs_old_rows o JOIN abs_new_rows n ON n.id = o.id
          LEFT JOIN res_partner p ON p.id = n.partner_id
         WHERE (o.partner_id, o.account_id) <> (n.partner_id, n.account_id)
        $statement$;
    ELSE
        -- a deleted customer cascades here; its row is gone, so it counts as having been seen
        {_INSERT}
        SELECT o.partner_id, o.account_id, o.state = 'active' AND coalesce(p.active, true),
               o.actor_id, false, NULL, {_NOW}
          FROM abs_old_rows o LEFT JOIN res_partner p ON p.id = o.partner_id;
    END IF;
    RETURN NULL;
END
$$;
"""

_PARTNER_TRIGGER_FUNCTION = f"""
CREATE OR REPLACE FUNCTION abs_contact_change_on_partner() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE $statement$
    {_INSERT}
    SELECT n.id, a.account_id, o.active, a.actor_id, n.active, a.actor_id, {_NOW}
      FROM abs_old_rows o
      JOIN abs_new_rows n ON n.id = o.id
      JOIN ov_sa_customer_assignment a ON a.partner_id = n.id AND a.state = 'active'
     WHERE ({", ".join(f"o.{c}" for c in REPRESENTED_COLUMNS)})
           IS DISTINCT FROM ({", ".join(f"n.{c}" for c in REPRESENTED_COLUMNS)})
    $statement$;
    RETURN NULL;
END
$$;
"""  # noqa: S608 -- built from this module's constants only

# A Service Account that moves changes which customers a subtree scope covers without touching
# any customer: it is logged as a row without customer, and resets subtree-scoped cursors.
_ACCOUNT_TRIGGER_FUNCTION = f"""
CREATE OR REPLACE FUNCTION abs_contact_change_on_account() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE $statement$
    {_INSERT}
    SELECT NULL, n.id, false, NULL, false, NULL, {_NOW}
      FROM abs_old_rows o JOIN abs_new_rows n ON n.id = o.id
     WHERE o.parent_path IS DISTINCT FROM n.parent_path
    $statement$;
    RETURN NULL;
END
$$;
"""  # noqa: S608 -- built from this module's constants only

_TRIGGERS = (
    ("abs_contact_change_assignment_ins", "ov_sa_customer_assignment", "INSERT", "NEW TABLE AS abs_new_rows",
     "abs_contact_change_on_assignment"),
    ("abs_contact_change_assignment_upd", "ov_sa_customer_assignment", "UPDATE",
     "OLD TABLE AS abs_old_rows NEW TABLE AS abs_new_rows", "abs_contact_change_on_assignment"),
    ("abs_contact_change_assignment_del", "ov_sa_customer_assignment", "DELETE", "OLD TABLE AS abs_old_rows",
     "abs_contact_change_on_assignment"),
    ("abs_contact_change_partner_upd", "res_partner", "UPDATE",
     "OLD TABLE AS abs_old_rows NEW TABLE AS abs_new_rows", "abs_contact_change_on_partner"),
    ("abs_contact_change_account_upd", "ov_serviced_account", "UPDATE",
     "OLD TABLE AS abs_old_rows NEW TABLE AS abs_new_rows", "abs_contact_change_on_account"),
)  # fmt: skip


class AbsContactChange(models.Model):
    """What changed, for whom: the log the delta sync of ``GET /api/contacts/changes`` reads.

    One row per customer and Service Account touched by a change, saying whether the customer was
    in that SA's set (active assignment, customer active) and who worked it, before and after.
    Rows are ordered by the id of the transaction that wrote them (``xid``), which is what lets a
    reader know that every earlier transaction has finished (docs/agent/offline-sync.md).
    Written only by database triggers; compacted by a cron after the retention.
    """

    _name = "abs.contact.change"
    _description = "Customer change (delta sync log)"
    _order = "id"
    _log_access = False

    partner_id = fields.Integer(string="Customer ID", readonly=True, help="Empty for a moved account.")
    account_id = fields.Many2one(
        "ov.serviced_account", string="Service Account", required=True, readonly=True, ondelete="cascade"
    )
    old_visible = fields.Boolean(string="In the Set Before", readonly=True)
    old_actor_id = fields.Many2one(
        "res.partner", string="Worked By Before", readonly=True, ondelete="set null"
    )
    new_visible = fields.Boolean(string="In the Set After", readonly=True)
    new_actor_id = fields.Many2one(
        "res.partner", string="Worked By After", readonly=True, ondelete="set null"
    )
    changed_at = fields.Datetime(required=True, readonly=True)

    def init(self):
        cr = self.env.cr
        # xid8 has no ORM field type: the id of the writing transaction, filled by PostgreSQL.
        cr.execute(
            "ALTER TABLE abs_contact_change "
            "ADD COLUMN IF NOT EXISTS xid xid8 NOT NULL DEFAULT pg_current_xact_id()"
        )
        # The delta of one SA since a horizon, and compaction / moved accounts by horizon.
        cr.execute(
            "CREATE INDEX IF NOT EXISTS abs_contact_change_account_xid_idx "
            "ON abs_contact_change (account_id, xid)"
        )
        cr.execute("CREATE INDEX IF NOT EXISTS abs_contact_change_xid_idx ON abs_contact_change (xid)")
        for function in (_ASSIGNMENT_TRIGGER_FUNCTION, _PARTNER_TRIGGER_FUNCTION, _ACCOUNT_TRIGGER_FUNCTION):
            cr.execute(function)
        self._abs_drop_triggers()
        for name, table, event, transition, function in _TRIGGERS:
            cr.execute(
                SQL(
                    "CREATE TRIGGER %s AFTER %s ON %s REFERENCING %s "
                    "FOR EACH STATEMENT EXECUTE FUNCTION %s()",
                    SQL.identifier(name),
                    SQL(event),
                    SQL.identifier(table),
                    SQL(transition),
                    SQL.identifier(function),
                )
            )

    def _abs_drop_triggers(self):
        for name, table, _event, _transition, _function in _TRIGGERS:
            self.env.cr.execute(
                SQL("DROP TRIGGER IF EXISTS %s ON %s", SQL.identifier(name), SQL.identifier(table))
            )

    def _abs_params(self):
        return elevate(self.env["ir.config_parameter"], "sync horizons are the server's bookkeeping")

    def _abs_log_reader(self):
        # Filtered by the caller's access context, resolved from a live membership.
        return elevate(self, "no Odoo user reads the change log directly")

    # ---- horizons ----

    @api.model
    def _abs_horizon(self):
        """The oldest transaction that may still write here, for this transaction's snapshot.

        Every transaction below it has finished; under REPEATABLE READ (Odoo's isolation) the
        snapshot is the one the rest of the request reads with. Transaction ids are shared by
        the whole PostgreSQL cluster, but one running in another database can never write to
        this one: it does not hold the horizon back (a finished one, or one whose database is
        not visible, still does).
        """
        self.env.cr.execute("""
            SELECT coalesce(
                       min(running.xid::text::bigint),
                       pg_snapshot_xmax(pg_current_snapshot())::text::bigint)
              FROM pg_snapshot_xip(pg_current_snapshot()) AS running(xid)
             WHERE NOT EXISTS (
                   SELECT 1 FROM pg_stat_activity other
                    WHERE other.datname <> current_database()
                      AND other.backend_xid::text::bigint = running.xid::text::bigint % 4294967296)
        """)
        return self.env.cr.fetchone()[0]

    @api.model
    def _abs_compacted_horizon(self):
        """Changes of transactions below this id may have been compacted away."""
        value = self._abs_params().get_param(COMPACTED_HORIZON_PARAM)
        return int(value) if value and str(value).isdigit() else 0

    @api.model
    def _abs_account_moved_since(self, horizon):
        """Whether any Service Account moved in the tree at or after ``horizon``."""
        self.env.cr.execute(
            SQL(
                "SELECT 1 FROM abs_contact_change WHERE partner_id IS NULL AND xid >= %s::text::xid8 LIMIT 1",
                horizon,
            )
        )
        return bool(self.env.cr.fetchone())

    @api.model
    def _abs_expire_cursors_issued_before_commit(self):
        """Make every cursor issued before this transaction commits answer ``expired``.

        For a bulk load that writes no change row per customer (the backfill in
        bulk, abs_connector/backfill.py): each client takes a new snapshot rather
        than missing what the load changed.
        """
        self.env.cr.execute("SELECT pg_current_xact_id()::text::bigint + 1")
        horizon = self.env.cr.fetchone()[0]
        if horizon > self._abs_compacted_horizon():
            self._abs_params().set_param(COMPACTED_HORIZON_PARAM, str(horizon))

    # ---- reading ----

    @api.model
    def _abs_changed_partner_ids(self, change_domain, horizon, after_id, limit):
        """Ids of the customers changed at or after ``horizon`` (rows matching ``change_domain``),
        above ``after_id``, ascending, at most ``limit``."""
        # the log is written by triggers: pending ORM writes must reach the database first
        self.env.flush_all()
        self.env.cr.execute(self._abs_changed_partner_ids_sql(change_domain, horizon, after_id, limit))
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _abs_changed_partner_ids_sql(self, change_domain, horizon, after_id, limit):
        """The query of :meth:`_abs_changed_partner_ids` (the benchmark EXPLAINs it)."""
        query = self._abs_log_reader()._search(change_domain)
        table = query.table
        query.add_where(SQL("%s >= %s::text::xid8", SQL.identifier(table, "xid"), horizon))
        query.add_where(SQL("%s > %s", SQL.identifier(table, "partner_id"), after_id))
        return SQL(
            "SELECT DISTINCT %(partner)s FROM %(from)s WHERE %(where)s ORDER BY 1 LIMIT %(limit)s",
            partner=SQL.identifier(table, "partner_id"),
            **{"from": query.from_clause, "where": query.where_clause},
            limit=limit,
        )

    # ---- compaction ----

    @api.model
    def _abs_retention_days(self):
        raw = (
            self._abs_params().get_param(RETENTION_PARAM)
            or config.get("abs_sync_retention_days")
            or DEFAULT_RETENTION_DAYS
        )
        try:
            days = int(raw)
        except (TypeError, ValueError):
            _logger.error(
                "abs_sync_retention_days=%r is not a number of days; using %s", raw, DEFAULT_RETENTION_DAYS
            )
            return DEFAULT_RETENTION_DAYS
        return max(days, 1)

    @api.model
    def _cron_compact(self, batch=10000):
        """Delete the changes older than ``abs_sync_retention_days``."""
        cutoff = fields.Datetime.now() - timedelta(days=self._abs_retention_days())
        return self._abs_compact(cutoff, batch)

    @api.model
    def _abs_compact(self, cutoff, batch=10000):
        """Delete the changes of every transaction older than the first one that wrote after
        ``cutoff``, and remember that horizon: a cursor below it is answered with a reset.

        Cutting at a transaction id, never inside a transaction, keeps the rule "a cursor's
        horizon says which transactions it has seen" exact.
        """
        cr = self.env.cr
        horizon = self._abs_horizon()
        cr.execute(
            SQL(
                "SELECT min(xid::text::bigint) FROM abs_contact_change WHERE changed_at >= %s",
                cutoff,
            )
        )
        first_kept = cr.fetchone()[0]
        keep_from = min(horizon, first_kept) if first_kept is not None else horizon
        deleted = 0
        while True:
            cr.execute(
                SQL(
                    "DELETE FROM abs_contact_change WHERE id IN "
                    "(SELECT id FROM abs_contact_change WHERE xid < %s::text::xid8 LIMIT %s)",
                    keep_from,
                    batch,
                )
            )
            deleted += cr.rowcount
            if cr.rowcount < batch:
                break
        if keep_from > self._abs_compacted_horizon():
            self._abs_params().set_param(COMPACTED_HORIZON_PARAM, str(keep_from))
        if deleted:
            _logger.info("Delta sync: compacted %s changes before transaction %s", deleted, keep_from)
        return deleted
