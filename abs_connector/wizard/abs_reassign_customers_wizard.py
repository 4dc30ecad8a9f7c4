from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .abs_wizard_selection import active_ids, selected_customers


class AbsReassignCustomersWizard(models.TransientModel):
    """Hand several customers of one Service Account to another agent at once.

    ``ov.sa_customer_assignment.reassign`` expires each current assignment and
    opens a new one, so the history stays complete; it also refuses customers
    that are not in the account and agents who cannot hold customers there.
    """

    _name = "abs.reassign.customers.wizard"
    _description = "Reassign customers"
    _abs_seen_references = ("serviced_account_id", "partner_ids", "employee_id")

    serviced_account_id = fields.Many2one("ov.serviced_account", string="Service Account", required=True)
    partner_ids = fields.Many2many(
        "res.partner",
        string="Customers",
        required=True,
        domain="[('assignment_ids', 'any', [('account_id', '=', serviced_account_id),"
        " ('state', '=', 'active')])]",
    )
    unassign = fields.Boolean(
        string="Leave Unassigned",
        help="Take the customers away from their agent without giving them to another one: "
        "every agent of the account then sees them as unassigned.",
    )
    employee_id = fields.Many2one(
        "abs.employee",
        string="New Agent",
        domain="[('membership_ids', 'any', [('serviced_account_id', '=', serviced_account_id),"
        " ('is_live', '=', True)])]",
        help="A person with a live membership in the Service Account.",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        ids = active_ids(self.env.context)
        if self.env.context.get("active_model") == "ov.serviced_account" and ids:
            values.setdefault("serviced_account_id", ids[0])
            return values
        partners, sa = selected_customers(self.env)
        if partners:
            values.setdefault("partner_ids", [fields.Command.set(partners.ids)])
        if sa:
            values.setdefault("serviced_account_id", sa.id)
        return values

    @api.onchange("unassign")
    def _onchange_unassign(self):
        if self.unassign:
            self.employee_id = False

    def _new_actor_partner(self):
        if self.unassign:
            return None
        if not self.employee_id:
            raise UserError(_("Choose the new agent, or tick “Leave Unassigned”."))
        return self.employee_id.partner_id

    def action_reassign(self):
        self.ensure_one()
        new_actor = self._new_actor_partner()
        # Back-office call: authority comes from the Odoo group allowed to
        # use this wizard, not from a membership in the SA (assigned_by None
        # skips that check) ...
        created = self.env["ov.sa_customer_assignment"]._abs_reassign(
            self.partner_ids, self.serviced_account_id, new_actor, None
        )
        # ... but the history must still say who did it.
        created.write({"assigned_by_id": self.env.user.partner_id.id})
        if new_actor:
            message = _(
                "%(count)s customer(s) of %(sa)s are now assigned to %(agent)s.",
                count=len(created),
                sa=self.serviced_account_id.display_name,
                agent=new_actor.display_name,
            )
        else:
            message = _(
                "%(count)s customer(s) of %(sa)s are now unassigned.",
                count=len(created),
                sa=self.serviced_account_id.display_name,
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Customers reassigned"),
                "message": message,
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
