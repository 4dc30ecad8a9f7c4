"""Portal onboarding of governed customers (docs/customer-lifecycle.md, Stages 1 and 6)."""

import re
from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import AbsGovernanceCase


@tagged("post_install", "-at_install", "abs_portal")
class PortalOnboardingCase(AbsGovernanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.group_portal = cls.env.ref("base.group_portal")
        cls.company.write(
            {
                "abs_portal_on_create": True,
                "abs_portal_on_first_order": True,
                "email": "sales@main.example.com",
            }
        )
        cls.tree = cls.make_sa_tree()
        cls.sa = cls.tree.branch

    def create_customer(self, sa=None, actor=None, **vals):
        return self.make_customer(sa or self.sa, actor=actor or self.tree.jean, portal_access=True, **vals)

    def users_with_login(self, login):
        return self.env["res.users"].with_context(active_test=False).search([("login", "=", login)])

    def make_other_company_branch(self):
        company = self.env["res.company"].create({"name": "Ghana Ltd", "email": "hello@ghana.example.com"})
        seed = self.env["ov.serviced_account"]._get_company_seed(company)
        return company, self.make_branch("Accra Team", parent=seed)

    def invitations_to(self, partner):
        return (
            self.env["mail.mail"]
            .sudo()
            .search(
                [
                    ("model", "=", "portal.wizard.user"),
                    ("email_to", "ilike", partner.email_normalized),
                ]
            )
        )


class TestPortalOnCreation(PortalOnboardingCase):
    def test_customer_created_with_email_gets_portal_only_user_with_normalized_login(self):
        customer = self.create_customer(name="Marie Dupont", email="Marie.Dupont@Client.EXAMPLE.com")

        user = customer.with_context(active_test=False).user_ids
        self.assertEqual(len(user), 1)
        self.assertEqual(user.login, "marie.dupont@client.example.com")
        self.assertTrue(user.active)
        self.assertTrue(user._is_portal())
        self.assertFalse(user._is_internal())
        self.assertEqual(user.groups_id, self.group_portal, "portal group only, nothing implied")
        self.assertEqual(customer.abs_portal_status, "granted")
        self.assertEqual(customer.abs_portal_user_id, user)

    def test_portal_user_belongs_to_the_company_of_the_customers_account(self):
        other_company, accra = self.make_other_company_branch()
        agent = self.make_member(accra, "agent").person_partner_id

        customer = self.create_customer(sa=accra, actor=agent)

        user = customer.user_ids
        self.assertEqual(user.company_id, other_company)
        self.assertEqual(user.company_ids, other_company)

    def test_invitation_is_queued_not_sent_and_comes_from_the_customers_company(self):
        _other_company, accra = self.make_other_company_branch()
        customer = self.make_customer(accra, portal_access=True)

        mail = self.invitations_to(customer)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.state, "outgoing", "queued for the mail cron, not sent in the request")
        self.assertTrue(mail.auto_delete)
        self.assertIn("hello@ghana.example.com", mail.email_from)
        self.assertIn("Ghana Ltd", mail.email_from)
        self.assertIn("/web/signup?", mail.body_html)

    def test_invitation_link_is_a_signup_token_that_expires(self):
        customer = self.create_customer(email="timed@client.example.com")
        body = self.invitations_to(customer).body_html
        token = re.search(r"token=([^&\"']+)", body).group(1)
        Partner = self.env["res.partner"]

        info = Partner._signup_retrieve_info(token)
        self.assertEqual(info["login"], "timed@client.example.com")
        validity = int(
            self.env["ir.config_parameter"].sudo().get_param("auth_signup.signup.validity.hours", 144)
        )
        with freeze_time(datetime.now() + timedelta(hours=validity + 1)):
            self.assertIsNone(Partner._get_partner_from_token(token))

    def test_customer_without_email_gets_no_portal_user(self):
        customer = self.create_customer(email=False)

        self.assertFalse(customer.with_context(active_test=False).user_ids)
        self.assertEqual(customer.abs_portal_status, "skipped_no_email")

    def test_company_setting_off_creates_no_portal_user(self):
        self.company.abs_portal_on_create = False

        customer = self.create_customer()

        self.assertFalse(customer.with_context(active_test=False).user_ids)
        self.assertFalse(self.invitations_to(customer))

    def test_account_override_on_wins_over_company_off(self):
        self.company.abs_portal_on_create = False
        self.sa.abs_portal_on_create = "on"

        customer = self.create_customer()

        self.assertTrue(customer.user_ids._is_portal())

    def test_account_override_off_wins_over_company_on(self):
        self.sa.abs_portal_on_create = "off"

        customer = self.create_customer()

        self.assertFalse(customer.with_context(active_test=False).user_ids)

    def test_general_settings_switch_the_company_defaults(self):
        settings = self.env["res.config.settings"].create(
            {
                "abs_portal_on_create": False,
                "abs_portal_on_first_order": False,
            }
        )
        settings.execute()

        self.assertFalse(self.company.abs_portal_on_create)
        self.assertFalse(self.company.abs_portal_on_first_order)
        self.assertFalse(self.create_customer().with_context(active_test=False).user_ids)

    def test_general_settings_show_both_switches_in_their_own_block(self):
        # Our block hangs off base_setup, not auth_signup's login_documents,
        # which the website module replaces.
        arch = self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="abs_portal_setting_container"', arch)
        for field_name in ("abs_portal_on_create", "abs_portal_on_first_order"):
            self.assertIn(f'name="{field_name}"', arch)

    def test_caller_can_still_refuse_portal_access_for_one_customer(self):
        customer = self.make_customer(self.sa, actor=self.tree.jean, portal_access=False)

        self.assertFalse(customer.with_context(active_test=False).user_ids)


class TestPortalEmailCollisions(PortalOnboardingCase):
    def test_email_of_existing_portal_user_links_it_instead_of_creating_a_second_user(self):
        first = self.create_customer(email="shared@client.example.com")
        other_sa = self.make_branch("Kara Team")
        mails_before = self.env["mail.mail"].sudo().search_count([])

        second = self.make_customer(other_sa, portal_access=True, email="Shared@Client.example.com")

        self.assertEqual(len(self.users_with_login("shared@client.example.com")), 1)
        self.assertFalse(second.user_ids)
        self.assertEqual(second.abs_portal_status, "already")
        self.assertEqual(second.abs_portal_user_id, first.user_ids)
        self.assertEqual(self.env["mail.mail"].sudo().search_count([]), mails_before, "no second invitation")

    def test_email_of_internal_user_is_refused_and_customer_is_still_created(self):
        self.env["res.users"].create(
            {
                "name": "Internal Ida",
                "login": "ida@ourcompany.example.com",
                "email": "ida@ourcompany.example.com",
                "groups_id": [Command.set(self.env.ref("base.group_user").ids)],
            }
        )

        customer = self.create_customer(email="IDA@ourcompany.example.com")

        self.assertTrue(customer.exists())
        self.assertTrue(self.active_assignment(customer, self.sa))
        self.assertFalse(customer.user_ids)
        self.assertEqual(len(self.users_with_login("ida@ourcompany.example.com")), 1)
        self.assertEqual(customer.abs_portal_status, "skipped_internal_email")
        note = customer.message_ids.filtered(lambda m: "internal user" in (m.body or ""))
        self.assertTrue(note, "the refusal is explained on the customer")
        self.assertFalse(self.invitations_to(customer))

    def test_internal_user_found_by_contact_email_even_with_another_login(self):
        self.env["res.users"].create(
            {
                "name": "Internal Ivo",
                "login": "ivo",
                "email": "ivo@ourcompany.example.com",
                "groups_id": [Command.set(self.env.ref("base.group_user").ids)],
            }
        )

        customer = self.create_customer(email="ivo@ourcompany.example.com")

        self.assertFalse(customer.user_ids)
        self.assertEqual(customer.abs_portal_status, "skipped_internal_email")


class TestPortalArchival(PortalOnboardingCase):
    def test_archiving_customer_archives_portal_user_and_unarchiving_restores_it(self):
        customer = self.create_customer()
        user = customer.user_ids

        customer._abs_archive_governed_customer(self.sa, self.tree.alice)

        self.assertFalse(customer.active)
        self.assertFalse(user.active)
        customer._abs_unarchive_governed_customer(self.sa, self.tree.alice)
        self.assertTrue(customer.active)
        self.assertTrue(user.active)
        self.assertTrue(user._is_portal())

    def test_unarchiving_does_not_restore_access_revoked_before_archival(self):
        customer = self.create_customer()
        user = customer.user_ids
        wizard = self.env["portal.wizard"].create({"partner_ids": [Command.set(customer.ids)]})
        wizard.user_ids.action_revoke_access()

        customer._abs_archive_governed_customer(self.sa, self.tree.alice)
        customer._abs_unarchive_governed_customer(self.sa, self.tree.alice)

        self.assertFalse(user.active, "a revoked access stays revoked")


class TestPortalOnFirstOrder(PortalOnboardingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product = cls.env["product.product"].create({"name": "Solar kit", "list_price": 100.0})

    def make_order(self, customer):
        return self.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "order_line": [Command.create({"product_id": self.product.id, "product_uom_qty": 1})],
            }
        )

    def test_confirming_first_order_grants_portal_access_to_customer_without_it(self):
        customer = self.make_customer(self.sa, actor=self.tree.jean, portal_access=False)
        self.assertFalse(customer.user_ids)

        self.make_order(customer).action_confirm()

        self.assertTrue(customer.user_ids._is_portal())
        self.assertEqual(self.invitations_to(customer).state, "outgoing")

    def test_salesperson_without_admin_rights_confirming_first_order_invites_the_customer(self):
        salesman = self.env["res.users"].create(
            {
                "name": "Sam Sales",
                "login": "sam.sales@ourcompany.example.com",
                "groups_id": [Command.set(self.env.ref("sales_team.group_sale_salesman").ids)],
            }
        )
        customer = self.make_customer(self.sa, actor=self.tree.jean, portal_access=False)
        order = self.make_order(customer)
        order.user_id = salesman

        order.with_user(salesman).action_confirm()

        self.assertTrue(customer.user_ids._is_portal())
        self.assertFalse(salesman._is_admin())

    def test_first_order_trigger_off_for_the_account_grants_nothing(self):
        self.sa.abs_portal_on_first_order = "off"
        customer = self.make_customer(self.sa, actor=self.tree.jean, portal_access=False)

        self.make_order(customer).action_confirm()

        self.assertFalse(customer.with_context(active_test=False).user_ids)

    def test_later_orders_do_not_trigger_the_invitation(self):
        self.sa.abs_portal_on_first_order = "off"
        customer = self.make_customer(self.sa, actor=self.tree.jean, portal_access=False)
        self.make_order(customer).action_confirm()
        self.sa.abs_portal_on_first_order = "on"

        self.make_order(customer).action_confirm()

        self.assertFalse(customer.with_context(active_test=False).user_ids)

    def test_first_order_of_customer_with_portal_access_sends_no_second_invitation(self):
        customer = self.create_customer()
        invitations = self.invitations_to(customer)

        self.make_order(customer).action_confirm()

        self.assertEqual(self.invitations_to(customer), invitations)
        self.assertEqual(len(customer.user_ids), 1)

    def test_first_order_of_ungoverned_contact_invites_nobody_by_default(self):
        self.assertFalse(self.env["res.company"].new({"name": "Fresh"}).abs_portal_first_order_all_contacts)
        self.company.abs_portal_first_order_all_contacts = False
        contact = self.env["res.partner"].create({"name": "Walk-in", "email": "walkin@client.example.com"})

        self.make_order(contact).action_confirm()

        self.assertFalse(contact.with_context(active_test=False).user_ids)
        self.assertFalse(self.invitations_to(contact))

    def test_first_order_of_ungoverned_contact_invites_when_the_company_extends_it_to_every_contact(self):
        self.company.abs_portal_first_order_all_contacts = True
        contact = self.env["res.partner"].create({"name": "Walk-in 2", "email": "walkin2@client.example.com"})
        self.company.abs_portal_on_first_order = False
        self.make_order(contact).action_confirm()
        self.assertFalse(contact.user_ids, "the first-order trigger itself is still off")

        other = self.env["res.partner"].create({"name": "Walk-in 3", "email": "walkin3@client.example.com"})
        self.company.abs_portal_on_first_order = True
        self.make_order(other).action_confirm()
        self.assertTrue(other.user_ids._is_portal())


class TestGrantPortalWizard(PortalOnboardingCase):
    def open_wizard(self, partners, sa=None):
        return self.env["abs.grant.portal.wizard"].create(
            {
                "serviced_account_id": (sa or self.sa).id,
                "partner_ids": [Command.set(partners.ids)],
            }
        )

    def test_wizard_grants_several_customers_and_summarises_each_outcome(self):
        self.env["res.users"].create(
            {
                "name": "Internal Ina",
                "login": "ina@ourcompany.example.com",
                "email": "ina@ourcompany.example.com",
            }
        )
        new = self.make_customer(self.sa, actor=self.tree.jean)
        has_portal = self.create_customer()
        no_email = self.make_customer(self.sa, actor=self.tree.jean, email=False)
        internal = self.make_customer(self.sa, actor=self.tree.jean, email="ina@ourcompany.example.com")

        wizard = self.open_wizard(new | has_portal | no_email | internal)
        wizard.action_grant()

        outcome = {line.partner_id: line.status for line in wizard.line_ids}
        self.assertEqual(
            outcome,
            {
                new: "granted",
                has_portal: "already",
                no_email: "skipped_no_email",
                internal: "skipped_internal_email",
            },
        )
        self.assertEqual((wizard.granted_count, wizard.already_count, wizard.skipped_count), (1, 1, 2))
        self.assertTrue(new.user_ids._is_portal())
        self.assertFalse(internal.user_ids)
        self.assertEqual(len(has_portal.user_ids), 1)

    def test_wizard_refuses_contacts_outside_the_account_and_changes_nothing(self):
        customer = self.make_customer(self.sa, actor=self.tree.jean)
        stranger = self.env["res.partner"].create({"name": "Stranger", "email": "stranger@example.com"})

        wizard = self.open_wizard(customer | stranger)
        with self.assertRaisesRegex(UserError, "Stranger"):
            wizard.action_grant()

        self.assertFalse(customer.user_ids)
        self.assertFalse(stranger.user_ids)

    def test_wizard_opened_from_the_account_preselects_its_customers_without_a_user(self):
        invited = self.create_customer()
        uninvited = self.make_customer(self.sa, actor=self.tree.jean)
        elsewhere = self.make_customer(self.make_branch("Kara Team"))

        wizard = (
            self.env["abs.grant.portal.wizard"]
            .with_context(active_model="ov.serviced_account", active_ids=self.sa.ids)
            .create({})
        )

        self.assertEqual(wizard.serviced_account_id, self.sa)
        self.assertIn(uninvited, wizard.partner_ids)
        self.assertNotIn(invited, wizard.partner_ids)
        self.assertNotIn(elsewhere, wizard.partner_ids)

    def test_wizard_opened_from_the_accounts_customers_list_preselects_them(self):
        customers = self.make_customer(self.sa, actor=self.tree.jean) | self.make_customer(self.sa)
        rows = self.env["ov.sa_customer_assignment"].search([("partner_id", "in", customers.ids)])

        wizard = (
            self.env["abs.grant.portal.wizard"]
            .with_context(active_model="ov.sa_customer_assignment", active_ids=rows.ids)
            .create({})
        )

        self.assertEqual(wizard.partner_ids, customers)
        self.assertEqual(wizard.serviced_account_id, self.sa)
