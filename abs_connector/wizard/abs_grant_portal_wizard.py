from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError

from ..models.res_partner import (
    PORTAL_ALREADY,
    PORTAL_GRANTED,
    PORTAL_SKIPPED_INTERNAL_EMAIL,
    PORTAL_SKIPPED_NO_EMAIL,
)
from .abs_wizard_selection import active_ids, selected_customers


class AbsGrantPortalWizard(models.TransientModel):
    """Give several governed customers portal access at once, with a summary.

    Uses ``res.partner._abs_grant_portal_access``, the same rules as the
    automatic onboarding on creation and on the first confirmed order.
    """

    _name = "abs.grant.portal.wizard"
    _description = "Grant portal access to governed customers"
    _abs_seen_references = ("serviced_account_id", "partner_ids")

    serviced_account_id = fields.Many2one("ov.serviced_account", string="Service Account")
    partner_ids = fields.Many2many(
        "res.partner",
        string="Customers",
        required=True,
        domain="[('assignment_ids', 'any',"
        " [('state', '=', 'active'), ('account_id', '=?', serviced_account_id)])]",
    )
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft", required=True)
    line_ids = fields.One2many("abs.grant.portal.wizard.line", "wizard_id", string="Result", readonly=True)
    granted_count = fields.Integer(compute="_compute_counts")
    already_count = fields.Integer(compute="_compute_counts")
    skipped_count = fields.Integer(compute="_compute_counts")

    @api.depends("line_ids.status")
    def _compute_counts(self):
        for wizard in self:
            statuses = wizard.line_ids.mapped("status")
            wizard.granted_count = statuses.count(PORTAL_GRANTED)
            wizard.already_count = statuses.count(PORTAL_ALREADY)
            wizard.skipped_count = statuses.count(PORTAL_SKIPPED_NO_EMAIL) + statuses.count(
                PORTAL_SKIPPED_INTERNAL_EMAIL
            )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        ids = active_ids(self.env.context)
        if self.env.context.get("active_model") == "ov.serviced_account" and ids:
            # From the account itself: every customer of it who has no user yet.
            sa = self.env["ov.serviced_account"].browse(ids[0]).exists()
            values.setdefault("serviced_account_id", sa.id)
            uninvited = self.env["res.partner"].search(
                [
                    ("assignment_ids", "any", [("account_id", "=", sa.id), ("state", "=", "active")]),
                    ("user_ids", "=", False),
                ]
            )
            values.setdefault("partner_ids", [Command.set(uninvited.ids)])
            return values
        partners, sa = selected_customers(self.env)
        if partners:
            values.setdefault("partner_ids", [Command.set(partners.ids)])
        if sa:
            values.setdefault("serviced_account_id", sa.id)
        return values

    def _check_governed_customers(self):
        """Refuse before touching anything when a selection is not a governed customer
        (of the chosen Service Account, when there is one)."""
        sa = self.serviced_account_id

        def is_governed(partner):
            return partner.assignment_ids.filtered(
                lambda row: row.state == "active" and (not sa or row.account_id == sa)
            )

        strangers = self.partner_ids.filtered(lambda partner: not is_governed(partner))
        if strangers and sa:
            raise UserError(
                _(
                    "These contacts are not customers of %(sa)s: %(names)s. "
                    "Remove them or pick their Service Account.",
                    sa=sa.display_name,
                    names=", ".join(strangers.mapped("display_name")),
                )
            )
        if strangers:
            raise UserError(
                _(
                    "These contacts are not governed customers: %(names)s. "
                    "Portal onboarding from here is for customers of a Service Account.",
                    names=", ".join(strangers.mapped("display_name")),
                )
            )

    def action_grant(self):
        self.ensure_one()
        if self.state != "draft":
            raise UserError(_("This batch was already processed; open the wizard again for a new one."))
        if not self.partner_ids:
            raise UserError(_("Select at least one customer."))
        self._check_governed_customers()
        lines = []
        for partner in self.partner_ids:
            status = partner._abs_grant_portal_access()
            lines.append(Command.create({"partner_id": partner.id, "status": status}))
        self.write({"line_ids": lines, "state": "done"})
        return {
            "type": "ir.actions.act_window",
            "name": _("Portal Access"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
