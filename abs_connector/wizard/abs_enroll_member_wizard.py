from odoo import _, api, fields, models

from ..models.ov_membership import HIERARCHY_SELECTION, POLICY_SELECTION, ROLE_HELP, ROLE_SELECTION


class AbsEnrollMemberWizard(models.TransientModel):
    """Enroll a person in a Service Account from the back office.

    The wizard only collects input; ``ov.membership.enroll`` applies every rule
    (one live membership per SA, employee creation, events).
    """

    _name = "abs.enroll.member.wizard"
    _description = "Enroll a member in a Service Account"
    _abs_seen_references = ("serviced_account_id", "person_partner_id", "manager_member_id")

    serviced_account_id = fields.Many2one(
        "ov.serviced_account",
        string="Service Account",
        required=True,
        domain=[("state", "=", "active")],
    )
    person_partner_id = fields.Many2one(
        "res.partner",
        string="Person",
        required=True,
        domain=[("is_company", "=", False)],
        help="The person who becomes a member. An agent identity (employee) is created for them if missing.",
    )
    # read with the user's own rights: a related field is read as superuser by default, and the
    # person is any id the caller writes into the wizard
    person_email = fields.Char(related="person_partner_id.email", string="E-mail", related_sudo=False)
    role_code = fields.Selection(
        selection=ROLE_SELECTION, string="Role", required=True, default="agent", help=ROLE_HELP
    )
    scope_policy = fields.Selection(
        selection=POLICY_SELECTION,
        string="Visibility Override",
        help="Leave empty to use the role's default visibility.",
    )
    hierarchy_scope = fields.Selection(
        selection=HIERARCHY_SELECTION,
        string="Hierarchy Scope",
        default="this_node_only",
        required=True,
    )
    manager_member_id = fields.Many2one(
        "ov.membership",
        string="Reports To",
        domain="[('serviced_account_id', '=', serviced_account_id), ('is_live', '=', True)]",
    )
    effective_from = fields.Datetime()
    effective_to = fields.Datetime()

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        # Opened from a Service Account (form button or action menu): preselect it.
        context = self.env.context
        if context.get("active_model") == "ov.serviced_account" and context.get("active_id"):
            values.setdefault("serviced_account_id", context["active_id"])
        return values

    @api.onchange("serviced_account_id")
    def _onchange_serviced_account_id(self):
        if self.manager_member_id.serviced_account_id != self.serviced_account_id:
            self.manager_member_id = False

    def _enroll_options(self):
        """Optional membership attributes, passed only when the admin set them."""
        options = {"hierarchy_scope": self.hierarchy_scope}
        if self.scope_policy:
            options["scope_policy"] = self.scope_policy
        if self.manager_member_id:
            options["manager_member_id"] = self.manager_member_id.id
        if self.effective_from:
            options["effective_from"] = self.effective_from
        if self.effective_to:
            options["effective_to"] = self.effective_to
        return options

    def action_enroll(self):
        self.ensure_one()
        Membership = self.env["ov.membership"]
        options = self._enroll_options()
        # A Governance Manager acts for the system; a member acts as themself and grants
        # nothing above their own role, visibility or hierarchy scope (checked first).
        actor = Membership._abs_back_office_actor()
        if actor:
            ctx = Membership._abs_check_actor(actor, self.serviced_account_id, "manage_members")
            Membership._abs_check_grant(
                ctx, self.role_code, options.get("scope_policy"), options.get("hierarchy_scope")
            )
            Membership = Membership._abs_member_writer()
        membership = Membership._abs_enroll(
            self.serviced_account_id,
            self.person_partner_id,
            self.role_code,
            actor_partner=actor,
            **options,
        ).with_env(self.env)
        return {
            "type": "ir.actions.act_window",
            "name": _("Membership"),
            "res_model": "ov.membership",
            "res_id": membership.id,
            "view_mode": "form",
            "target": "current",
        }
