from odoo import _, api, fields, models

from ..models.ov_membership import HIERARCHY_SELECTION, POLICY_SELECTION, ROLE_SELECTION


class AbsExplainAccessWizard(models.TransientModel):
    """Answer "can this person see this customer in this SA, and why?".

    The answer comes from ``ov.serviced_account.explain_access``, the same
    code path the API uses, so support staff see what the agent's app sees.
    """

    _name = "abs.explain.access.wizard"
    _description = "Explain customer access"
    _abs_seen_references = ("person_partner_id", "serviced_account_id", "customer_id")

    person_partner_id = fields.Many2one(
        "res.partner", string="Person", required=True, domain=[("is_company", "=", False)]
    )
    serviced_account_id = fields.Many2one("ov.serviced_account", string="Service Account", required=True)
    customer_id = fields.Many2one("res.partner", string="Customer", required=True)

    # Result of the last explanation; empty until the admin clicks "Explain".
    explained = fields.Boolean(readonly=True)
    visible = fields.Boolean(readonly=True)
    reason = fields.Text(readonly=True)
    membership_id = fields.Many2one("ov.membership", string="Membership Used", readonly=True)
    role_code = fields.Selection(selection=ROLE_SELECTION, string="Role", readonly=True)
    policy = fields.Selection(selection=POLICY_SELECTION, string="Visibility Policy", readonly=True)
    hierarchy_scope = fields.Selection(selection=HIERARCHY_SELECTION, string="Hierarchy Scope", readonly=True)
    assignment_id = fields.Many2one("ov.sa_customer_assignment", string="Assignment", readonly=True)
    actor_id = fields.Many2one("res.partner", string="Assigned Agent", readonly=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        source, active_id = context.get("active_model"), context.get("active_id")
        if not active_id:
            return values
        if source == "res.partner":
            customer = self.env["res.partner"].browse(active_id)
            values.setdefault("customer_id", customer.id)
            if customer.x_sa_id:
                values.setdefault("serviced_account_id", customer.x_sa_id.id)
        elif source == "ov.membership":
            membership = self.env["ov.membership"].browse(active_id)
            values.setdefault("person_partner_id", membership.person_partner_id.id)
            values.setdefault("serviced_account_id", membership.serviced_account_id.id)
        elif source == "ov.serviced_account":
            values.setdefault("serviced_account_id", active_id)
        return values

    @api.onchange("person_partner_id", "serviced_account_id", "customer_id")
    def _onchange_question(self):
        # A changed question makes the previous answer misleading.
        self.explained = False

    @staticmethod
    def _record_id(value):
        """explain_access may answer ids or records; store ids."""
        return getattr(value, "id", value) or False

    def _answer_values(self, answer):
        return {
            "explained": True,
            "visible": bool(answer.get("visible")),
            "reason": answer.get("reason") or "",
            "membership_id": self._record_id(answer.get("membership_id")),
            "role_code": answer.get("role_code") or False,
            "policy": answer.get("policy") or False,
            "hierarchy_scope": answer.get("hierarchy_scope") or False,
            "assignment_id": self._record_id(answer.get("assignment_id")),
            "actor_id": self._record_id(answer.get("actor_id")),
        }

    def action_explain(self):
        self.ensure_one()
        # The explainer reads governance with elevated rights: ask only about
        # what the caller may read.
        self.serviced_account_id.check_access("read")
        (self.person_partner_id | self.customer_id).check_access("read")
        answer = self.env["ov.serviced_account"]._abs_explain_access(
            self.person_partner_id, self.serviced_account_id, self.customer_id
        )
        self.write(self._answer_values(answer))
        return {
            "type": "ir.actions.act_window",
            "name": _("Explain Access"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
