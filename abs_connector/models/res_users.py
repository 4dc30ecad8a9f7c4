from odoo import api, models

PROXY_USER_XMLID = "abs_connector.abs_api_proxy_user"


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.model
    def _abs_sync_proxy_companies(self):
        """Give the API proxy user every company: API requests act in the SA's company.

        Called when the addon is installed or upgraded; call it again after creating a company.
        """
        proxy = self.env.ref(PROXY_USER_XMLID, raise_if_not_found=False)
        if not proxy:
            return False
        companies = self.env["res.company"].sudo().search([])
        missing = companies - proxy.sudo().company_ids
        if missing:
            proxy.sudo().write({"company_ids": [(4, company.id) for company in missing]})
        return True
