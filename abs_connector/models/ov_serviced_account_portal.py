from odoo import fields, models

_PORTAL_OVERRIDE = [
    ("company", "Company Default"),
    ("on", "On"),
    ("off", "Off"),
]


class OvServicedAccount(models.Model):
    """Per Service Account override of the company's portal onboarding settings."""

    _inherit = "ov.serviced_account"

    abs_portal_on_create = fields.Selection(
        _PORTAL_OVERRIDE, string="Portal Invitation on Creation", default="company", required=True,
        help="Whether customers created in this account get a portal user and an invitation. "
        "'Company Default' follows the setting of the account's company.",
    )
    abs_portal_on_first_order = fields.Selection(
        _PORTAL_OVERRIDE, string="Portal Invitation on First Order", default="company", required=True,
        help="Whether confirming the first sale order of a customer of this account without "
        "portal access invites them. 'Company Default' follows the account's company.",
    )

    def _abs_portal_trigger_enabled(self, trigger):
        """Whether portal onboarding ``trigger`` ('on_create' or 'on_first_order') is on here.

        The account's own choice wins; 'company' defers to its company (or the
        current company for an account without one).
        """
        self.ensure_one()
        fname = f"abs_portal_{trigger}"
        choice = self[fname]
        if choice == "company":
            return bool((self.company_id or self.env.company)[fname])
        return choice == "on"
