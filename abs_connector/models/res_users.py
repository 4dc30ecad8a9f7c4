from odoo import _, api, fields, models

from odoo.addons.base.models.res_users import is_reified_group

from ..elevation import elevate

PROXY_USER_XMLID = "abs_connector.abs_api_proxy_user"
# Users whose view of governed records Odoo's own rules alone decide (see _abs_seat_contexts).
UNLIMITED_GROUPS = ("abs_connector.group_abs_governance_manager", "abs_connector.group_abs_api_proxy")
# What a user's view of governed records is decided from, on their own row (see _abs_seat_contexts).
_SEAT_USER_FIELDS = {"partner_id", "groups_id", "share", "active"}


class ResUsers(models.Model):
    _inherit = "res.users"

    # The memberships of the user's person, every state, found once per transaction: the record
    # cache lives as long as the transaction (emptied on commit, rollback and invalidation), so
    # that the several searches of one request ask for them once and the next request asks
    # again. Their states, dates and accounts are read from that cache, which writes keep
    # current; a membership created, deleted or moved to another person drops this field
    # (_abs_forget_seat_answers).
    abs_seat_membership_ids = fields.Many2many(
        "ov.membership",
        compute="_compute_abs_seat_membership_ids",
        compute_sudo=True,
        groups="base.group_system",
    )

    @api.depends("partner_id")
    def _compute_abs_seat_membership_ids(self):
        memberships = self.env["ov.membership"]._abs_memberships_of(self.partner_id)
        for user in self:
            user.abs_seat_membership_ids = memberships.filtered(
                lambda membership, person=user.partner_id: membership.person_partner_id == person
            )

    def write(self, vals):
        # Odoo's own users.write tells the previous address of a changed e-mail: the
        # partner's write must not tell it a second time.
        users = self.with_context(abs_previous_email_told=True) if "email" in vals else self
        result = super(ResUsers, users).write(vals)
        # the user's form sets groups through Odoo's per-group fields, turned into groups_id later
        if _SEAT_USER_FIELDS & set(vals) or any(is_reified_group(name) for name in vals):
            self._abs_forget_seat_answers()
        return result

    @api.model
    def _abs_forget_seat_answers(self):
        """Drop what this transaction knows of seat members' views: every user's memberships
        and every record's ``abs_seat_visible``. Called when a membership, an account or a
        user's groups or person change, so that the next question is answered from the change."""
        self.invalidate_model(["abs_seat_membership_ids"])
        for model_name in self.env.registry.descendants(["abs.seat.visible.mixin"], "_inherit"):
            if not self.env[model_name]._abstract:
                self.env[model_name].invalidate_model(["abs_seat_visible"])

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
        alone apply. Evaluated on every search from the memberships as this transaction knows
        them (never kept across transactions): a membership that ends, even by its end date
        passing, ends the access at once.
        """
        self.ensure_one()
        # groups first: they are cached, while share would read the user's row on every search
        if any(self.has_group(group) for group in UNLIMITED_GROUPS) or self._is_superuser():
            return None
        # as the user, reading their own row would check the contacts rule, which asks this again
        user = elevate(self, "the user's own flag and memberships, not records their rules decide")
        if user.share:
            return None
        return user.abs_seat_membership_ids._abs_seat_contexts()

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
