"""A caller's ``default_<field>`` context keys never reach what the addon creates as superuser.

Over Odoo's RPC routes the caller chooses the context, and Odoo fills every field a ``create``
leaves out from its ``default_<field>`` keys; as superuser no field's groups stop them. Odoo 18's
``sudo()`` leaves those keys behind when it elevates, and the addon elevates only through it
(``elevate()``): these tests hold that through the real route (docs/security.md, API5).
"""

from odoo.tests import HttpCase, tagged

from ..models.abs_employee import _PASSWORD_CONTEXT
from .common import AbsGovernanceCase, JsonRpcMixin

ENROLLERS_PASSWORD = "chosen by the enroller"


@tagged("post_install", "-at_install", "abs_security")
class TestCallerDefaultsOverRpc(JsonRpcMixin, HttpCase, AbsGovernanceCase):
    """Stella, a Governance User and staff member who sees her account's own and unassigned
    customers, enrolls agents and archives customers through Odoo's JSON-RPC route, sending
    defaults for the fields the addon leaves to Odoo."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sa = cls.make_branch("Defaults Branch")
        cls.stella = cls.make_user(
            "defaults.stella@example.com", *cls.SEAT_GROUPS, "abs_connector.group_abs_governance_user"
        )
        cls.make_member(cls.sa, "staff", cls.stella.partner_id, scope_policy="assigned_plus_unassigned")
        cls.slipped = {
            "default_scope_policy": "sa_wide",
            "default_password_hash": _PASSWORD_CONTEXT.hash(ENROLLERS_PASSWORD),
            "default_password_set_by_enroller": False,
            "default_state": "sent",
        }

    def enroll_agent(self, context):
        """The membership Stella's enroll wizard creates for a new person, the wizard created
        plainly and its button pressed with ``context``."""
        self.authenticate(self.stella.login, self.stella.login)
        values = {
            "serviced_account_id": self.sa.id,
            "person_partner_id": self.make_person().id,
            "role_code": "agent",
        }
        created = self.call_kw("abs.enroll.member.wizard", "create", [[values]])
        answer = self.call_kw(
            "abs.enroll.member.wizard", "action_enroll", [created["result"]], {"context": context}
        )
        self.assertNotIn("error", answer, answer)
        return self.env["ov.membership"].browse(answer["result"]["res_id"])

    def test_a_callers_defaults_neither_widen_an_enrolment_nor_set_a_password_nor_silence_its_event(self):
        plain = self.enroll_agent({})
        slipped = self.enroll_agent(self.slipped)
        self.assertEqual(slipped.scope_policy, plain.scope_policy)
        self.assertNotEqual(slipped.effective_policy, "sa_wide")
        identity = slipped.employee_id
        self.assertFalse(identity.has_password)
        self.assertFalse(identity._abs_check_password(ENROLLERS_PASSWORD))
        enrolled = self.events("membership.enrolled", slipped)
        self.assertEqual(enrolled.mapped("state"), ["pending"])

    def test_a_callers_default_state_does_not_mark_an_archived_customers_event_sent(self):
        customer = self.make_customer(self.sa, name="Defaults Customer")
        self.authenticate(self.stella.login, self.stella.login)
        answer = self.call_kw(
            "res.partner", "write", [customer.ids, {"active": False}], {"context": self.slipped}
        )
        self.assertNotIn("error", answer, answer)
        self.assertFalse(customer.active)
        self.assertEqual(self.events("customer.archived", customer).mapped("state"), ["pending"])
