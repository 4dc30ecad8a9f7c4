from odoo import _, api, fields, models
from odoo.exceptions import MissingError, UserError, ValidationError
from odoo.tools import email_normalize

from ..governance import visibility
from ..governance.errors import Conflict

# Governance fields only the lifecycle methods below may set.
_GOVERNANCE_FIELDS = frozenset({
    "x_sa_id", "x_actor_id", "x_assigned_employee_id", "assignment_ids", "active", "user_ids",
})


class ResPartner(models.Model):
    """Customers as governed entities: V2 stamps plus the V3 assignment history."""

    _name = "res.partner"
    _inherit = ["res.partner", "abs.governed.mixin"]

    x_assigned_employee_id = fields.Many2one(
        "abs.employee", string="Assigned Employee", index=True, ondelete="set null",
        help="The employee working this customer (operational assignment, seed 002 Stage 4).",
    )
    assignment_ids = fields.One2many(
        "ov.sa_customer_assignment", "partner_id", string="Assignment History",
    )
    abs_assignment_count = fields.Integer(compute="_compute_abs_assignment_count")

    def _compute_abs_assignment_count(self):
        counts = dict(self.env["ov.sa_customer_assignment"]._read_group(
            [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]))
        for partner in self:
            partner.abs_assignment_count = counts.get(partner, 0)

    def write(self, vals):
        if "email" in vals:
            self._abs_check_employee_login_free(vals["email"])
        return super().write(vals)

    def _abs_check_employee_login_free(self, email):
        """A person's e-mail is their sign-in: refuse one another employee signs in with."""
        login = email_normalize(email or "", strict=True)
        if not login:
            return
        Employee = self.env["abs.employee"]._abs_employee_admin()
        mine = Employee.search([("partner_id", "in", self.ids)])
        if not mine:
            return
        other = Employee.search([("login", "=", login), ("id", "not in", mine.ids)], limit=1)
        if other:
            raise ValidationError(_(
                "%(email)s is already the sign-in address of %(other)s; two people cannot share one.",
                email=login, other=other.name))

    # ---- helpers ----

    @api.model
    def _abs_check_governance_vals(self, vals):
        forbidden = sorted(set(vals) & _GOVERNANCE_FIELDS)
        if forbidden:
            raise ValidationError(_("These fields are set by governance, not directly: %s",
                                    ", ".join(forbidden)))

    def _abs_assignment_admin(self):
        return self.env["ov.sa_customer_assignment"]._abs_history_admin()

    def _abs_partner_reader(self):
        # Visibility is decided by the governance domain, not by what the
        # executing Odoo user (API proxy) may read.
        return self.sudo()

    @api.model
    def _abs_visible_customers(self, sa, actor_partner, capability, ids, include_archived=False):
        """The customers among ``ids`` that ``actor_partner`` may act on in ``sa``.

        A system call (no actor) sees every customer with an active assignment in ``sa``.
        :raise AccessError: the actor's role does not grant ``capability``.
        """
        ctx = self.env["ov.membership"]._abs_check_actor(actor_partner, sa, capability)
        domain = visibility.customer_domain(ctx) if ctx else [
            ("assignment_ids", "any", [("account_id", "=", sa.id), ("state", "=", "active")])]
        found = self._abs_partner_reader().with_context(active_test=not include_archived).search(
            [("id", "in", list(ids)), *domain])
        return self.browse(found.ids)

    def _abs_ensure_visible(self, sa, actor_partner, capability, include_archived=False):
        self.ensure_one()
        if not self._abs_visible_customers(sa, actor_partner, capability, self.ids, include_archived):
            # the same answer as a customer that does not exist (DESIGN §4)
            raise MissingError(_("Customer not found."))

    @api.model
    def _abs_find_customer_by_email(self, sa, email):
        normalized = email_normalize(email or "")
        if not normalized:
            return self.browse()
        return self._abs_partner_reader().search([
            ("email_normalized", "=", normalized),
            ("assignment_ids", "any", [("account_id", "=", sa.id), ("state", "=", "active")]),
        ], limit=1)

    # ---- lifecycle (seed 002 Stages 1, 3, 6) ----

    @api.model
    def abs_create_governed_customer(self, sa, vals, actor_partner):
        """Create a customer in ``sa``: V2 stamps and the V3 assignment, in one transaction.

        The creator is the actor (seed 002 Stage 1) when their role holds
        customers; otherwise (finance, system call) the customer starts unassigned.
        Portal onboarding is added on top of this by res_partner_portal.py.

        :raise Conflict: a customer with that e-mail is already in ``sa``.
        :raise AccessError: the actor may not create customers in ``sa``.
        :raise ValidationError: inactive account, governance fields in ``vals``.
        """
        self._abs_check_governance_vals(vals)
        if not sa or sa.state != "active":
            raise ValidationError(_("Customers can only be created in an active Service Account."))
        ctx = self.env["ov.membership"]._abs_check_actor(actor_partner, sa, "create_customers")
        duplicate = self._abs_find_customer_by_email(sa, vals.get("email"))
        if duplicate:
            raise Conflict(_("A customer with this e-mail already exists in %(sa)s.", sa=sa.name),
                           details={"partner_id": duplicate.id})
        recorded = self.env["ov.membership"]._abs_recorded_actor(actor_partner)
        holder = actor_partner if ctx and ctx.can("hold_customers") else self.browse()
        membership = self.env["ov.membership"]._abs_reader().browse(ctx.membership_id if holder else [])
        employee = membership.employee_id if holder else None
        customer = self.create({
            **vals,
            "x_sa_id": sa.id,
            "x_actor_id": holder.id or False,
            "x_assigned_employee_id": employee.id if employee else False,
        })
        assignment = self._abs_assignment_admin().create({
            "account_id": sa.id,
            "partner_id": customer.id,
            "actor_id": holder.id or False,
            "state": "active",
            "date_from": fields.Datetime.now(),
            "assigned_by_id": recorded.id if recorded else False,
        })
        self.env["abs.event.outbox"]._emit("customer.created", sa, customer, recorded, {
            "name": customer.name,
            "email": customer.email or None,
            "phone": customer.phone or None,
            "assignment_id": assignment.id,
            "actor_id": holder.id or None,
        })
        return customer

    def abs_update_governed_customer(self, vals, sa, actor_partner):
        """Update a customer the actor can see in ``sa`` (seed 002 Stage 3).

        :raise MissingError: the actor cannot see it (answers like a missing one).
        :raise ValidationError: governance fields in ``vals``.
        """
        self.ensure_one()
        self._abs_check_governance_vals(vals)
        self._abs_ensure_visible(sa, actor_partner, "write_customers")
        if "email" in vals and email_normalize(vals["email"] or "") != self.email_normalized:
            duplicate = self._abs_find_customer_by_email(sa, vals["email"])
            if duplicate and duplicate != self:
                raise Conflict(_("A customer with this e-mail already exists in %(sa)s.", sa=sa.name),
                               details={"partner_id": duplicate.id})
        self.write(vals)
        changed = {fname: self._abs_event_value(fname) for fname in vals}
        recorded = self.env["ov.membership"]._abs_recorded_actor(actor_partner)
        self.env["abs.event.outbox"]._emit("customer.updated", sa, self, recorded, {"changed": changed})
        return True

    def _abs_event_value(self, fname):
        value = self[fname]
        field = self._fields[fname]
        if field.type == "many2one":
            return value.id or None
        if field.type in ("one2many", "many2many"):
            return value.ids
        if field.type in ("date", "datetime"):
            return fields.Datetime.to_string(value) if value else None
        return value if value is not False or field.type == "boolean" else None

    def abs_archive_governed_customer(self, sa, actor_partner):
        """Archive a customer (seed 002 Stage 6): its portal users first, then
        the partner; the assignment row stays as history."""
        self.ensure_one()
        self._abs_ensure_visible(sa, actor_partner, "archive_customers")
        self._abs_archive_portal_users()
        self.write({"active": False})
        assignment = self.assignment_ids.filtered(lambda a: a.account_id == sa and a.state == "active")[:1]
        recorded = self.env["ov.membership"]._abs_recorded_actor(actor_partner)
        self.env["abs.event.outbox"]._emit("customer.archived", sa, self, recorded, {
            "assignment_id": assignment.id or None,
        })
        return True

    def abs_unarchive_governed_customer(self, sa, actor_partner):
        """Bring an archived customer back (res_partner_portal.py restores its portal users)."""
        self.ensure_one()
        self._abs_ensure_visible(sa, actor_partner, "archive_customers", include_archived=True)
        if self.active:
            raise UserError(_("%(name)s is not archived.", name=self.name))
        self.write({"active": True})
        self.env["abs.event.outbox"]._emit("customer.updated", sa, self,
                                           self.env["ov.membership"]._abs_recorded_actor(actor_partner),
                                           {"changed": {"active": True}})
        return True

    # ---- portal users: small sudo helpers ----

    def _abs_archive_portal_users(self):
        users = self.sudo().with_context(active_test=False).user_ids.filtered(lambda u: u.share and u.active)
        if users:
            users.write({"active": False})
