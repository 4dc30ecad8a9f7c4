import logging

from odoo import Command, _, api, fields, models
from odoo.tools import email_normalize, escape_psql

_logger = logging.getLogger(__name__)

PORTAL_GRANTED = "granted"
PORTAL_ALREADY = "already"
PORTAL_SKIPPED_NO_EMAIL = "skipped_no_email"
PORTAL_SKIPPED_INTERNAL_EMAIL = "skipped_internal_email"

PORTAL_STATUSES = [
    (PORTAL_GRANTED, "Invited"),
    (PORTAL_ALREADY, "Already Had Access"),
    (PORTAL_SKIPPED_NO_EMAIL, "Skipped: No E-mail"),
    (PORTAL_SKIPPED_INTERNAL_EMAIL, "Skipped: E-mail of an Internal User"),
]


class ResPartner(models.Model):
    """Portal onboarding of governed customers (seed 000, seed 002 Stages 1 and 6).

    One function, ``_abs_grant_portal_access``, decides and performs the grant
    for every path: customer creation, first confirmed order and the back-office
    wizard. It relies on Odoo's own portal wizard and signup flow.
    """

    _inherit = "res.partner"

    # Governance is internal: a portal customer reading their own contact (JSON-RPC)
    # must not learn their Service Account, agent stamps or assignment history.
    x_sa_id = fields.Many2one(groups="base.group_user")
    x_actor_id = fields.Many2one(groups="base.group_user")
    x_assigned_employee_id = fields.Many2one(groups="base.group_user")
    assignment_ids = fields.One2many(groups="base.group_user")

    abs_portal_status = fields.Selection(
        PORTAL_STATUSES, string="Portal Onboarding", readonly=True, copy=False,
        groups="base.group_user",
        help="Outcome of the last attempt to give this customer portal access.",
    )
    abs_portal_user_id = fields.Many2one(
        "res.users", string="Portal User", readonly=True, copy=False, ondelete="set null",
        groups="base.group_user",
        help="The portal user this customer signs in with: their own, or an existing "
        "portal user with the same e-mail address.",
    )
    # The users archived together with the customer (seed 002 Stage 6), so that
    # un-archiving restores exactly those and not an access someone revoked on purpose.
    abs_archived_portal_user_ids = fields.Many2many(
        "res.users", "abs_partner_archived_portal_user_rel", "partner_id", "user_id",
        string="Portal Users Archived With Customer", readonly=True, copy=False, groups="base.group_system",
        context={"active_test": False},
    )

    # ---- lifecycle hooks (governance methods, extended) ----

    @api.model
    def abs_create_governed_customer(self, sa, vals, actor_partner, portal_access=True):
        # The grant runs here rather than inside the governance method so that
        # the Service Account / company setting decides whether it happens.
        customer = super().abs_create_governed_customer(sa, vals, actor_partner)
        if portal_access and sa._abs_portal_trigger_enabled("on_create"):
            customer._abs_grant_portal_access()
        return customer

    def _abs_archive_portal_users(self):
        archived = self._abs_own_users().filtered(lambda user: user.share and user.active)
        result = super()._abs_archive_portal_users()
        self.sudo().abs_archived_portal_user_ids = [Command.link(user.id) for user in archived]
        return result

    def abs_unarchive_governed_customer(self, sa, actor_partner):
        result = super().abs_unarchive_governed_customer(sa, actor_partner)
        self._abs_restore_portal_users()
        return result

    # ---- the one grant function ----

    def _abs_grant_portal_access(self):
        """Give this customer portal access, the way every onboarding path does.

        :return: 'granted' (user created or reactivated, invitation queued),
            'already' (has a portal user, or an existing portal user with the
            same e-mail was linked), 'skipped_no_email' or 'skipped_internal_email'
            (the address belongs to an internal user: no user is created).
        """
        self.ensure_one()
        status, user = self._abs_portal_decide()
        if status == PORTAL_GRANTED:
            user = self._abs_invite_portal_user()
        self._abs_record_portal_outcome(status, user)
        return status

    def _abs_portal_decide(self):
        """(status, user) for this customer, without changing anything."""
        own_users = self._abs_own_users()
        if own_users.filtered(lambda user: not user.share):
            return PORTAL_SKIPPED_INTERNAL_EMAIL, own_users.browse()
        active_portal = own_users.filtered(lambda user: user.active and user._is_portal())
        if active_portal:
            return PORTAL_ALREADY, active_portal[:1]
        email = email_normalize(self.email or "")
        if not email:
            return PORTAL_SKIPPED_NO_EMAIL, own_users.browse()
        others = self._abs_users_with_email(email) - own_users
        if others.filtered(lambda user: not user.share):
            return PORTAL_SKIPPED_INTERNAL_EMAIL, own_users.browse()
        if others:
            # Same address, same person: link the existing portal user rather
            # than creating a second user (logins are unique).
            return PORTAL_ALREADY, others.sorted(lambda user: (not user.active, user.id))[:1]
        return PORTAL_GRANTED, own_users.browse()

    def _abs_has_portal_access(self):
        self.ensure_one()
        status, user = self._abs_portal_decide()
        return status == PORTAL_ALREADY and user.active

    @api.model
    def _abs_portal_message(self, status, email=None):
        """A sentence a back-office user understands, for a grant outcome."""
        return {
            PORTAL_GRANTED: _("Portal access granted; the invitation to choose a password is queued."),
            PORTAL_ALREADY: _("This customer already has portal access."),
            PORTAL_SKIPPED_NO_EMAIL: _("No portal access: the customer has no valid e-mail address."),
            PORTAL_SKIPPED_INTERNAL_EMAIL: _(
                "No portal access: the e-mail address %(email)s belongs to an internal user. "
                "Give the customer their own address to invite them.", email=email or ""),
        }[status]

    def _abs_portal_onboarding_enabled(self, trigger, company=None):
        """Whether ``trigger`` ('on_create' / 'on_first_order') applies to this customer:
        their Service Account's choice, else the company's setting."""
        self.ensure_one()
        sa = self._abs_portal_service_account()
        if sa:
            return sa._abs_portal_trigger_enabled(trigger)
        return bool((company or self._abs_portal_company())[f"abs_portal_{trigger}"])

    # ---- small sudo helpers: creating users needs admin rights; every caller
    # ---- has already checked the actor's authority over the customer ----

    def _abs_own_users(self):
        return self.sudo().with_context(active_test=False).user_ids

    @api.model
    def _abs_users_with_email(self, email):
        return self.env["res.users"].sudo().with_context(active_test=False).search([
            "|", ("login", "=ilike", escape_psql(email)), ("partner_id.email_normalized", "=", email),
        ])

    def _abs_portal_service_account(self):
        partner = self.sudo()
        return partner.x_sa_id or partner.commercial_partner_id.x_sa_id

    def _abs_portal_company(self):
        partner = self.sudo()
        return partner.company_id or partner.x_sa_id.company_id or self.env.company

    def _abs_invite_portal_user(self):
        """Create (or reactivate) the portal user with Odoo's portal wizard, in the
        customer's company, and queue the signup invitation."""
        company = self._abs_portal_company()
        partner = self.sudo()
        archived_portal = partner._abs_own_users().filtered(
            lambda user: not user.active and user._is_portal())
        # The portal wizard refuses a user that is still in the portal group even
        # when archived: bring it back first, then re-invite it.
        archived_portal[:1].write({"active": True})
        partner.abs_archived_portal_user_ids = [Command.unlink(user.id) for user in archived_portal[:1]]
        wizard = self.env["portal.wizard"].sudo().with_company(company).with_context(
            abs_queue_portal_invitation=True, active_ids=None, active_model=None,
        ).create({"partner_ids": [Command.set(partner.ids)]})
        wizard_user = wizard.user_ids.filtered(lambda line: line.partner_id == partner)
        if archived_portal:
            wizard_user.action_invite_again()
        else:
            wizard_user.action_grant_access()
        return partner._abs_own_users().filtered(lambda user: user.active)[:1]

    def _abs_record_portal_outcome(self, status, user):
        partner = self.sudo()
        values = {"abs_portal_status": status}
        if user:
            values["abs_portal_user_id"] = user.id
        partner.write(values)
        linked = status == PORTAL_ALREADY and user.partner_id != partner
        if status == PORTAL_SKIPPED_INTERNAL_EMAIL or linked:
            note = self._abs_portal_message(status, email_normalize(partner.email or ""))
            if status == PORTAL_ALREADY:
                note = _("Portal access: linked to the existing portal user %(login)s, who has the same "
                         "e-mail address. No second user was created.", login=user.login)
            partner.message_post(body=note, subtype_xmlid="mail.mt_note")
            _logger.info("abs_connector: portal onboarding of partner %s: %s", partner.id, status)

    def _abs_restore_portal_users(self):
        partner = self.sudo()
        users = partner.abs_archived_portal_user_ids.filtered(
            lambda user: not user.active and user.partner_id == partner)
        users.write({"active": True})
        partner.abs_archived_portal_user_ids = [Command.clear()]

    # ---- portal home (/my): who serves this customer ----

    def _abs_portal_service_contact(self):
        """Name, phone and e-mail of the agent serving this customer, for their portal home.

        Only what a customer may know about the person who serves them: nothing
        about the Service Account, the membership or other customers.
        :return: dict(name, phone, email) or None when the customer is unassigned.
        """
        self.ensure_one()
        agent = self._abs_serving_agent()
        if not agent:
            return None
        return {
            "name": agent.name,
            "phone": agent.phone or agent.mobile or "",
            "email": agent.email or "",
        }

    def _abs_serving_agent(self):
        # The customer cannot read governance records; this helper reads the
        # active assignment of the customer (or of its company) on their behalf.
        partner = self.sudo()
        for customer in partner | partner.commercial_partner_id:
            rows = customer.assignment_ids.filtered(lambda row: row.state == "active" and row.actor_id)
            own_sa = rows.filtered(lambda row, sa=customer.x_sa_id: row.account_id == sa)
            row = (own_sa or rows.sorted("date_from", reverse=True))[:1]
            if row:
                return row.actor_id
        return partner.browse()
