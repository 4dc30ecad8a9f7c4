from odoo import _, api, models

from ..elevation import elevate

PROXY_USER_XMLID = "abs_connector.abs_api_proxy_user"


class ResUsers(models.Model):
    _inherit = "res.users"

    def write(self, vals):
        # Odoo's own users.write tells the previous address of a changed e-mail: the
        # partner's write must not tell it a second time.
        users = self.with_context(abs_previous_email_told=True) if "email" in vals else self
        return super(ResUsers, users).write(vals)

    def _abs_notify_previous_email(self, old_email):
        """Tell the address a portal customer just left that it is no longer theirs, so a
        change they did not make does not go unnoticed."""
        if self.env.context.get("abs_previous_email_told") or not old_email:
            return
        user = elevate(self, "the customer changing their own address may not send mail")
        user._notify_security_setting_update(
            _("Security Update: Email Changed"),
            _(
                "Your account email has been changed from %(old_email)s to %(new_email)s.",
                old_email=old_email,
                new_email=self.email,
            ),
            mail_values={"email_to": old_email},
            suggest_password_reset=False,
        )

    @api.model
    def _abs_sync_proxy_companies(self):
        """Give the API proxy user every company: API requests act in the SA's company.

        Called when the addon is installed or upgraded; call it again after creating a company.
        """
        proxy = self.env.ref(PROXY_USER_XMLID, raise_if_not_found=False)
        if not proxy:
            return False
        # Runs at install, upgrade and company creation, by whoever creates the company.
        companies = elevate(self.env["res.company"], "the proxy needs every company").search([])
        proxy = elevate(proxy, "only an administrator may change a user's companies")
        missing = companies - proxy.company_ids
        if missing:
            proxy.write({"company_ids": [(4, company.id) for company in missing]})
        return True
