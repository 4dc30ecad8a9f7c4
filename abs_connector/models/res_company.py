from odoo import api, fields, models

from .. import bootstrap


class ResCompany(models.Model):
    _inherit = "res.company"

    # Portal onboarding of governed customers (docs/customer-lifecycle.md, Stage 1); each
    # Service Account may override them (ov_serviced_account.py).
    abs_portal_on_create = fields.Boolean(
        string="Portal Invitation on Customer Creation",
        default=True,
        help="A governed customer created with an e-mail address gets a portal user "
        "and an invitation to choose a password.",
    )
    abs_portal_on_first_order = fields.Boolean(
        string="Portal Invitation on First Confirmed Order",
        default=True,
        help="Confirming the first sale order of a governed customer without portal access "
        "gives them portal access and sends the invitation.",
    )
    abs_portal_first_order_all_contacts = fields.Boolean(
        string="First-Order Invitation for Every Contact",
        default=False,
        help="Also invite contacts that no Service Account governs at their first confirmed "
        "order. Off: installing the addon never starts portal invitations company-wide.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        # Every company has exactly one seed SA, including companies created
        # after installation (same code as the install hook and migrations).
        bootstrap.ensure_company_seeds(self.env, companies)
        # The API proxy user must be allowed in every company it acts for.
        self.env["res.users"]._abs_sync_proxy_companies()
        return companies
