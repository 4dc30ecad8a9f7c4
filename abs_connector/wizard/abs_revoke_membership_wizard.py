from odoo import _, api, fields, models


class AbsRevokeMembershipWizard(models.TransientModel):
    """Confirm the revocation of a membership, showing its impact first.

    Revoking clears the person as actor on their customers in that Service
    Account (docs/customer-lifecycle.md, Stage 5): the customers stay in the SA, unassigned.
    The admin sees how many before confirming; ``action_revoke`` does the work.
    """

    _name = "abs.revoke.membership.wizard"
    _description = "Revoke a membership"
    _abs_seen_references = ("membership_id",)

    membership_id = fields.Many2one("ov.membership", string="Membership", required=True, ondelete="cascade")
    # read with the user's own rights (a related field is read as superuser by default): the
    # membership is any id the caller writes into the wizard
    serviced_account_id = fields.Many2one(related="membership_id.serviced_account_id", related_sudo=False)
    person_partner_id = fields.Many2one(related="membership_id.person_partner_id", related_sudo=False)
    role_code = fields.Selection(related="membership_id.role_code", related_sudo=False)
    membership_state = fields.Selection(related="membership_id.membership_state", related_sudo=False)
    unassigned_count = fields.Integer(
        string="Customers That Become Unassigned",
        compute="_compute_unassigned_count",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "ov.membership" and self.env.context.get("active_id"):
            values.setdefault("membership_id", self.env.context["active_id"])
        return values

    @api.depends("membership_id")
    def _compute_unassigned_count(self):
        for wizard in self:
            # Governance computes it from the same rows _abs_revoke releases
            # (including covered sub-accounts), so the preview cannot drift.
            wizard.unassigned_count = (
                wizard.membership_id._abs_revoke_preview() if wizard.membership_id else 0
            )

    def action_revoke(self):
        self.ensure_one()
        membership = self.membership_id
        # A Governance Manager acts for the system; a member acts as themself and cannot
        # revoke a member whose role ranks above theirs (checked first).
        actor = membership._abs_back_office_actor()
        if actor:
            membership._abs_check_transition(
                actor, ("active", "suspended"), _("This membership is already revoked.")
            )
            membership = membership._abs_member_writer()
        unassigned = membership._abs_revoke(actor_partner=actor)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Membership revoked"),
                "message": _(
                    "%(person)s no longer has access to %(sa)s; %(count)s customer(s) are now unassigned.",
                    person=self.person_partner_id.display_name,
                    sa=self.serviced_account_id.display_name,
                    count=unassigned,
                ),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
