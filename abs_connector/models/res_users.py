from odoo import _, api, models

from ..elevation import elevate

PROXY_USER_XMLID = "abs_connector.abs_api_proxy_user"
# Users whose view of governed records Odoo's own rules alone decide (see _abs_seat_contexts).
UNLIMITED_GROUPS = ("abs_connector.group_abs_governance_manager", "abs_connector.group_abs_api_proxy")


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

    def _abs_seat_contexts(self):
        """What limits this user's view of governed records on Odoo's own screens.

        An internal user whose person is, or was, a member of a Service Account sees governed
        records the way the API would show them to that person: the access contexts of their
        live memberships (none when all are suspended, revoked or ended). Governance Managers,
        the API proxy, portal users and people who never were members: None, Odoo's own rules
        alone apply. Evaluated on every search, never cached: a membership that ends, even by
        its end date passing, ends the access at once.
        """
        self.ensure_one()
        # groups first: they are cached, while share would read the user's row on every search
        if any(self.has_group(group) for group in UNLIMITED_GROUPS) or self._is_superuser():
            return None
        # as the user, reading their own row would check the contacts rule, which asks this again
        if elevate(self, "the user's own flag, not a record their rules decide").share:
            return None
        return self.env["ov.membership"]._abs_seat_contexts(self.partner_id)

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
