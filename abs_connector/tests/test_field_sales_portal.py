"""The customer's side of field sales: an agent's quotation in the portal, signed there."""

import json

from odoo.tests import tagged

from ..governance import events
from .sales_common import AbsSalesCase


@tagged("post_install", "-at_install", "abs_portal", "abs_api")
class TestFieldSalesPortal(AbsSalesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.marie = cls.make_customer(
            cls.sa,
            actor=cls.jean,
            portal_access=False,
            name="Marie Dupont",
            email="marie.fs@client.example.com",
        )
        cls.marie._abs_grant_portal_access()
        cls.marie_user = cls.marie.with_context(active_test=False).user_ids[:1]
        cls.marie_user.sudo().write({"active": True, "password": cls.marie_user.login})

    def quote_and_send(self):
        status, body = self.quote(self.jean, self.marie, (self.lamp, 2))
        self.assertEqual(status, 201, body)
        status, sent = self.api("POST", f"/api/orders/{body['id']}/send", person=self.jean, sa=self.sa)
        self.assertEqual((status, sent["state"]), (200, "sent"), sent)
        return self.env["sale.order"].browse(body["id"])

    def test_sent_quotation_appears_in_the_customers_portal_quotes(self):
        order = self.quote_and_send()
        self.assertIn(self.marie, order.message_partner_ids)
        self.authenticate(self.marie_user.login, self.marie_user.login)
        page = self.url_open("/my/quotes").text
        self.assertIn(order.name, page)

    def test_a_confirmed_order_cannot_be_sent_as_a_quotation(self):
        order = self.quote_and_send()
        order.action_confirm()
        self.refused(
            lambda: self.api("POST", f"/api/orders/{order.id}/send", person=self.jean, sa=self.sa), 409
        )

    def test_agent_quote_customer_signs_in_the_portal_order_confirmed_event_published(self):
        order = self.quote_and_send()
        self.assertFalse(self.events("order.confirmed", order))

        self.start_tour("/my/quotes", "abs_field_quote_sign", login=self.marie_user.login)

        order.invalidate_recordset()
        self.assertEqual(order.state, "sale")
        self.assertTrue(order.signature)
        self.assertEqual(order.signed_by, "Marie Dupont")
        [event] = self.events("order.confirmed", order)
        payload = json.loads(event.payload)
        self.assertEqual(events.schema_errors(payload), [])
        # the customer who signed is the actor; the order stays with the agent who quoted it
        self.assertEqual(payload["actor"]["partner_id"], self.marie.id)
        self.assertEqual((payload["sa_id"], payload["data"]["actor_id"]), (self.sa.id, self.jean.id))
