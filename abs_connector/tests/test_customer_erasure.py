import json

from odoo.tests import tagged

from ..governance import events
from .api_common import AbsApiCase

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
