"""Portal onboarding through the REST API (docs/customer-lifecycle.md, Stages 1 and 6, over HTTP)."""

from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged

from odoo.addons.base.models.ir_mail_server import IrMailServer

from .api_common import AbsApiCase


@tagged("post_install", "-at_install", "abs_portal")
class TestPortalThroughApi(AbsApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"abs_portal_on_create": True, "email": "sales@main.example.com"})

    def create_contact(self, **body):
        with patch.object(IrMailServer, "send_email", autospec=True) as smtp:
            status, answer = self.api("POST", "/api/contacts", body, person=self.jean, sa=self.sa)
        self.assertEqual(status, 201, answer)
        self.assertFalse(smtp.called, "no mail leaves inside the API request")
        return self.env["res.partner"].browse(answer["id"])

    def test_customer_created_through_the_api_is_invited_by_a_queued_mail(self):
        marie = self.create_contact(name="Marie Dupont", email="Marie@Client.example.com")

        user = marie.user_ids
        self.assertEqual(user.login, "marie@client.example.com")
        self.assertTrue(user._is_portal())
        self.assertEqual(user.company_id, self.sa.company_id)
        mail = (
            self.env["mail.mail"]
            .sudo()
            .search([("model", "=", "portal.wizard.user"), ("email_to", "ilike", "marie@client.example.com")])
        )
        self.assertEqual(mail.state, "outgoing")
        self.assertIn("sales@main.example.com", mail.email_from)

    def test_internal_users_email_through_the_api_creates_the_customer_without_portal(self):
        self.env["res.users"].create(
            {
                "name": "Internal Ida",
                "login": "ida@ourcompany.example.com",
                "groups_id": [Command.set(self.env.ref("base.group_user").ids)],
            }
        )

        customer = self.create_contact(name="Ida's Shop", email="ida@ourcompany.example.com")

        self.assertTrue(self.active_assignment(customer, self.sa))
        self.assertFalse(customer.user_ids)
        self.assertEqual(customer.abs_portal_status, "skipped_internal_email")

    def test_archiving_through_the_api_archives_the_portal_user(self):
        customer = self.create_contact(name="Short Lived", email="short@client.example.com")
        user = customer.user_ids

        status, body = self.api("DELETE", f"/api/contacts/{customer.id}", person=self.tree.alice, sa=self.sa)

        self.assertEqual(status, 200, body)
        self.assertFalse(customer.active)
        self.assertFalse(user.active)
