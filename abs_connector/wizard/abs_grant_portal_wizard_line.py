from odoo import api, fields, models

from ..models.res_partner import PORTAL_STATUSES


class AbsGrantPortalWizardLine(models.TransientModel):
    """One customer's outcome in a portal access batch."""

    _name = "abs.grant.portal.wizard.line"
    _description = "Portal access batch result"
    _abs_seen_references = ("partner_id",)

    wizard_id = fields.Many2one("abs.grant.portal.wizard", required=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True)
    # read with the user's own rights (a related field is read as superuser by default)
    email = fields.Char(related="partner_id.email", related_sudo=False)
    status = fields.Selection(PORTAL_STATUSES, required=True, readonly=True)
    message = fields.Char(compute="_compute_message")

    @api.depends("status", "partner_id.email")
    def _compute_message(self):
        for line in self:
            line.message = self.env["res.partner"]._abs_portal_message(line.status, line.partner_id.email)
