from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .. import backfill, customer_standing, lapse_marker
from ..elevation import elevate
from ..exceptions import GovernanceConflict
from ..governance import visibility

# Fields of an active row that governance operations may change; everything
# else is fixed once written, and expired rows are history.
_MUTABLE_WHILE_ACTIVE = {"actor_id", "state", "date_to", "assigned_by_id", "note"}

# (name, key columns, predicate) of the partial indexes on the active rows, one per kind of
# visibility branch (docs/performance.md#lists): an agent's own rows, the unassigned ones, all of
# one SA's. Each yields its rows in customer order without a heap visit, with the company Odoo's
# multi-company rule on the rows tests and the customer's standing a bounded count tests
# (customer_standing.py).
_INCLUDED_COLUMNS = f"INCLUDE (company_id, {', '.join(customer_standing.COPIES)})"
_ACTIVE_ROW_INDEXES = (
    (
        "ov_sa_customer_assignment_active_actor_rows",
        f"(account_id, actor_id, partner_id) {_INCLUDED_COLUMNS}",
        "state = 'active'",
    ),
    (
        "ov_sa_customer_assignment_active_unassigned_rows",
        f"(account_id, partner_id) {_INCLUDED_COLUMNS}",
        "state = 'active' AND actor_id IS NULL",
    ),
    (
        "ov_sa_customer_assignment_active_account_rows",
        f"(account_id, partner_id) {_INCLUDED_COLUMNS}",
        "state = 'active'",
    ),
)
# The same three kinds in the order of Odoo's contact lists (complete_name, then id descending),
# so that a seat member's name-ordered page reads its rows in that order and stops after its page
# (docs/performance.md#seat-users). No company: that page probes each partner under Odoo's rules.
_ACTIVE_ROW_NAME_INDEXES = (
    (
        "ov_sa_customer_assignment_active_actor_names",
        "(account_id, actor_id, abs_sort_name, partner_id DESC)",
        "state = 'active'",
    ),
    (
        "ov_sa_customer_assignment_active_unassigned_names",
        "(account_id, abs_sort_name, partner_id DESC)",
        "state = 'active' AND actor_id IS NULL",
    ),
    (
        "ov_sa_customer_assignment_active_account_names",
        "(account_id, abs_sort_name, partner_id DESC)",
        "state = 'active'",
    ),
)

# The customer's complete_name, copied onto its assignment rows by the database (docs/adr/0013):
# a row inserted without it takes it from its partner, a row re-pointed to another partner (Odoo's
# Merge Contacts, in SQL) takes the new one's, and a partner whose complete_name changes (a rename,
# a parent company renamed, an erasure) passes it to all its rows, history included.
_SORT_NAME_FROM_PARTNER = """
CREATE OR REPLACE FUNCTION abs_assignment_sort_name_from_partner() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    SELECT p.complete_name INTO NEW.abs_sort_name FROM res_partner p WHERE p.id = NEW.partner_id;
    RETURN NEW;
END
$$;
"""
_SORT_NAME_TO_ASSIGNMENTS = """
CREATE OR REPLACE FUNCTION abs_partner_sort_name_to_assignments() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ov_sa_customer_assignment
       SET abs_sort_name = NEW.complete_name
     WHERE partner_id = NEW.id AND abs_sort_name IS DISTINCT FROM NEW.complete_name;
    RETURN NULL;
END
$$;
"""
# (name, table, timing and event, condition, function)
SORT_NAME_TRIGGERS = (
    ("abs_assignment_sort_name_ins", "ov_sa_customer_assignment", "BEFORE INSERT",
     "NEW.abs_sort_name IS NULL", "abs_assignment_sort_name_from_partner"),
    ("abs_assignment_sort_name_upd", "ov_sa_customer_assignment", "BEFORE UPDATE OF partner_id",
     "OLD.partner_id IS DISTINCT FROM NEW.partner_id", "abs_assignment_sort_name_from_partner"),
    ("abs_partner_sort_name_upd", "res_partner", "AFTER UPDATE OF complete_name",
     "OLD.complete_name IS DISTINCT FROM NEW.complete_name", "abs_partner_sort_name_to_assignments"),
)  # fmt: skip


class OvSaCustomerAssignment(models.Model):
    """Which SA owns a customer and which agent works it (V3; docs/customer-lifecycle.md).

    One active row per (customer, SA) — enforced by a partial unique index —
    and every earlier row kept as expired history, never deleted.
    """

    _name = "ov.sa_customer_assignment"
    _inherit = ["abs.seat.visible.mixin"]
    _description = "Customer Assignment"
    _order = "date_from desc, id desc"
    _rec_name = "partner_id"

    account_id = fields.Many2one(
        "ov.serviced_account",
        string="Service Account",
        required=True,
        index=True,
        ondelete="restrict",
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="restrict",
    )
    actor_id = fields.Many2one(
        "res.partner",
        string="Assigned To",
        index=True,
        ondelete="restrict",
        help="The agent working this customer; empty means unassigned.",
    )
    state = fields.Selection(
        [("active", "Active"), ("expired", "Expired")],
        required=True,
        default="active",
        index=True,
    )
    # Stored so the pivot and graph views can count assigned against unassigned customers.
    assignment_status = fields.Selection(
        [("assigned", "Assigned"), ("unassigned", "Unassigned")],
        compute="_compute_assignment_status",
        store=True,
        string="Assignment",
    )
    date_from = fields.Datetime(required=True, default=fields.Datetime.now)
    date_to = fields.Datetime()
    assigned_by_id = fields.Many2one("res.partner", string="Assigned By", ondelete="restrict")
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    note = fields.Char(readonly=True, help="Why the row ended other than by a reassignment, e.g. a merge.")
    # The same type as res_partner.complete_name, so the same collation: ordered by it, the rows
    # come in the very order Odoo's contact lists show their customers. Kept by the database (see
    # SORT_NAME_TRIGGERS), never written by the ORM; read it in SQL.
    abs_sort_name = fields.Char(
        string="Customer Sort Name",
        readonly=True,
        copy=False,
        help="The customer's complete name, which contact lists are ordered by; kept by the database.",
    )
    actor_employee_id = fields.Many2one(
        "abs.employee", compute="_compute_actor_employee_id", string="Assigned Employee"
    )

    @api.model
    def _cron_assign_customer_companies(self):
        """One batch of governed customers given their account's company (the backfill's long
        tail, ``backfill.give_customers_their_companies``), and the progress: Odoo's scheduler
        runs the next batch in a new transaction, and deactivates the action when none is left."""
        done = backfill.assign_customer_companies(self.env, limit=backfill.COMPANY_BATCH_SIZE)
        remaining = backfill.customers_awaiting_company(self.env)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining, deactivate=not remaining)

    def init(self):
        # One ACTIVE assignment per (customer, SA). Partial, so expired history
        # rows can pile up; the backfill's ON CONFLICT relies on this predicate.
        self.env.cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS ov_sa_customer_assignment_one_active "
            "ON ov_sa_customer_assignment (partner_id, account_id) WHERE state = 'active'"
        )
        # filled before the indexes that read them are built, not through them
        self._abs_keep_sort_names()
        customer_standing.install(self.env.cr)
        # What the visibility sub-selects and the lists driven from the assignment rows read
        # (docs/performance.md#lists): the active rows of one SA -- narrowed by actor (an agent's
        # own), or unassigned, or all of them -- in customer order, with the company Odoo's
        # multi-company rule tests, so that no row needs a heap visit.
        for name, columns, where in _ACTIVE_ROW_INDEXES + _ACTIVE_ROW_NAME_INDEXES:
            self.env.cr.execute(
                SQL(
                    "CREATE INDEX IF NOT EXISTS %s ON ov_sa_customer_assignment %s WHERE %s",
                    SQL.identifier(name),
                    SQL(columns),
                    SQL(where),
                )
            )
        # Made redundant by the first of them (the same key, plus the company).
        self.env.cr.execute("DROP INDEX IF EXISTS ov_sa_customer_assignment_active_account_actor")
        # a person given an active row may hold customers under an ended membership again
        lapse_marker.install_triggers(self.env.cr, self._table)

    def _abs_keep_sort_names(self):
        """The triggers that keep ``abs_sort_name`` equal to the customer's complete_name, then
        one set-based pass that mends any row that differs (rows written before the triggers
        existed, or by a transaction racing a rename of the same customer)."""
        cr = self.env.cr
        cr.execute(_SORT_NAME_FROM_PARTNER)
        cr.execute(_SORT_NAME_TO_ASSIGNMENTS)
        self._abs_drop_sort_name_triggers()
        for name, table, event, condition, function in SORT_NAME_TRIGGERS:
            cr.execute(
                SQL(
                    "CREATE TRIGGER %s %s ON %s FOR EACH ROW WHEN (%s) EXECUTE FUNCTION %s()",
                    SQL.identifier(name),
                    SQL(event),
                    SQL.identifier(table),
                    SQL(condition),
                    SQL.identifier(function),
                )
            )
        cr.execute(
            SQL(
                """
                UPDATE ov_sa_customer_assignment a
                   SET abs_sort_name = p.complete_name
                  FROM res_partner p
                 WHERE p.id = a.partner_id AND a.abs_sort_name IS DISTINCT FROM p.complete_name
                """
            )
        )

    def _abs_drop_sort_name_triggers(self):
        for name, table, _event, _condition, _function in SORT_NAME_TRIGGERS:
            self.env.cr.execute(
                SQL("DROP TRIGGER IF EXISTS %s ON %s", SQL.identifier(name), SQL.identifier(table))
            )

    @api.depends("actor_id")
    def _compute_assignment_status(self):
        for assignment in self:
            assignment.assignment_status = "assigned" if assignment.actor_id else "unassigned"

    @api.depends("actor_id")
    def _compute_actor_employee_id(self):
        employees = (
            self.env["abs.employee"]._abs_employee_admin().search([("partner_id", "in", self.actor_id.ids)])
        )
        by_partner = {e.partner_id.id: e.id for e in employees}
        for assignment in self:
            assignment.actor_employee_id = by_partner.get(assignment.actor_id.id, False)

    # ---- constraints ----

    @api.constrains("state", "date_from", "date_to")
    def _check_dates(self):
        for assignment in self:
            if assignment.state == "expired" and not assignment.date_to:
                raise ValidationError(_("An expired assignment records when it ended."))
            if assignment.state == "active" and assignment.date_to:
                raise ValidationError(_("An active assignment has no end date."))
            if assignment.date_to and assignment.date_to < assignment.date_from:
                raise ValidationError(_("An assignment cannot end before it starts."))

    @api.constrains("partner_id", "account_id", "state")
    def _check_one_active_per_customer_and_account(self):
        for assignment in self.filtered(lambda a: a.state == "active"):
            if self.search_count(
                [
                    ("partner_id", "=", assignment.partner_id.id),
                    ("account_id", "=", assignment.account_id.id),
                    ("state", "=", "active"),
                    ("id", "!=", assignment.id),
                ]
            ):
                raise ValidationError(
                    _(
                        "%(customer)s already has an active assignment in %(sa)s; reassign it instead.",
                        customer=assignment.partner_id.name,
                        sa=assignment.account_id.name,
                    )
                )

    @api.depends("state", "account_id", "actor_id")
    @api.depends_context("uid")
    def _compute_abs_seat_visible(self):
        return super()._compute_abs_seat_visible()

    @api.model
    def _abs_seat_domain(self, contexts):
        # the rows a seat member's memberships show through the API, not every customer's row
        # that the governance menus would list (security/ov_sa_customer_assignment_security.xml)
        return visibility.seat_assignment_domain(contexts)

    def _abs_history_admin(self):
        # Assignment rows are written and read by governance on behalf of an
        # actor whose authority was checked against their membership.
        return elevate(self, "history is governance's, whatever Odoo user executes the call")

    # ---- ORM overrides ----

    @api.model_create_multi
    def create(self, vals_list):
        # Odoo's rights first: the checks below read as superuser and name what they find
        self.browse().check_access("create")
        self._abs_precheck_one_active(vals_list)
        # the database takes the sort name from the partner (SORT_NAME_TRIGGERS), whatever is given
        vals_list = [{k: v for k, v in vals.items() if k != "abs_sort_name"} for vals in vals_list]
        rows = super().create(vals_list)
        rows.invalidate_recordset(["abs_sort_name"])  # the ORM cached it as empty
        return rows

    @api.model
    def _abs_precheck_one_active(self, vals_list):
        # Said in words before the partial unique index refuses it in SQL.
        keys = [
            (vals.get("partner_id"), vals.get("account_id"))
            for vals in vals_list
            if vals.get("state", "active") == "active"
        ]
        if not keys:
            return
        clashes = (
            self._abs_history_admin()
            .search(
                [
                    ("partner_id", "in", [k[0] for k in keys]),
                    ("account_id", "in", [k[1] for k in keys]),
                    ("state", "=", "active"),
                ]
            )
            .filtered(lambda a: (a.partner_id.id, a.account_id.id) in keys)
        )
        if clashes or len(set(keys)) < len(keys):
            clash = clashes[:1]
            raise ValidationError(
                _(
                    "%(customer)s already has an active assignment in %(sa)s; reassign it instead.",
                    customer=clash.partner_id.name or _("This customer"),
                    sa=clash.account_id.name or _("this account"),
                )
            )

    def write(self, vals):
        self.check_access("write")  # before the checks below read the rows
        if any(a.state == "expired" for a in self):
            raise UserError(_("Expired assignments are history and cannot be changed."))
        if set(vals) - _MUTABLE_WHILE_ACTIVE - {"write_date", "write_uid"}:
            raise UserError(_("An assignment's customer, account and start cannot change; reassign instead."))
        if vals.get("state") == "active":
            raise UserError(_("An assignment cannot be reopened; reassign the customer instead."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(_("Customer assignments are history and are never deleted."))

    # ---- operations ----

    @api.model
    def _abs_prepare_partner_merge(self, src_partners, dst_partner):
        """Before Odoo's Merge Contacts re-points rows to ``dst_partner``: keep one active
        row per account and expire the others with a note.

        Re-pointing two active rows of one account would hit the one-active index, and
        Odoo's merge then deletes the source rows: history would be lost.
        """
        rows = self._abs_history_admin().search(
            [("partner_id", "in", (src_partners | dst_partner).ids), ("state", "=", "active")],
            order="date_from desc, id desc",
        )
        doomed = rows.browse()
        for account in rows.account_id:
            in_account = rows.filtered(lambda row, account=account: row.account_id == account)
            survivor = in_account.filtered(lambda row: row.partner_id == dst_partner)[:1] or in_account[:1]
            doomed |= in_account - survivor
        if doomed:
            note = _("Merged into %(name)s (#%(id)s).", name=dst_partner.display_name, id=dst_partner.id)
            doomed.write({"state": "expired", "date_to": fields.Datetime.now(), "note": note})
            doomed.flush_recordset(["state", "date_to", "note"])
        return doomed

    def _abs_clear_actor(self):
        """Make these active assignments unassigned; they stay active.

        See docs/customer-lifecycle.md, Stage 5.
        """
        active = self.filtered(lambda a: a.state == "active" and a.actor_id)
        if active:
            active.write({"actor_id": False})
        return len(active)

    @api.model
    def _abs_reassign(self, partners, sa, new_actor_partner, assigned_by_partner):
        """Give ``partners`` (customers of ``sa``) to ``new_actor_partner``.

        Each active row is expired (``date_to`` = now) and a new active row
        opened with ``assigned_by``; the V2 stamp, the assigned employee and
        the salesperson (the employee's Odoo user, or none) follow (docs/customer-lifecycle.md,
        Stage 4). ``new_actor_partner`` None leaves them unassigned.

        :returns: the new assignment rows.
        :raise ValidationError: a customer not in ``sa``, or an actor who cannot hold customers there.
        :raise AccessError: ``assigned_by_partner`` may not assign customers in ``sa``.
        :raise GovernanceConflict: nothing to do (all already assigned to that actor).
        """
        Membership = self.env["ov.membership"]
        Membership._abs_check_actor(assigned_by_partner, sa, "assign_customers")
        employee = self._abs_holder_employee(new_actor_partner, sa)
        new_actor_id = new_actor_partner.id if new_actor_partner else False
        moving = self._abs_active_rows_of(partners, sa).filtered(lambda a: a.actor_id.id != new_actor_id)
        if not moving:
            raise GovernanceConflict(_("These customers are already assigned that way."))
        previous = {a.partner_id.id: (a.id, a.actor_id.id) for a in moving}
        recorded = Membership._abs_recorded_actor(assigned_by_partner)
        created = moving._abs_expire_and_reopen(new_actor_id, recorded)
        self._abs_customers_follow(created.partner_id, sa, new_actor_id, employee)
        for assignment in created:
            old_id, old_actor = previous[assignment.partner_id.id]
            self.env["abs.event.outbox"]._emit(
                "customer.assigned",
                sa,
                assignment.partner_id,
                recorded,
                {
                    "assignment_id": assignment.id,
                    "previous_assignment_id": old_id,
                    "from_actor_id": old_actor or None,
                    "to_actor_id": new_actor_id or None,
                    "employee_id": employee.id or None,
                },
            )
        return self.browse(created.ids)

    @api.model
    def _abs_holder_employee(self, new_actor_partner, sa):
        """The employee of the person who is to hold customers in ``sa`` (empty: unassigned).

        :raise ValidationError: that person has no live membership whose role holds customers.
        """
        if not new_actor_partner:
            return self.env["abs.employee"]
        Membership = self.env["ov.membership"]
        holder = Membership._abs_access_context(new_actor_partner, sa)
        if not holder or not holder.can("hold_customers"):
            raise ValidationError(
                _(
                    "%(person)s cannot be assigned customers in %(sa)s: "
                    "no live membership with a role that holds customers.",
                    person=new_actor_partner.name,
                    sa=sa.name,
                )
            )
        membership = Membership._abs_reader().browse(holder.membership_id)
        # a revocation or downgrade of that membership running at the same time: one of the two
        # is replayed on the other's result, never a customer held by a revoked member
        membership._abs_serialize_with_lifecycle()
        return membership.employee_id

    @api.model
    def _abs_active_rows_of(self, partners, sa):
        """The active rows of ``partners`` in ``sa``. :raise ValidationError: one is not a customer there."""
        current = self._abs_history_admin().search(
            [("partner_id", "in", partners.ids), *visibility.account_assignment_domain(sa.id)]
        )
        missing = partners - current.partner_id
        if missing:
            raise ValidationError(
                _(
                    "%(names)s is not a customer of %(sa)s.",
                    names=", ".join(missing.mapped("name")),
                    sa=sa.name,
                )
            )
        return current

    @api.model
    def _abs_customers_follow(self, customers, sa, new_actor_id, employee):
        """The assigned employee, the salesperson and the V2 actor stamp follow the assignment."""
        # The salesperson follows the assignment; a free-seat agent has no Odoo user, and
        # keeping the previous agent's user would show them as the salesperson.
        customers.write(
            {"x_assigned_employee_id": employee.id or False, "user_id": employee.user_id.id or False}
        )
        # the V2 actor stamp only where the customer's V2 SA stamp is this account
        customers.filtered(lambda p: p.x_sa_id == sa).write({"x_actor_id": new_actor_id})

    def _abs_expire_and_reopen(self, new_actor_id, recorded):
        """Expire these active rows and open one new active row per customer; returns the new rows."""
        now = fields.Datetime.now()
        self.write({"state": "expired", "date_to": now})
        # the partial unique index checks at INSERT time: the expiry must be in the database first
        self.flush_recordset(["state", "date_to"])
        return self._abs_history_admin().create(
            [
                {
                    "account_id": row.account_id.id,
                    "partner_id": row.partner_id.id,
                    "actor_id": new_actor_id,
                    "state": "active",
                    "date_from": now,
                    "assigned_by_id": recorded.id if recorded else False,
                }
                for row in self
            ]
        )
