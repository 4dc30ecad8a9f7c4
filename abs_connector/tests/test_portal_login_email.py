from odoo.http import Request
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..exceptions import GovernanceConflict
from .api_common import AbsApiCase
from .common import JsonRpcMixin

PORTAL_PASSWORD = "Marie-Portal-2026"
EMAIL_CHANGED = "Security Update: Email Changed"


@tagged("post_install", "-at_install", "abs_portal")
class TestPortalLoginCannotBeRedirected(JsonRpcMixin, AbsApiCase):
    """A customer with an active portal user is reached through their e-mail (password reset):
    nobody but the customer changes it, and their old address is told when they do."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.abs_portal_on_create = True
        cls.marie = cls.make_customer(
            cls.sa, actor=cls.jean, portal_access=True, name="Marie Dupont", email="marie@client.example.com"
        )
        cls.portal_user = cls.marie.with_context(active_test=False).user_ids
        cls.portal_user.password = PORTAL_PASSWORD
        assert cls.portal_user.active and cls.portal_user.share

    def security_notices(self):
        return self.env["mail.mail"].sudo().search([("subject", "=", EMAIL_CHANGED)])

    def assertUnchanged(self, before):
        self.env.invalidate_all()
        self.assertEqual(self.marie.email, "marie@client.example.com")
        self.assertEqual(self.portal_user.login, "marie@client.example.com")
        self.assertEqual(self.snapshot(), before)
        self.assertFalse(self.security_notices())

    def test_agent_cannot_change_the_email_of_a_customer_with_portal_access_over_the_api(self):
        before = self.snapshot()
        error = self.assertError(
            self.api(
                "PUT",
                f"/api/contacts/{self.marie.id}",
                {"email": "attacker@evil.example.com"},
                person=self.jean,
                sa=self.sa,
            ),
            409,
        )
        self.assertIn("portal account", error["message"])
        self.assertEqual(error["details"], {"field": "email", "reason": "portal_login"})
        self.assertUnchanged(before)

    def test_other_fields_of_a_portal_customer_still_change_over_the_api(self):
        body = {"phone": "+228 90 00 00 01", "email": "MARIE@client.example.com"}
        status, answer = self.api("PUT", f"/api/contacts/{self.marie.id}", body, person=self.jean, sa=self.sa)
        self.assertEqual(status, 200, answer)
        self.assertEqual(self.marie.phone, "+228 90 00 00 01")

    @mute_logger("odoo.http")
    def test_back_office_cannot_change_the_email_through_the_contact_or_the_user(self):
        before = self.snapshot()
        self.authenticate("admin", "admin")
        calls = (
            ("res.partner", [[self.marie.id], {"email": "attacker@evil.example.com"}]),
            ("res.partner", [[self.marie.id], {"email": False}]),
            ("res.users", [[self.portal_user.id], {"email": "attacker@evil.example.com"}]),
        )
        for model, args in calls:
            with self.subTest(model=model, vals=args[1]):
                error = self.call_kw_error(model, "write", args)
                self.assertEqual(error["name"], "odoo.addons.abs_connector.exceptions.GovernanceConflict")
                self.assertIn("only they can change it, from their portal account", error["message"])
        self.assertUnchanged(before)

    def call_kw_error(self, model, method, args):
        """Call ``/web/dataset/call_kw`` as the signed-in user; the JSON-RPC error it answers."""
        answer = self.call_kw(model, method, args)
        self.assertNotIn("result", answer, f"{model}.{method} was not refused")
        return answer["error"]["data"]

    def test_the_customer_changes_it_from_their_portal_account_and_the_old_address_is_told(self):
        self.authenticate(self.portal_user.login, PORTAL_PASSWORD)
        country = self.env.ref("base.tg")
        form = {
            "csrf_token": Request.csrf_token(self),
            "name": "Marie Dupont",
            "phone": "+228 90 00 00 02",
            "email": "marie.new@client.example.com",
            "street": "1 rue du Port",
            "city": "Lomé",
            "country_id": str(country.id),
        }
        response = self.url_open("/my/account", data=form, allow_redirects=False)
        self.assertEqual(response.status_code, 303, response.text[:500])
        self.env.invalidate_all()
        self.assertEqual(self.marie.email, "marie.new@client.example.com")
        notice = self.security_notices()
        self.assertEqual(notice.mapped("email_to"), ["marie@client.example.com"])
        self.assertIn("marie.new@client.example.com", notice.body_html)

    def test_a_customer_without_portal_access_can_have_their_email_changed(self):
        customer = self.customer(actor=self.jean, portal_access=False, email="walkin@client.example.com")
        status, body = self.api(
            "PUT",
            f"/api/contacts/{customer.id}",
            {"email": "walk.in@client.example.com"},
            person=self.jean,
            sa=self.sa,
        )
        self.assertEqual(status, 200, body)


@tagged("post_install", "-at_install", "abs_portal")
class TestMemberLoginCannotBeRedirected(AbsApiCase):
    """A member's e-mail is their sign-in (and where activation and federated sign-in lead): a
    contact who is also a member keeps it unless a Governance Manager changes it, so nobody who
    may edit the contact points that identity at an address they own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dual = cls.make_customer(
            cls.sa, actor=cls.jean, name="Dual Person", email="dual@client.example.com"
        )
        cls.make_member(cls.tree.sub_branch, "admin", person=cls.dual)
        cls.identity = cls.employee_of(cls.dual)
        assert cls.identity.login == "dual@client.example.com"

    def test_staff_cannot_point_a_members_sign_in_at_another_address_over_the_api(self):
        before = self.snapshot()
        error = self.assertError(
            self.api(
                "PUT",
                f"/api/contacts/{self.dual.id}",
                {"email": "attacker@evil.example.com"},
                person=self.alice,
                sa=self.sa,
            ),
            409,
        )
        self.assertEqual(error["details"], {"field": "email", "reason": "member_login"})
        self.assertNotIn("Dual Person", error["message"])
        self.assertEqual(self.snapshot(), before)
        self.env.invalidate_all()
        self.assertEqual(self.identity.login, "dual@client.example.com")
        status, body = self.api(
            "PUT",
            f"/api/contacts/{self.dual.id}",
            {"phone": "+228 90 00 00 09", "email": "DUAL@client.example.com"},
            person=self.alice,
            sa=self.sa,
        )
        self.assertEqual(status, 200, body)

    def test_a_salesperson_cannot_change_it_on_the_contact_and_a_governance_manager_can(self):
        seller = self.make_user("seller.dual@example.com", "base.group_user", "base.group_partner_manager")
        with self.assertRaises(GovernanceConflict):
            self.dual.with_user(seller).write({"email": "seller@evil.example.com"})
        self.assertEqual(self.identity.login, "dual@client.example.com")
        manager = self.make_user(
            "manager.dual@example.com",
            "abs_connector.group_abs_governance_manager",
            "base.group_partner_manager",
        )
        self.dual.with_user(manager).write({"email": "dual.new@client.example.com"})
        self.assertEqual(self.identity.login, "dual.new@client.example.com")
