import json

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..governance import events
from .api_common import AbsApiCase
from .common import JsonRpcMixin

PERSONAL = {
    "email": "marie.erase@client.example.com",
    "phone": "+228 90 11 22 33",
    "street": "1 rue X",
    "city": "Lomé",
}


@tagged("post_install", "-at_install")
class TestRightToErasure(AbsApiCase):
    """A governed customer's personal data can be erased; its history stays."""

    def erasable_customer(self):
        return self.customer(actor=self.jean, portal_access=True, name="Marie Erase", **PERSONAL)

    def assert_erased(self, customer, portal_users, rows_before):
        customer.invalidate_recordset()
        self.assertFalse(customer.active)
        self.assertEqual(customer.name, f"Erased customer {customer.id}")
        for fname in PERSONAL:
            self.assertFalse(customer[fname], fname)
        for user in portal_users:
            self.assertFalse(user.active)
            self.assertNotIn("marie", user.login.lower())
            self.assertNotIn("Marie", user.name)
        rows = self.env["ov.sa_customer_assignment"].search([("partner_id", "=", customer.id)])
        self.assertEqual(rows, rows_before, "history rows are kept, pointing at the anonymised partner")
        erased = self.events("customer.erased", customer)
        self.assertEqual(len(erased), 1)
        self.assertEqual(set(self.event_data(erased)), {"assignment_id"})

    def test_staff_erases_a_customer_over_the_api(self):
        marie = self.erasable_customer()
        users = marie.with_context(active_test=False).user_ids
        rows = self.env["ov.sa_customer_assignment"].search([("partner_id", "=", marie.id)])

        status, body = self.api("POST", f"/api/contacts/{marie.id}/erase", person=self.alice, sa=self.sa)

        self.assertEqual(status, 200, body)
        self.assertIsNone(body["email"])
        self.assert_erased(marie, users, rows)

    def test_unpublished_events_lose_the_personal_data(self):
        marie = self.erasable_customer()
        pending = self.events("customer.created", marie)
        self.assertIn(PERSONAL["email"], pending.payload)

        marie._abs_erase_governed_customer(self.sa, self.alice)

        for event in (
            self.env["abs.event.outbox"]
            .sudo()
            .search([("subject_model", "=", "res.partner"), ("subject_id", "=", marie.id)])
        ):
            for value in (*PERSONAL.values(), "Marie Erase"):
                self.assertNotIn(value, event.payload)
            self.assertEqual(events.schema_errors(json.loads(event.payload)), [])

    def test_the_outboxs_copies_of_published_events_lose_the_personal_data_too(self):
        marie = self.erasable_customer()
        published = self.events("customer.created", marie)
        published.sudo().write({"state": "sent", "sent_at": fields.Datetime.now()})
        self.assertIn(PERSONAL["email"], published.payload)

        marie._abs_erase_governed_customer(self.sa, self.alice)

        published.invalidate_recordset()
        for value in (*PERSONAL.values(), "Marie Erase"):
            self.assertNotIn(value, published.payload)
        self.assertEqual(published.state, "sent", "still published: only its copy changed")

    def test_back_office_button_erases_as_the_governance_manager(self):
        marie = self.erasable_customer()
        users = marie.with_context(active_test=False).user_ids
        rows = self.env["ov.sa_customer_assignment"].search([("partner_id", "=", marie.id)])
        marie.action_abs_erase()
        self.assert_erased(marie, users, rows)

    def test_agent_cannot_erase_and_nothing_changes(self):
        marie = self.erasable_customer()
        self.assertError(
            self.api("POST", f"/api/contacts/{marie.id}/erase", person=self.jean, sa=self.sa), 403
        )
        marie.invalidate_recordset()
        self.assertEqual(marie.email, PERSONAL["email"])
        self.assertFalse(self.events("customer.erased", marie))

    def test_erasing_another_accounts_customer_answers_like_a_missing_one(self):
        stranger = self.make_customer(self.make_branch("Elsewhere"), email="s@client.example.com")
        hidden = self.api("POST", f"/api/contacts/{stranger.id}/erase", person=self.alice, sa=self.sa)
        missing = self.api("POST", "/api/contacts/999999999/erase", person=self.alice, sa=self.sa)
        self.assertError(hidden, 404)
        self.assertEqual(hidden, missing)
        self.assertEqual(stranger.email, "s@client.example.com")


@tagged("post_install", "-at_install", "abs_security")
class TestBackOfficeErasureOverRpc(JsonRpcMixin, AbsApiCase):
    """The Erase Personal Data button called over JSON-RPC by someone who may not erase: the
    answer is the same for a hidden customer as for a missing contact, names nothing, and
    nothing changes."""

    MISSING_ID = 999_999_999

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hidden = cls.make_customer(
            cls.sa, actor=cls.jean, name="Hidden Customer", email="h@client.example.com"
        )
        cls.portal_customer = cls.make_customer(
            cls.sa, actor=cls.jean, portal_access=True, name="Own Customer"
        )
        cls.portal_customer.user_ids.password = "portal customer pw"
        cls.stranger = cls.make_user(
            "stranger.erase@example.com", "base.group_portal", password="stranger erase pw"
        )
        elsewhere = cls.make_branch("Erase Elsewhere")
        cls.other_agent = cls.make_seat_user(cls.make_member(elsewhere, "agent").person_partner_id)
        cls.vendor = cls.env["res.partner"].create({"name": "Plain Vendor", "email": "vendor@example.com"})

    def erase_error(self, login, password, partner_id):
        self.authenticate(login, password)
        answer = self.call_kw("res.partner", "action_abs_erase", [[partner_id]])
        self.assertNotIn("result", answer, f"{login} erased contact {partner_id}")
        data = answer["error"]["data"]
        return data["name"], data["message"], data["arguments"]

    def assert_nothing_erased(self, before):
        self.assertEqual(self.snapshot(), before)
        for customer in (self.hidden, self.portal_customer):
            self.assertTrue(customer.active)
            self.assertFalse(self.events("customer.erased", customer))

    @mute_logger("odoo.http")
    def test_portal_users_are_refused_alike_for_their_own_a_hidden_and_a_missing_contact(self):
        before = self.snapshot()
        callers = [
            (self.portal_customer.user_ids.login, "portal customer pw"),
            ("stranger.erase@example.com", "stranger erase pw"),
        ]
        for login, password in callers:
            with self.subTest(caller=login):
                answers = {
                    target: self.erase_error(login, password, partner_id)
                    for target, partner_id in (
                        ("own", self.portal_customer.id),
                        ("hidden", self.hidden.id),
                        ("missing", self.MISSING_ID),
                    )
                }
                self.assertEqual(answers["hidden"], answers["missing"])
                self.assertEqual(answers["own"], answers["missing"])
                name, message, _arguments = answers["missing"]
                self.assertEqual(name, "odoo.exceptions.AccessError")
                self.assertNotIn(self.sa.name, message)
        self.assert_nothing_erased(before)

    @mute_logger("odoo.http")
    def test_seat_member_of_another_account_gets_not_found_for_a_hidden_customer_as_for_a_missing_one(self):
        before = self.snapshot()
        login = self.other_agent.login
        hidden = self.erase_error(login, login, self.hidden.id)
        missing = self.erase_error(login, login, self.MISSING_ID)
        not_governed = self.erase_error(login, login, self.vendor.id)
        self.assertEqual(hidden, missing)
        self.assertEqual(not_governed, missing)
        self.assertEqual(missing[:2], ("odoo.exceptions.MissingError", "Customer not found."))
        self.assert_nothing_erased(before)
        self.assertEqual(self.vendor.email, "vendor@example.com")
