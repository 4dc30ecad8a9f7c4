"""The portal home (/my) and portal documents of a governed customer (issue 6), over HTTP."""

import re

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import AbsGovernanceCase


class PortalHttpCase(HttpCase, AbsGovernanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.abs_portal_on_create = True
        cls.tree = cls.make_sa_tree()
        cls.tree.jean.write({"phone": "+228 90 11 22 33", "email": "jean.kofi@ourcompany.example.com"})
        sa = cls.tree.branch
        cls.marie = cls.make_customer(
            sa, actor=cls.tree.jean, portal_access=True, name="Marie Dupont", email="marie@client.example.com"
        )
        cls.paul = cls.make_customer(
            sa, actor=cls.tree.kwame, portal_access=True, name="Paul Mensah", email="paul@client.example.com"
        )
        product = cls.env["product.product"].create({"name": "Solar kit", "list_price": 100.0})
        cls.orders = {}
        for customer in (cls.marie, cls.paul):
            order = cls.make_confirmed_order(customer, product)
            cls.orders[customer] = order

    def signup_link(self, customer):
        mail = (
            self.env["mail.mail"]
            .sudo()
            .search(
                [("model", "=", "portal.wizard.user"), ("email_to", "ilike", customer.email_normalized)],
                limit=1,
            )
        )
        url = re.search(r'href="([^"]*/web/signup\?[^"]+)"', mail.body_html).group(1)
        return url.replace("&amp;", "&")


@tagged("post_install", "-at_install", "abs_portal")
class TestPortalHome(PortalHttpCase):
    def login_as(self, customer):
        customer.user_ids.password = "Marie-Portal-2026"
        self.authenticate(customer.user_ids.login, "Marie-Portal-2026")

    def test_portal_home_shows_the_assigned_agent_and_nothing_about_governance(self):
        self.login_as(self.marie)

        page = self.url_open("/my").text

        self.assertIn("Jean Kofi", page)
        self.assertIn("+228 90 11 22 33", page)
        self.assertIn("jean.kofi@ourcompany.example.com", page)
        for secret in ("Togo Field Operations", "Paul Mensah", "Kwame", "Alice"):
            self.assertNotIn(secret, page)

    def test_portal_home_of_unassigned_customer_shows_no_agent_card(self):
        lone = self.make_customer(self.tree.branch, portal_access=True, name="Lone Customer")
        self.login_as(lone)

        page = self.url_open("/my").text

        self.assertNotIn("o_abs_portal_service_contact", page)

    def test_other_customers_order_answers_404_like_a_missing_one(self):
        self.login_as(self.marie)
        own = self.url_open(f"/my/orders/{self.orders[self.marie].id}")
        self.assertEqual(own.status_code, 200)
        self.assertIn(self.orders[self.marie].name, own.text)

        other = self.url_open(f"/my/orders/{self.orders[self.paul].id}", allow_redirects=False)
        missing = self.url_open("/my/orders/999999999", allow_redirects=False)

        self.assertEqual(other.status_code, 404)
        self.assertEqual(missing.status_code, 404)
        self.assertNotIn(self.orders[self.paul].name, other.text)
        pdf = self.url_open(f"/my/orders/{self.orders[self.paul].id}?report_type=pdf", allow_redirects=False)
        self.assertEqual(pdf.status_code, 404)

    def test_other_customers_invoice_answers_404(self):
        product = self.env["product.product"].search([("name", "=", "Solar kit")], limit=1)
        invoices = {}
        for customer in (self.marie, self.paul):
            invoices[customer] = self.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "invoice_line_ids": [
                        Command.create({"product_id": product.id, "quantity": 1, "price_unit": 10}),
                    ],
                }
            )
            invoices[customer].action_post()
        self.login_as(self.marie)

        own = self.url_open(f"/my/invoices/{invoices[self.marie].id}")
        other = self.url_open(f"/my/invoices/{invoices[self.paul].id}", allow_redirects=False)

        self.assertEqual(own.status_code, 200)
        self.assertEqual(other.status_code, 404)
        self.assertNotIn(invoices[self.paul].name, other.text)

    def test_order_shared_by_access_token_still_opens_for_its_link_holder(self):
        order = self.orders[self.paul]
        response = self.url_open(f"/my/orders/{order.id}?access_token={order._portal_ensure_token()}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(order.name, response.text)


@tagged("post_install", "-at_install", "abs_portal")
class TestPortalOnboardingTour(PortalHttpCase):
    def test_invited_customer_sets_password_and_finds_own_order_and_agent(self):
        # The tour probes "the next order id" as another customer's order.
        self.assertEqual(self.orders[self.paul].id, self.orders[self.marie].id + 1)
        self.orders[self.marie].name = "SO-MARIE"
        self.orders[self.paul].name = "SO-PAUL"
        invitation = self.signup_link(self.marie)
        path = invitation[invitation.index("/web/signup") :]

        self.start_tour(path, "abs_portal_onboarding", login=None)

        user = self.marie.user_ids
        self.assertTrue(user.login_date, "the customer signed in through the invitation")
        self.assertFalse(
            self.marie._get_partner_from_token(path.split("token=")[1].split("&")[0]),
            "the invitation link works once",
        )
