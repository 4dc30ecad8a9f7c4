"""Seat users see on Odoo's own screens what the API would show them.

An internal Odoo user whose person is a member of Service Accounts (and who is no Governance
Manager) is limited by record rules on contacts, orders, leads and invoices to what their
memberships show through the API; partners and documents without a Service Account are not
concerned (docs/operations/back-office.md, "Seat users").
"""

import json
from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged
from odoo.tools import SQL, mute_logger

from .. import backfill
from ..governance import api_schemas
from ..models import res_partner
from .common import AbsGovernanceCase, JsonRpcMixin


class SeatMemberCase(AbsGovernanceCase):
    """A branch with an assigned_only agent (Ada), another agent (Bob) and a staff member
    (Sam), a customer of each agent, an unassigned one, and a customer of another branch;
    Ada and Sam hold Odoo seats."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sa = cls.make_branch("Seat Branch")
        cls.other_sa = cls.make_branch("Other Branch")
        cls.ada = cls.make_member(
            cls.sa, "agent", cls.make_person("Seat Agent Ada"), scope_policy="assigned_only"
        )
        cls.bob = cls.make_member(cls.sa, "agent", cls.make_person("Seat Agent Bob"))
        cls.sam = cls.make_member(cls.sa, "staff", cls.make_person("Seat Staff Sam"))
        cls.adas_customer = cls.make_customer(cls.sa, cls.ada, name="Seat Customer Of Ada")
        cls.bobs_customer = cls.make_customer(cls.sa, cls.bob, name="Seat Customer Of Bob")
        cls.unassigned = cls.make_customer(cls.sa, name="Seat Customer Unassigned")
        cls.elsewhere = cls.make_customer(cls.other_sa, name="Seat Customer Elsewhere")
        cls.ada_user = cls.make_seat_user(cls.ada.person_partner_id)
        cls.sam_user = cls.make_seat_user(cls.sam.person_partner_id)
        cls.vendor = cls.env["res.partner"].create({"name": "Seat Vendor Ltd", "is_company": True})

    @property
    def governed(self):
        return self.adas_customer | self.bobs_customer | self.unassigned | self.elsewhere

    def seen_by(self, user, records):
        """Which of ``records`` ``user`` finds (a search, as every list view does)."""
        found = records.with_user(user).with_context(active_test=False).search([("id", "in", records.ids)])
        return records.browse(found.ids)


@tagged("post_install", "-at_install")
class TestSeatMemberContacts(SeatMemberCase):
    def test_agent_with_assigned_only_sees_only_own_customers(self):
        self.assertEqual(self.seen_by(self.ada_user, self.governed), self.adas_customer)

    def make_contacts(self):
        """A contact and a delivery address of each governed customer, and a contact of the vendor."""
        Partner = self.env["res.partner"]
        contacts = {}
        for customer in (*self.governed, self.vendor):
            contacts[customer] = Partner.create(
                [
                    {
                        "name": f"Contact of {customer.name}",
                        "parent_id": customer.id,
                        "email": f"c{customer.id}@x.example",
                    },
                    {"name": "Delivery", "parent_id": customer.id, "type": "delivery"},
                ]
            )
        return contacts

    def test_contacts_and_addresses_of_a_customer_are_seen_with_it(self):
        contacts = self.make_contacts()
        Partner = self.env["res.partner"]
        every = Partner.union(*contacts.values())
        self.assertEqual(
            self.seen_by(self.ada_user, every), contacts[self.adas_customer] | contacts[self.vendor]
        )
        staffs = self.adas_customer | self.bobs_customer | self.unassigned | self.vendor
        self.assertEqual(self.seen_by(self.sam_user, every), Partner.union(*(contacts[c] for c in staffs)))
        # a read names nothing either: the contact's display name is its customer's name
        hidden = contacts[self.bobs_customer][0]
        with self.assertRaises(AccessError):
            hidden.with_user(self.ada_user).read(["display_name", "email"])
        self.assertFalse(hidden.with_user(self.ada_user).abs_seat_visible)
        self.assertTrue(contacts[self.adas_customer][0].with_user(self.ada_user).abs_seat_visible)

    def test_a_contact_follows_its_customer_when_the_customer_is_reassigned(self):
        contacts = self.make_contacts()
        bobs_contacts = contacts[self.bobs_customer]
        self.assertFalse(self.seen_by(self.ada_user, bobs_contacts))
        self.env["ov.sa_customer_assignment"]._abs_reassign(
            self.bobs_customer, self.sa, self.ada.person_partner_id, self.sam.person_partner_id
        )
        self.assertEqual(self.seen_by(self.ada_user, bobs_contacts), bobs_contacts)
        self.assertTrue(bobs_contacts[0].with_user(self.ada_user).abs_seat_visible)

    def test_a_members_own_partner_is_seen_even_as_a_contact_of_a_hidden_customer(self):
        hidden_company = self.make_customer(self.other_sa, name="Seat Hidden Employer", is_company=True)
        own = self.ada.person_partner_id
        own.parent_id = hidden_company
        self.assertEqual(self.seen_by(self.ada_user, own | hidden_company), own)
        self.assertTrue(own.with_user(self.ada_user).abs_seat_visible)

    def test_agent_cannot_read_customer_of_other_agent_or_other_sa(self):
        for hidden in (self.bobs_customer, self.unassigned, self.elsewhere):
            with self.subTest(customer=hidden.name), self.assertRaises(AccessError) as caught:
                hidden.with_user(self.ada_user).read(["name"])
            self.assertNotIn(hidden.name, str(caught.exception))

    def test_count_of_the_list_counts_what_the_member_sees(self):
        Partner = self.env["res.partner"].with_context(active_test=False)
        self.assertEqual(Partner.with_user(self.ada_user).search_count([("id", "in", self.governed.ids)]), 1)
        self.assertEqual(
            Partner.with_user(self.sam_user).search_count([("id", "in", self.governed.ids)], limit=10), 3
        )

    def test_staff_sees_every_customer_of_the_sa_and_none_elsewhere(self):
        self.assertEqual(
            self.seen_by(self.sam_user, self.governed),
            self.adas_customer | self.bobs_customer | self.unassigned,
        )

    def test_member_of_two_sas_sees_the_customers_of_both(self):
        self.make_member(self.other_sa, "staff", self.sam.person_partner_id)
        self.assertEqual(self.seen_by(self.sam_user, self.governed), self.governed)

    def test_subtree_scope_sees_sub_account_customers(self):
        sub = self.make_branch("Seat Sub Branch", parent=self.sa)
        below = self.make_customer(sub, name="Seat Customer Below")
        self.assertFalse(self.seen_by(self.sam_user, below))
        self.sam.hierarchy_scope = "this_node_and_descendants"
        self.assertEqual(self.seen_by(self.sam_user, below), below)

    def test_reassignment_shows_the_customer_to_its_new_agent_at_once(self):
        self.env["ov.sa_customer_assignment"]._abs_reassign(
            self.bobs_customer, self.sa, self.ada.person_partner_id, self.sam.person_partner_id
        )
        self.assertEqual(self.seen_by(self.ada_user, self.governed), self.adas_customer | self.bobs_customer)

    def test_suspended_member_sees_no_governed_customer(self):
        self.sam._abs_suspend()
        self.assertFalse(self.seen_by(self.sam_user, self.governed))
        self.sam._abs_reinstate()
        self.assertEqual(len(self.seen_by(self.sam_user, self.governed)), 3)

    def test_revoked_member_sees_no_governed_customer(self):
        self.ada._abs_revoke()
        self.assertFalse(self.seen_by(self.ada_user, self.governed))

    def test_ended_membership_sees_no_governed_customer_without_waiting_for_a_cron(self):
        self.sam.effective_to = fields.Datetime.now() - timedelta(minutes=1)
        self.assertFalse(self.seen_by(self.sam_user, self.governed))

    def test_membership_starting_later_shows_nothing_yet(self):
        self.sam.effective_from = fields.Datetime.now() + timedelta(days=1)
        self.assertFalse(self.seen_by(self.sam_user, self.governed))

    def test_partners_without_a_service_account_stay_visible(self):
        ungoverned = (
            self.vendor
            | self.env.company.partner_id
            | self.ada_user.partner_id
            | self.env.ref("base.user_admin").partner_id
            | self.bob.person_partner_id
        )
        self.assertEqual(self.seen_by(self.ada_user, ungoverned), ungoverned)
        self.ada._abs_revoke()
        self.assertEqual(self.seen_by(self.ada_user, ungoverned), ungoverned)

    def test_governance_manager_sees_every_customer(self):
        self.sam_user.groups_id = [(4, self.env.ref("abs_connector.group_abs_governance_manager").id)]
        self.assertEqual(self.seen_by(self.sam_user, self.governed), self.governed)

    def test_internal_user_who_is_no_member_is_not_limited(self):
        plain = self.make_seat_user(self.make_person("Seat Plain Employee"))
        self.assertEqual(self.seen_by(plain, self.governed), self.governed)

    def test_api_proxy_user_is_not_limited(self):
        proxy = self.env.ref("abs_connector.abs_api_proxy_user")
        self.assertIsNone(proxy._abs_seat_contexts())
        self.assertEqual(self.seen_by(proxy, self.governed), self.governed)

    def test_visible_field_tells_the_signed_in_users_view(self):
        customers = (self.adas_customer | self.bobs_customer).with_user(self.ada_user)
        self.assertEqual(customers.mapped("abs_seat_visible"), [True, False])

    def test_member_reads_partners_without_an_account_and_their_own_governed_partner(self):
        # an unassigned customer who is also an assigned_only agent: only being theirs shows it
        insider = self.make_customer(self.sa, name="Seat Customer Insider")
        self.make_member(self.sa, "agent", insider, scope_policy="assigned_only")
        insider_user = self.make_seat_user(insider)
        readable = (insider | self.vendor).with_user(insider_user)
        self.assertEqual(
            sorted(row["name"] for row in readable.read(["name"])), sorted(readable.mapped("name"))
        )
        self.assertEqual(readable.mapped("abs_seat_visible"), [True, True])
        hidden = (self.unassigned | self.adas_customer).with_user(insider_user)
        self.assertEqual(hidden.mapped("abs_seat_visible"), [False, False])
        with self.assertRaises(AccessError):
            hidden.read(["name"])


@tagged("post_install", "-at_install")
class TestSeatMemberDocuments(SeatMemberCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.orders = {}
        cls.leads = {}
        cls.invoices = {}
        for customer in (cls.adas_customer, cls.bobs_customer, cls.elsewhere):
            cls.orders[customer] = cls.env["sale.order"].create({"partner_id": customer.id})
            cls.leads[customer] = cls.env["crm.lead"].create(
                {"name": f"Lead {customer.name}", "partner_id": customer.id}
            )
            cls.invoices[customer] = cls.env["account.move"].create(
                {"move_type": "out_invoice", "partner_id": customer.id}
            )
        cls.plain_order = cls.env["sale.order"].create({"partner_id": cls.vendor.id})

    def test_orders_of_a_hidden_customer_are_hidden(self):
        all_orders = self.env["sale.order"].union(*self.orders.values())
        self.assertEqual(self.seen_by(self.ada_user, all_orders), self.orders[self.adas_customer])
        self.assertEqual(
            self.seen_by(self.sam_user, all_orders),
            self.orders[self.adas_customer] | self.orders[self.bobs_customer],
        )

    def test_leads_of_a_hidden_customer_are_hidden(self):
        all_leads = self.env["crm.lead"].union(*self.leads.values())
        self.assertEqual(self.seen_by(self.ada_user, all_leads), self.leads[self.adas_customer])

    def test_invoices_follow_the_roles_right_to_read_invoices(self):
        all_invoices = self.env["account.move"].union(*self.invoices.values())
        # an agent reads no invoice through the API, staff those of their account
        self.assertFalse(self.seen_by(self.ada_user, all_invoices))
        self.assertEqual(
            self.seen_by(self.sam_user, all_invoices),
            self.invoices[self.adas_customer] | self.invoices[self.bobs_customer],
        )

    def documents_of(self, partner):
        """An order, a lead and an invoice made out to ``partner``."""
        return (
            self.env["sale.order"].create({"partner_id": partner.id}),
            self.env["crm.lead"].create({"name": f"Lead {partner.name}", "partner_id": partner.id}),
            self.env["account.move"].create({"move_type": "out_invoice", "partner_id": partner.id}),
        )

    def test_documents_of_a_customers_contact_or_address_follow_the_customer(self):
        # Odoo invoices an order to its invoice address: a contact of the customer, no account of its own
        contact = self.env["res.partner"].create({"name": "Bob's Buyer", "parent_id": self.bobs_customer.id})
        address = self.env["res.partner"].create({"type": "invoice", "parent_id": self.bobs_customer.id})
        for partner in (contact, address):
            for document in self.documents_of(partner):
                with self.subTest(partner=partner.display_name, model=document._name):
                    self.assertEqual(document.x_sa_id, self.bobs_customer.x_sa_id)
                    self.assertEqual(document.x_actor_id, self.bobs_customer.x_actor_id)
                    self.assertFalse(self.seen_by(self.ada_user, document))
                    self.assertEqual(self.seen_by(self.sam_user, document), document)
        # a document moved to a contact of another customer follows that customer
        order = self.orders[self.adas_customer]
        order.partner_id = contact
        self.assertEqual(
            (order.x_sa_id, order.x_actor_id), (self.bobs_customer.x_sa_id, self.bobs_customer.x_actor_id)
        )

    def test_the_upgrade_stamps_the_documents_already_made_out_to_a_contact(self):
        contact = self.env["res.partner"].create({"name": "Bob's Buyer", "parent_id": self.bobs_customer.id})
        documents = self.documents_of(contact)
        for document in documents:  # as every such document was before 18.0.1.3.0
            self.env.cr.execute(
                SQL(
                    "UPDATE %s SET x_sa_id = NULL, x_actor_id = NULL WHERE id = %s",
                    SQL.identifier(document._table),
                    document.id,
                )
            )
            document.invalidate_recordset()
        own = self.orders[self.adas_customer]
        self.assertEqual(backfill.stamp_documents_of_contacts(self.env), 3)
        for document in documents:
            self.assertEqual(
                (document.x_sa_id, document.x_actor_id),
                (self.bobs_customer.x_sa_id, self.bobs_customer.x_actor_id),
            )
        self.assertEqual(own.x_sa_id, self.adas_customer.x_sa_id)
        self.assertEqual(backfill.stamp_documents_of_contacts(self.env), 0)

    def test_documents_without_a_service_account_stay_visible(self):
        self.assertEqual(self.seen_by(self.ada_user, self.plain_order), self.plain_order)

    def test_revoked_member_sees_no_governed_document(self):
        self.sam._abs_revoke()
        governed_orders = self.env["sale.order"].union(*self.orders.values())
        self.assertFalse(self.seen_by(self.sam_user, governed_orders))


@tagged("post_install", "-at_install")
class TestSeatMemberDocumentDetails(JsonRpcMixin, HttpCase, SeatMemberCase):
    """Order lines, journal items and the sales, invoice and activity analyses name the customer
    and amounts of their document: a seat member sees them with the document."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        product = cls.env["product.product"].create({"name": "Seat Lamp", "list_price": 10.0})
        cls.orders, cls.invoices, cls.payments, cls.leads = {}, {}, {}, {}
        for customer in (cls.adas_customer, cls.bobs_customer, cls.elsewhere, cls.vendor):
            cls.orders[customer] = cls.env["sale.order"].create(
                {"partner_id": customer.id, "order_line": [Command.create({"product_id": product.id})]}
            )
            invoice = cls.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "invoice_line_ids": [
                        Command.create({"product_id": product.id, "quantity": 1, "price_unit": 10.0})
                    ],
                }
            )
            invoice.action_post()
            cls.invoices[customer] = invoice
            cls.payments[customer] = (
                cls.env["account.payment.register"]
                .with_context(active_model="account.move", active_ids=invoice.ids)
                .create({})
                ._create_payments()
            )
            lead = cls.env["crm.lead"].create({"name": f"Lead {customer.name}", "partner_id": customer.id})
            lead.activity_schedule("mail.mail_activity_data_call", summary="Call").action_feedback("Called")
            cls.leads[customer] = lead
        cls.customers = cls.adas_customer | cls.bobs_customer | cls.elsewhere | cls.vendor

    def partners_in(self, user, model, partner_field, document_field, documents):
        """The partners ``user`` finds in ``model``'s rows of ``documents``."""
        rows = self.env[model].with_user(user).with_context(active_test=False)
        rows = rows.search([(document_field, "in", documents.ids)])
        return rows[partner_field]

    def test_order_lines_and_the_sales_analysis_follow_their_order(self):
        orders = self.env["sale.order"].union(*self.orders.values())
        for user, shown in (
            (self.ada_user, self.adas_customer | self.vendor),
            (self.sam_user, self.adas_customer | self.bobs_customer | self.vendor),
        ):
            with self.subTest(user=user.login):
                lines = self.partners_in(user, "sale.order.line", "order_partner_id", "order_id", orders)
                self.assertEqual(lines, shown)
                analysis = self.partners_in(user, "sale.report", "partner_id", "abs_order_id", orders)
                self.assertEqual(analysis, shown)
                totals = (
                    self.env["sale.report"]
                    .with_user(user)
                    ._read_group(
                        [("partner_id", "in", self.customers.ids)], ["partner_id"], ["price_total:sum"]
                    )
                )
                self.assertEqual({partner for partner, _total in totals}, set(shown))

    def test_journal_items_and_the_invoice_analysis_follow_their_invoice(self):
        invoices = self.env["account.move"].union(*self.invoices.values())
        # an agent reads no invoice through the API, staff those of their account
        for user, shown in (
            (self.ada_user, self.vendor),
            (self.sam_user, self.adas_customer | self.bobs_customer | self.vendor),
        ):
            with self.subTest(user=user.login):
                items = self.partners_in(user, "account.move.line", "partner_id", "move_id", invoices)
                self.assertEqual(items, shown)
                analysis = self.partners_in(user, "account.invoice.report", "partner_id", "move_id", invoices)
                self.assertEqual(analysis, shown)

    def test_payments_follow_their_journal_entry_like_invoices(self):
        payments = self.env["account.payment"].union(*self.payments.values())
        self.assertTrue(all(payment.move_id.x_sa_id for payment in payments - self.payments[self.vendor]))
        for user, shown in (
            (self.ada_user, self.vendor),
            (self.sam_user, self.adas_customer | self.bobs_customer | self.vendor),
        ):
            with self.subTest(user=user.login):
                self.assertEqual(
                    self.partners_in(user, "account.payment", "partner_id", "id", payments), shown
                )

    def test_the_activity_analysis_follows_its_lead(self):
        leads = self.env["crm.lead"].union(*self.leads.values())
        for lead in leads:
            lead.action_set_lost()  # a lost lead is archived: its activities are still its own
        found = self.partners_in(self.ada_user, "crm.activity.report", "partner_id", "lead_id", leads)
        self.assertEqual(found, self.adas_customer | self.vendor)

    @mute_logger("odoo.http", "odoo.addons.base.models.ir_rule")
    def test_bank_accounts_follow_their_holder_over_json_rpc(self):
        accounts = self.env["res.partner.bank"].create(
            [
                {"partner_id": partner.id, "acc_number": f"TG53 0000 {index:04d}"}
                for index, partner in enumerate((self.adas_customer, self.bobs_customer, self.vendor))
            ]
        )
        self.authenticate(self.ada_user.login, self.ada_user.login)
        listed = self.call_kw(
            "res.partner.bank", "search_read", [[("id", "in", accounts.ids)]], {"fields": ["acc_number"]}
        )
        self.assertEqual({row["id"] for row in listed["result"]}, set((accounts - accounts[1]).ids))
        answer = self.call_kw("res.partner.bank", "read", [accounts[1].ids, ["acc_number", "partner_id"]])
        self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.AccessError")
        self.assertNotIn(self.bobs_customer.name, json.dumps(answer))
        self.assertNotIn("0001", json.dumps(answer))

    def test_governance_managers_and_non_members_see_every_line(self):
        orders = self.env["sale.order"].union(*self.orders.values())
        plain = self.make_user("seat.details.plain", *self.SEAT_GROUPS)
        found = self.partners_in(plain, "sale.order.line", "order_partner_id", "order_id", orders)
        self.assertEqual(found, self.customers)

    @mute_logger("odoo.http", "odoo.addons.base.models.ir_rule")
    def test_over_json_rpc_a_hidden_order_line_is_not_listed_and_its_read_names_nobody(self):
        self.authenticate(self.ada_user.login, self.ada_user.login)
        orders = self.env["sale.order"].union(*self.orders.values())
        listed = self.call_kw(
            "sale.order.line",
            "search_read",
            [[("order_id", "in", orders.ids)]],
            {"fields": ["order_partner_id"]},
        )
        names = {row["order_partner_id"][1] for row in listed["result"]}
        self.assertEqual(names, {self.adas_customer.name, self.vendor.name})
        hidden_line = self.orders[self.bobs_customer].order_line
        answer = self.call_kw(
            "sale.order.line", "read", [hidden_line.ids, ["order_partner_id", "price_total"]]
        )
        self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.AccessError")
        self.assertNotIn(self.bobs_customer.name, json.dumps(answer))


@tagged("post_install", "-at_install")
class TestSeatMemberPartnerDetails(JsonRpcMixin, HttpCase, SeatMemberCase):
    """Records Odoo lets internal users read that name a partner -- followers, attendees, payment
    transactions and tokens, bank statement and analytic lines -- are seen by a seat member with
    that partner: Ada sees those of her customer and of the vendor, not those of another
    account's customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.named = cls.adas_customer | cls.elsewhere | cls.vendor
        cls.shown_to_ada = cls.adas_customer | cls.vendor

    def partners_seen_by_ada(self, model, partner_field, rows):
        found = self.env[model].with_user(self.ada_user).search([("id", "in", rows.ids)])
        return found[partner_field] & self.named

    def test_followers_of_hidden_customers_are_hidden_over_json_rpc(self):
        order = self.env["sale.order"].create({"partner_id": self.vendor.id})
        order.message_subscribe(partner_ids=self.named.ids)
        followers = order.message_follower_ids
        self.assertEqual(
            self.partners_seen_by_ada("mail.followers", "partner_id", followers), self.shown_to_ada
        )
        self.authenticate(self.ada_user.login, self.ada_user.login)
        listed = self.call_kw(
            "mail.followers", "search_read", [[("id", "in", followers.ids)]], {"fields": ["name", "email"]}
        )
        self.assertNotIn(self.elsewhere.name, json.dumps(listed))
        self.assertNotIn(self.elsewhere.email, json.dumps(listed))
        self.assertIn(self.adas_customer.email, json.dumps(listed))

    def test_a_followers_answer_follows_its_customer_within_the_transaction(self):
        order = self.env["sale.order"].create({"partner_id": self.vendor.id})
        order.message_subscribe(partner_ids=self.adas_customer.ids)
        follower = order.message_follower_ids.filtered(lambda row: row.partner_id == self.adas_customer)
        self.assertTrue(follower.with_user(self.ada_user).abs_seat_visible)
        # the answer is kept for the transaction; it goes when the customer's rows change
        self.env["ov.sa_customer_assignment"]._abs_reassign(
            self.adas_customer, self.sa, self.bob.person_partner_id, self.sam.person_partner_id
        )
        self.assertFalse(follower.with_user(self.ada_user).abs_seat_visible)

    def thread_route(self, route, params):
        answer = self.json_rpc(route, params)
        self.assertNotIn("error", answer, answer)
        return json.dumps(answer["result"])

    def test_the_chatter_of_a_document_the_member_sees_opens_without_naming_a_hidden_follower(self):
        order = self.env["sale.order"].create({"partner_id": self.vendor.id})
        order.message_subscribe(partner_ids=self.named.ids)
        order.message_post(body="Quote sent", partner_ids=self.named.ids, message_type="comment")
        self.authenticate(self.ada_user.login, self.ada_user.login)
        thread = {"thread_model": "sale.order", "thread_id": order.id}
        data = self.thread_route(
            "/mail/thread/data",
            {**thread, "request_list": ["followers", "attachments", "suggestedRecipients"]},
        )
        messages = self.thread_route("/mail/thread/messages", {**thread, "limit": 30})
        self.assertIn(self.adas_customer.name, data)
        for answer in (data, messages):
            self.assertNotIn(self.elsewhere.email, answer)

    def test_attendees_who_are_hidden_customers_are_hidden(self):
        event = self.env["calendar.event"].create(
            {
                "name": "Site visit",
                "start": fields.Datetime.now(),
                "stop": fields.Datetime.now() + timedelta(hours=1),
                "partner_ids": [Command.set(self.named.ids)],
            }
        )
        seen = self.partners_seen_by_ada("calendar.attendee", "partner_id", event.attendee_ids)
        self.assertEqual(seen, self.shown_to_ada)

    @mute_logger("odoo.http", "odoo.addons.base.models.ir_rule")
    def test_a_meeting_with_a_hidden_customer_she_does_not_attend_shows_her_only_busy(self):
        def meeting(name, attendees):
            start = fields.Datetime.now()
            return self.env["calendar.event"].create(
                {
                    "name": name,
                    "privacy": "public",
                    "description": f"Notes on {name}",
                    "location": f"At {name}",
                    "start": start,
                    "stop": start + timedelta(hours=1),
                    "partner_ids": [Command.set(attendees.ids)],
                }
            )

        hidden = meeting("Visit Seat Customer Elsewhere", self.elsewhere)
        own = meeting("Visit Seat Customer Of Ada", self.adas_customer)
        attended = meeting("Call with Seat Customer Elsewhere", self.elsewhere | self.ada.person_partner_id)
        meetings = hidden | own | attended
        self.authenticate(self.ada_user.login, self.ada_user.login)
        listed = self.call_kw(
            "calendar.event",
            "search_read",
            [[("id", "in", meetings.ids)]],
            {"fields": ["name", "display_name", "description", "location"]},
        )
        by_id = {row["id"]: row for row in listed["result"]}
        self.assertEqual((by_id[hidden.id]["name"], by_id[hidden.id]["display_name"]), ("Busy", "Busy"))
        self.assertFalse(by_id[hidden.id]["description"] or by_id[hidden.id]["location"])
        self.assertEqual(by_id[own.id]["name"], own.name)
        self.assertEqual(by_id[attended.id]["name"], attended.name)
        by_title = [[("id", "in", meetings.ids)], ["name"], ["name"]]
        grouped = self.call_kw("calendar.event", "read_group", by_title, {"lazy": False})
        names = {group["name"] for group in grouped["result"]}
        self.assertEqual(names, {own.name, attended.name})
        self.assertNotIn(hidden.location, json.dumps([listed, grouped]))
        # Odoo's own right to change a meeting one may only see as busy
        answer = self.call_kw("calendar.event", "write", [hidden.ids, {"name": "Renamed"}])
        self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.AccessError")
        self.assertEqual(hidden.name, "Visit Seat Customer Elsewhere")
        # Governance Managers and people outside governance see it as Odoo shows it
        self.assertEqual(hidden.with_user(self.env.ref("base.user_admin")).name, hidden.name)

    def test_payment_transactions_and_tokens_of_hidden_customers_are_hidden(self):
        method = self.env.ref("payment.payment_method_unknown")
        provider = self.env["payment.provider"].create(
            {
                "name": "Seat Test Provider",
                "code": "none",
                "state": "test",
                "payment_method_ids": [Command.set(method.ids)],
                "allow_tokenization": True,
            }
        )
        method.write({"active": True, "support_tokenization": True})
        common = {"provider_id": provider.id, "payment_method_id": method.id}
        transactions = self.env["payment.transaction"].create(
            [
                {
                    **common,
                    "amount": 10.0,
                    "currency_id": self.env.company.currency_id.id,
                    "reference": f"SEAT-{partner.id}",
                    "partner_id": partner.id,
                }
                for partner in self.named
            ]
        )
        tokens = self.env["payment.token"].create(
            [
                {
                    **common,
                    "payment_details": "4242",
                    "partner_id": partner.id,
                    "provider_ref": f"ref-{partner.id}",
                }
                for partner in self.named
            ]
        )
        self.assertEqual(
            self.partners_seen_by_ada("payment.transaction", "partner_id", transactions), self.shown_to_ada
        )
        self.assertEqual(self.partners_seen_by_ada("payment.token", "partner_id", tokens), self.shown_to_ada)

    def test_bank_statement_and_analytic_lines_of_hidden_customers_are_hidden(self):
        journal = self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.env.company.id)], limit=1
        )
        statement_lines = self.env["account.bank.statement.line"].create(
            [
                {"journal_id": journal.id, "amount": 10.0, "payment_ref": "Seat", "partner_id": partner.id}
                for partner in self.named
            ]
        )
        plan = self.env["account.analytic.plan"].create({"name": "Seat Plan"})
        analytic = self.env["account.analytic.account"].create({"name": "Seat Analytic", "plan_id": plan.id})
        analytic_lines = self.env["account.analytic.line"].create(
            [
                {"name": "Seat", "account_id": analytic.id, "amount": 10.0, "partner_id": partner.id}
                for partner in self.named
            ]
        )
        seen = self.partners_seen_by_ada("account.analytic.line", "partner_id", analytic_lines)
        self.assertEqual(seen, self.shown_to_ada)
        # a statement line is a journal entry too: an agent, who reads no invoice, sees none of a
        # governed customer's; staff see their account's customers', not another account's
        seen = self.partners_seen_by_ada("account.bank.statement.line", "partner_id", statement_lines)
        self.assertEqual(seen, self.vendor)
        sams_view = self.env["account.bank.statement.line"].with_user(self.sam_user)
        seen = sams_view.search([("id", "in", statement_lines.ids)]).partner_id
        self.assertEqual(seen, self.adas_customer | self.vendor)
        # and so are lines recorded before their partner was governed (an entry without stamps)
        self.env.cr.execute(
            "UPDATE account_move SET x_sa_id = NULL, x_actor_id = NULL WHERE id = ANY(%s)",
            [statement_lines.move_id.ids],
        )
        self.env.invalidate_all()
        seen = sams_view.search([("id", "in", statement_lines.ids)]).partner_id
        self.assertEqual(seen, self.adas_customer | self.vendor)


@tagged("post_install", "-at_install")
class TestSeatMemberOverRpc(JsonRpcMixin, HttpCase, SeatMemberCase):
    """The refusals through Odoo's own JSON-RPC route, signed in as the seat member."""

    @mute_logger("odoo.http", "odoo.addons.base.models.ir_rule")
    def test_seat_agent_reads_hidden_customer_like_a_forbidden_one_with_no_name(self):
        self.authenticate(self.ada_user.login, self.ada_user.login)
        answer = self.call_kw("res.partner", "read", [[self.bobs_customer.id], ["name", "email"]])
        self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.AccessError")
        self.assertNotIn(self.bobs_customer.name, json.dumps(answer))
        self.assertNotIn(self.bobs_customer.email, json.dumps(answer))

    def test_seat_agent_search_read_lists_only_own_customers(self):
        self.authenticate(self.ada_user.login, self.ada_user.login)
        answer = self.call_kw(
            "res.partner", "search_read", [[("id", "in", self.governed.ids)]], {"fields": ["name"]}
        )
        self.assertEqual([row["id"] for row in answer["result"]], self.adas_customer.ids)

    def list_length(self, user, domain, page_size):
        """The count a list page of ``page_size`` rows over ``domain`` reports to ``user``, as the
        web client asks for it (count_limit 10,001) through JSON-RPC."""
        self.authenticate(user.login, user.login)
        answer = self.call_kw(
            "res.partner",
            "web_search_read",
            [],
            {"domain": domain, "specification": {"name": {}}, "limit": page_size, "count_limit": 10001},
        )
        return answer["result"]["length"]

    def test_seat_member_list_counts_up_to_the_api_bound_while_admin_counts_all(self):
        more = [self.make_customer(self.sa, name=f"Seat Customer Extra {n}") for n in range(2)]
        domain = [("id", "in", self.governed.ids + [c.id for c in more])]
        with patch.object(api_schemas, "LIST_COUNT_LIMIT", 3):
            # Sam sees 5 of them: one row past the bound is the web client's "3+"
            self.assertEqual(self.list_length(self.sam_user, domain, page_size=2), 4)
            self.assertEqual(self.list_length(self.env.ref("base.user_admin"), domain, page_size=2), 6)

    def test_seat_member_list_under_the_api_bound_counts_exactly(self):
        domain = [("id", "in", self.governed.ids)]
        with patch.object(api_schemas, "LIST_COUNT_LIMIT", 3):
            self.assertEqual(self.list_length(self.sam_user, domain, page_size=1), 3)
            self.assertEqual(self.list_length(self.env.ref("base.user_admin"), domain, page_size=1), 4)

    def test_seat_member_list_and_kanban_views_count_up_to_the_api_bound(self):
        with patch.object(api_schemas, "LIST_COUNT_LIMIT", 3):
            for model, view_type in (("res.partner", "kanban"), ("sale.order", "list"), ("crm.lead", "list")):
                with self.subTest(model=model, view_type=view_type):
                    self.authenticate(self.sam_user.login, self.sam_user.login)
                    seat_arch = self.call_kw(model, "get_views", [], {"views": [[False, view_type]]})
                    self.assertIn('count_limit="3"', seat_arch["result"]["views"][view_type]["arch"])
                    self.authenticate("admin", "admin")
                    admin_arch = self.call_kw(model, "get_views", [], {"views": [[False, view_type]]})
                    self.assertNotIn("count_limit", admin_arch["result"]["views"][view_type]["arch"])

    @mute_logger("odoo.http", "odoo.addons.base.models.ir_rule")
    def test_seat_agent_reads_order_of_hidden_customer_as_forbidden(self):
        order = self.env["sale.order"].create({"partner_id": self.bobs_customer.id})
        self.authenticate(self.ada_user.login, self.ada_user.login)
        answer = self.call_kw("sale.order", "read", [[order.id], ["name", "partner_id"]])
        self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.AccessError")
        self.assertNotIn(self.bobs_customer.name, json.dumps(answer))
        listed = self.call_kw("sale.order", "search_read", [[("id", "=", order.id)]], {"fields": ["name"]})
        self.assertEqual(listed["result"], [])

    @mute_logger("odoo.http", "odoo.addons.base.models.ir_rule")
    def test_portal_users_of_hidden_customers_are_not_listed_and_their_read_names_nobody(self):
        # a user is its partner too (Odoo's delegation): the contacts' rule limits users as well
        for customer in (self.adas_customer, self.bobs_customer):
            customer._abs_grant_portal_access()
        adas_login, bobs_login = self.adas_customer.user_ids.login, self.bobs_customer.user_ids.login
        self.assertTrue(adas_login and bobs_login)
        self.authenticate(self.ada_user.login, self.ada_user.login)
        listed = self.call_kw("res.users", "search_read", [[]], {"fields": ["login"]})
        logins = {row["login"] for row in listed["result"]}
        self.assertIn(adas_login, logins)
        self.assertNotIn(bobs_login, logins)
        # internal users are not concerned: colleagues, the salesperson of an order
        self.assertIn(self.sam_user.login, logins)
        answer = self.call_kw("res.users", "read", [self.bobs_customer.user_ids.ids, ["login", "name"]])
        self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.AccessError")
        self.assertNotIn(bobs_login, json.dumps(answer))
        self.assertNotIn(self.bobs_customer.name, json.dumps(answer))
        # Odoo's own read of the signed-in user still works
        self.assertNotIn("error", self.call_kw("res.users", "read", [self.ada_user.ids, ["name"]]))

    LEAD_FORM = {
        "partner_id": {"fields": {"display_name": {}}},
        **{name: {} for name in ("email_from", "phone", "street", "city", "contact_name")},
    }

    def lead_onchange(self, user, values, field_names, context=None):
        """The JSON-RPC answer of a lead form's onchange, as the web client asks it for ``user``."""
        self.authenticate(user.login, user.login)
        kwargs = {"context": context} if context else {}
        return self.call_kw("crm.lead", "onchange", [[], values, field_names, self.LEAD_FORM], kwargs)

    def assert_answers_as_missing(self, answer, partner):
        """``answer`` is the error a partner id that does not exist gets, and names nothing of
        ``partner``."""
        nowhere = self.env["res.partner"].search([], order="id desc", limit=1).id + 1000
        missing = self.lead_onchange(self.ada_user, {"partner_id": nowhere}, ["partner_id"])["error"]
        error = answer["error"]
        self.assertEqual(error["data"]["name"], missing["data"]["name"])
        self.assertEqual(
            error["data"]["message"].replace(f"({partner.id},)", f"({nowhere},)"), missing["data"]["message"]
        )
        details = (partner.name, partner.email, partner.phone, partner.street, partner.city)
        for detail in filter(None, details):
            self.assertNotIn(detail, json.dumps(answer))

    @mute_logger("odoo.http")
    def test_a_lead_onchange_copies_no_detail_of_a_hidden_customer(self):
        # Odoo computes a lead's contact fields from its customer as superuser, saved or not
        details = {"email": "hidden@x.example", "phone": "+228 5551", "street": "1 Hidden Rd", "city": "Kara"}
        self.bobs_customer.write(details)
        self.adas_customer.write({**details, "email": "seen@x.example"})
        answer = self.lead_onchange(self.ada_user, {"partner_id": self.bobs_customer.id}, ["partner_id"])
        self.assert_answers_as_missing(answer, self.bobs_customer)
        # a new lead's default, from the context or saved for the user, is set by the onchange too
        context = {"default_partner_id": self.bobs_customer.id}
        self.assert_answers_as_missing(self.lead_onchange(self.ada_user, {}, [], context), self.bobs_customer)
        self.env["ir.default"].set("crm.lead", "partner_id", self.bobs_customer.id, user_id=self.ada_user.id)
        self.assert_answers_as_missing(self.lead_onchange(self.ada_user, {}, []), self.bobs_customer)
        # her own customer's details, and Bob's for Sam, who sees every customer of the branch
        own = self.lead_onchange(self.ada_user, {"partner_id": self.adas_customer.id}, ["partner_id"])
        self.assertEqual(own["result"]["value"]["email_from"], "seen@x.example")
        sams = self.lead_onchange(self.sam_user, {"partner_id": self.bobs_customer.id}, ["partner_id"])
        self.assertEqual(sams["result"]["value"]["email_from"], "hidden@x.example")

    @mute_logger("odoo.http")
    def test_an_onchange_checks_only_the_partners_it_sets_not_those_the_record_holds(self):
        # an order she sees, delivered to a customer she does not: its form still works
        order = self.env["sale.order"].create(
            {"partner_id": self.adas_customer.id, "partner_shipping_id": self.bobs_customer.id}
        )
        form = {"partner_id": {}, "partner_shipping_id": {}, "client_order_ref": {}}
        values = {"partner_id": self.adas_customer.id, "partner_shipping_id": self.bobs_customer.id}
        self.authenticate(self.ada_user.login, self.ada_user.login)
        renamed = {**values, "client_order_ref": "PO-7"}
        answer = self.call_kw("sale.order", "onchange", [order.ids, renamed, ["client_order_ref"], form])
        self.assertNotIn("error", answer)
        moved = {**values, "partner_id": self.elsewhere.id}
        answer = self.call_kw("sale.order", "onchange", [order.ids, moved, ["partner_id"], form])
        self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.MissingError")
        self.assertNotIn(self.elsewhere.name, json.dumps(answer))

    def form_onchange(self, user, model, values, changed, form):
        """The values an onchange of a new record's form answers ``user`` over JSON-RPC."""
        self.authenticate(user.login, user.login)
        answer = self.call_kw(model, "onchange", [[], values, [changed], form])
        return answer["result"]["value"]

    def test_a_contact_form_names_no_hidden_customer_with_the_same_tax_id(self):
        # Odoo looks for the same tax id as superuser in every company and names what it finds
        self.bobs_customer.write({"vat": "BE0477472701", "is_company": True})
        form = {"vat": {}, "same_vat_partner_id": {"fields": {"display_name": {}}}}
        values = {"vat": "BE0477472701", "is_company": True, "name": "New Co"}
        adas = self.form_onchange(self.ada_user, "res.partner", values, "vat", form)
        self.assertFalse(adas.get("same_vat_partner_id"))
        self.assertNotIn(self.bobs_customer.name, json.dumps(adas))
        sams = self.form_onchange(self.sam_user, "res.partner", values, "vat", form)
        self.assertEqual(sams["same_vat_partner_id"]["display_name"], self.bobs_customer.name)

    def test_similar_leads_of_a_hidden_customer_are_neither_listed_nor_counted(self):
        # Odoo finds similar leads (same e-mail domain) as superuser, for a lead to be escalated
        self.env["crm.lead"].create(
            {"name": "Bob's deal", "partner_id": self.bobs_customer.id, "email_from": "buyer@bobcorp.example"}
        )
        form = {"email_from": {}, "duplicate_lead_ids": {}, "duplicate_lead_count": {}}
        values = {"name": "New lead", "email_from": "other@bobcorp.example"}
        adas = self.form_onchange(self.ada_user, "crm.lead", values, "email_from", form)
        self.assertFalse(adas.get("duplicate_lead_count"))
        self.assertFalse(adas.get("duplicate_lead_ids"))
        sams = self.form_onchange(self.sam_user, "crm.lead", values, "email_from", form)
        self.assertEqual(sams["duplicate_lead_count"], 1)

    def discuss_answer(self, method, args):
        """Ada's JSON-RPC answer to a discuss.channel method."""
        self.authenticate(self.ada_user.login, self.ada_user.login)
        return self.call_kw("discuss.channel", method, args)

    @mute_logger("odoo.http")
    def test_a_chat_or_group_with_a_hidden_customer_answers_as_with_a_missing_partner(self):
        # Odoo shows a chat's or group's members by name, whoever the caller may read
        hidden = self.bobs_customer
        members = self.env["discuss.channel.member"].search_count([("partner_id", "=", hidden.id)])
        nowhere = self.env["res.partner"].search([], order="id desc", limit=1).id + 1000
        group = self.discuss_answer("create_group", [[self.sam.person_partner_id.id]])
        group_id = group["result"]["discuss.channel"][0]["id"]
        for method, args in (
            ("channel_get", lambda partner_id: [[partner_id]]),
            ("create_group", lambda partner_id: [[partner_id]]),
            ("add_members", lambda partner_id: [[group_id], [partner_id]]),
            (
                "create",
                lambda partner_id: [
                    {"name": "Side door", "channel_member_ids": [[0, 0, {"partner_id": partner_id}]]}
                ],
            ),
        ):
            with self.subTest(method=method):
                answer = json.dumps(self.discuss_answer(method, args(hidden.id)))
                self.assertNotIn(hidden.name, answer)
                missing = json.dumps(self.discuss_answer(method, args(nowhere)))
                self.assertEqual(answer.replace(f"({hidden.id},)", f"({nowhere},)"), missing)
        self.assertEqual(
            self.env["discuss.channel.member"].search_count([("partner_id", "=", hidden.id)]), members
        )
        # a colleague, and her own customer
        for partner in (self.sam.person_partner_id, self.adas_customer):
            answer = self.discuss_answer("channel_get", [[partner.id]])
            self.assertIn(partner.name, json.dumps(answer["result"]))

    @mute_logger("odoo.http")
    def test_a_message_to_or_a_follower_who_is_a_hidden_customer_answers_as_a_missing_partner(self):
        # Odoo mails a message's recipients and a document's followers, and names them in the chatter
        hidden = self.bobs_customer
        nowhere = self.env["res.partner"].search([], order="id desc", limit=1).id + 1000
        thread = {"thread_model": "res.partner", "thread_id": self.adas_customer.id}
        messages = self.adas_customer.message_ids
        followers = self.adas_customer.message_partner_ids

        def post(partner_id):
            data = {"body": "Hello", "partner_ids": [partner_id], "message_type": "comment"}
            return self.json_rpc("/mail/message/post", {**thread, "post_data": data})

        def subscribe(partner_id):
            return self.call_kw("res.partner", "message_subscribe", [self.adas_customer.ids, [partner_id]])

        self.authenticate(self.ada_user.login, self.ada_user.login)
        for door in (post, subscribe):
            with self.subTest(door=door.__name__):
                answer = json.dumps(door(hidden.id))
                self.assertNotIn(hidden.name, answer)
                self.assertEqual(
                    answer.replace(f"({hidden.id},)", f"({nowhere},)"), json.dumps(door(nowhere))
                )
        self.assertEqual(self.adas_customer.message_ids, messages)
        self.assertEqual(self.adas_customer.message_partner_ids, followers)
        # to her own customer, and a colleague following
        self.assertIn(self.adas_customer.name, json.dumps(post(self.adas_customer.id)))
        self.assertEqual(subscribe(self.sam.person_partner_id.id)["result"], True)

    @mute_logger("odoo.http", "odoo.addons.base.models.ir_rule")
    def test_seat_agent_cannot_write_hidden_customer(self):
        self.authenticate(self.ada_user.login, self.ada_user.login)
        answer = self.call_kw("res.partner", "write", [[self.bobs_customer.id], {"phone": "+228 000"}])
        self.assertIn("error", answer)
        self.bobs_customer.invalidate_recordset()
        self.assertFalse(self.bobs_customer.phone)


@tagged("post_install", "-at_install")
class TestSeatMemberReferences(JsonRpcMixin, HttpCase, SeatMemberCase):
    """Odoo names what a many2one points to as superuser, and its reports and computed fields
    read it the same way: a seat member can make a record point only to governed records they
    see, and a partner they may not see that a record already points to is shown by its name
    alone. Ada sees her customer; Bob's, in her own account, is hidden from her."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bobs_customer.write(
            {
                "street": "7 Hidden Lane",
                "phone": "+228 5550 7777",
                "vat": "BE0477472701",
                "email": "bob.c@x.example",
            }
        )
        cls.adas_customer.write({"street": "1 Seen Street"})
        cls.adas_order = cls.env["sale.order"].create({"partner_id": cls.adas_customer.id})
        cls.bobs_order = cls.env["sale.order"].create({"partner_id": cls.bobs_customer.id})

    def setUp(self):
        super().setUp()
        self.authenticate(self.ada_user.login, self.ada_user.login)

    def nowhere(self, model):
        """An id no record of ``model`` has."""
        return self.env[model].search([], order="id desc", limit=1).id + 1000

    def assert_answers_as_missing(self, call, hidden):
        """``call(id)`` answers for the id of ``hidden`` exactly what it answers for an id no
        record has, and names nothing of it."""
        nowhere = self.nowhere(hidden._name)
        answer, missing = call(hidden.id), call(nowhere)
        self.assertEqual(answer["error"]["data"]["name"], missing["error"]["data"]["name"])
        message = answer["error"]["data"]["message"]
        self.assertEqual(
            message.replace(f"({hidden.id},)", f"({nowhere},)"), missing["error"]["data"]["message"]
        )
        secrets = [
            hidden.display_name,
            *(hidden[name] for name in ("email", "street", "phone") if name in hidden),
        ]
        for secret in filter(None, secrets):
            self.assertNotIn(secret, json.dumps(answer))

    @mute_logger("odoo.http")
    def test_an_order_cannot_be_made_to_point_to_a_hidden_customer_over_json_rpc(self):
        orders = self.env["sale.order"].search_count([])

        def ship_to(partner_id):
            return self.call_kw(
                "sale.order", "write", [self.adas_order.ids, {"partner_shipping_id": partner_id}]
            )

        def create_invoiced_to(partner_id):
            values = {"partner_id": self.adas_customer.id, "partner_invoice_id": partner_id}
            return self.call_kw("sale.order", "create", [[values]])

        def create_shipping_by_default_to(partner_id):
            context = {"default_partner_shipping_id": partner_id}
            return self.call_kw(
                "sale.order", "create", [[{"partner_id": self.adas_customer.id}]], {"context": context}
            )

        for door in (ship_to, create_invoiced_to, create_shipping_by_default_to):
            with self.subTest(door=door.__name__):
                self.assert_answers_as_missing(door, self.bobs_customer)
        self.assertEqual(self.adas_order.partner_shipping_id, self.adas_customer)
        self.assertEqual(self.env["sale.order"].search_count([]), orders)
        # her own customer, and a record that already points to a hidden customer stays editable
        self.assertNotIn("error", ship_to(self.adas_customer.id))
        self.adas_order.partner_shipping_id = self.bobs_customer
        answer = self.call_kw("sale.order", "write", [self.adas_order.ids, {"client_order_ref": "PO-9"}])
        self.assertNotIn("error", answer)

    @mute_logger("odoo.http")
    def test_a_new_line_in_a_form_names_no_detail_of_a_hidden_customer(self):
        # a new form's first onchange answers its lines too: a new attendee with e-mail and phone
        spec = {"attendee_ids": {"fields": {"email": {}, "phone": {}}}}

        def invite(partner_id):
            values = {"attendee_ids": [[0, "virtual_1", {"partner_id": partner_id}]]}
            return self.call_kw("calendar.event", "onchange", [[], values, [], spec])

        self.assert_answers_as_missing(invite, self.bobs_customer)
        seen = invite(self.adas_customer.id)
        self.assertIn(self.adas_customer.email, json.dumps(seen["result"]))

    @mute_logger("odoo.http")
    def test_an_edited_message_cannot_be_sent_to_a_hidden_customer(self):
        message = self.adas_customer.with_user(self.ada_user).message_post(
            body="Call back tomorrow", message_type="comment"
        )

        def edit(partner_id):
            params = {
                "message_id": message.id,
                "body": "Call back",
                "attachment_ids": [],
                "partner_ids": [partner_id],
            }
            return self.json_rpc("/mail/message/update_content", params)

        self.assert_answers_as_missing(edit, self.bobs_customer)
        self.assertFalse(message.partner_ids)
        self.assertNotIn("error", edit(self.adas_customer.id))
        self.assertEqual(message.partner_ids, self.adas_customer)

    def test_she_confirms_her_quotation_after_its_customer_moved_to_another_agent(self):
        # Stage 4 moves the customer, not the orders already made: she still sees her quotation,
        # and Odoo's confirmation subscribes its customer, whom the quotation already names
        product = self.env["product.product"].create({"name": "Seat Lamp", "list_price": 10.0})
        line = Command.create({"product_id": product.id})
        quotation = self.env["sale.order"].create({"partner_id": self.adas_customer.id, "order_line": [line]})
        self.env["ov.sa_customer_assignment"]._abs_reassign(
            self.adas_customer, self.sa, self.bob.person_partner_id, self.sam.person_partner_id
        )
        self.assertFalse(self.seen_by(self.ada_user, self.adas_customer))
        self.assertEqual(self.seen_by(self.ada_user, quotation), quotation)
        answer = self.call_kw("sale.order", "action_confirm", [quotation.ids])
        self.assertNotIn("error", answer, answer.get("error", {}).get("data", {}).get("debug"))
        self.assertEqual(quotation.state, "sale")
        self.assertIn(self.adas_customer, quotation.message_partner_ids)

    @mute_logger("odoo.http")
    def test_a_payment_link_names_and_prices_no_hidden_customer_or_order(self):
        def link(res_id, partner_id):
            values = {"res_model": "sale.order", "res_id": res_id, "amount": 1.0, "partner_id": partner_id}
            return self.call_kw("payment.link.wizard", "create", [[values]])

        self.assert_answers_as_missing(
            lambda partner_id: link(self.adas_order.id, partner_id), self.bobs_customer
        )
        self.assert_answers_as_missing(
            lambda order_id: link(order_id, self.adas_customer.id), self.bobs_order
        )
        made = link(self.adas_order.id, self.adas_customer.id)
        read = self.call_kw("payment.link.wizard", "read", [made["result"], ["partner_email", "link"]])
        self.assertEqual(read["result"][0]["partner_email"], self.adas_customer.email)
        # Sam, staff of the account, sees Bob's customer
        self.authenticate(self.sam_user.login, self.sam_user.login)
        made = link(self.bobs_order.id, self.bobs_customer.id)
        read = self.call_kw("payment.link.wizard", "read", [made["result"], ["partner_email"]])
        self.assertEqual(read["result"][0]["partner_email"], self.bobs_customer.email)

    def test_a_hidden_customers_name_comes_without_address_email_or_tax_id_whatever_the_context(self):
        self.adas_order.partner_shipping_id = self.bobs_customer
        context = {"show_address": True, "show_email": True, "show_vat": True}
        fields = ["partner_id", "partner_shipping_id"]
        read = self.call_kw("sale.order", "read", [self.adas_order.ids, fields], {"context": context})
        spec = {name: {"fields": {"display_name": {}}, "context": context} for name in fields}
        web_read = self.call_kw("sale.order", "web_read", [self.adas_order.ids, spec])
        self.assertEqual(read["result"][0]["partner_shipping_id"][1], self.bobs_customer.name)
        self.assertEqual(
            web_read["result"][0]["partner_shipping_id"]["display_name"], self.bobs_customer.name
        )
        for answer in (read, web_read):
            for secret in ("7 Hidden Lane", "bob.c@x.example", "BE0477472701"):
                self.assertNotIn(secret, json.dumps(answer))
            # her own customer's details, as Odoo gives them
            self.assertIn("1 Seen Street", json.dumps(answer))

    def assert_shows_the_hidden_address_by_name_only(self, url):
        """The page at ``url`` names Bob's customer, her order's delivery address, and nothing
        else of it, and shows her own customer's address."""
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.bobs_customer.name, response.text)
        for secret in ("7 Hidden Lane", "+228 5550 7777", "bob.c@x.example", "BE0477472701"):
            self.assertNotIn(secret, response.text)
        self.assertIn("1 Seen Street", response.text)

    def test_a_quotation_she_prints_shows_a_hidden_customers_address_by_name_only(self):
        self.adas_order.partner_shipping_id = self.bobs_customer
        self.assert_shows_the_hidden_address_by_name_only(
            f"/report/html/sale.report_saleorder/{self.adas_order.id}"
        )
        # Sam, who sees Bob's customer, gets the whole address
        self.authenticate(self.sam_user.login, self.sam_user.login)
        response = self.url_open(f"/report/html/sale.report_saleorder/{self.adas_order.id}")
        self.assertIn("7 Hidden Lane", response.text)

    def test_her_orders_portal_page_shows_a_hidden_customers_address_by_name_only(self):
        # Odoo renders a portal document page as the superuser once it has checked her access
        self.adas_order.partner_shipping_id = self.bobs_customer
        self.assert_shows_the_hidden_address_by_name_only(f"/my/orders/{self.adas_order.id}")

    @mute_logger("odoo.http")
    def test_a_governance_wizard_cannot_name_a_membership_or_customer_she_does_not_see(self):
        groups = (*self.SEAT_GROUPS, "abs_connector.group_abs_governance_user")
        sam = self.sam_user
        sam.groups_id = [Command.link(self.env.ref(group).id) for group in groups]
        outsider = self.make_member(self.other_sa, "agent")
        self.authenticate(sam.login, sam.login)

        def revoke(membership_id):
            return self.call_kw(
                "abs.revoke.membership.wizard", "create", [[{"membership_id": membership_id}]]
            )

        def explain(customer_id):
            values = {
                "person_partner_id": self.bob.person_partner_id.id,
                "serviced_account_id": self.sa.id,
                "customer_id": customer_id,
            }
            return self.call_kw("abs.explain.access.wizard", "create", [[values]])

        def revoke_form(membership_id):
            form = {"membership_id": {"fields": {"display_name": {}}}}
            return self.call_kw(
                "abs.revoke.membership.wizard",
                "onchange",
                [[], {"membership_id": membership_id}, ["membership_id"], form],
            )

        for door in (revoke, revoke_form):
            with self.subTest(door=door.__name__):
                self.assert_answers_as_missing(door, outsider)
        self.assert_answers_as_missing(explain, self.elsewhere)
        self.assertNotIn("error", revoke(self.bob.id))


@tagged("post_install", "-at_install")
class TestSeatMemberTour(HttpCase, SeatMemberCase):
    def test_seat_agent_sees_own_customer_only_in_contacts_sales_and_crm_lists(self):
        for customer in (self.adas_customer, self.bobs_customer):
            # Ada is the salesperson of both: Odoo's own "my documents" filters would show both
            self.env["sale.order"].create({"partner_id": customer.id, "user_id": self.ada_user.id})
            self.env["crm.lead"].create(
                {"name": f"Lead {customer.name}", "partner_id": customer.id, "user_id": self.ada_user.id}
            )
        for app, url in (
            ("Contacts", "/odoo/contacts"),
            ("Sales", "/odoo/action-sale.action_quotations_with_onboarding"),
            ("CRM", "/odoo/crm"),
        ):
            with self.subTest(app=app):
                self.start_tour(url, "abs_seat_member_list", login=self.ada_user.login)

    def test_seat_agent_quotes_her_own_customer_in_the_browser(self):
        url = "/odoo/action-sale.action_quotations_with_onboarding/new"
        self.start_tour(url, "abs_seat_member_quotation", login=self.ada_user.login)
        quotation = self.env["sale.order"].search([("create_uid", "=", self.ada_user.id)])
        self.assertEqual(quotation.partner_id, self.adas_customer)
        self.assertEqual(quotation.x_sa_id, self.sa)


@tagged("post_install", "-at_install")
class TestSeatMemberContactsSeeingMany(TestSeatMemberContacts):
    """The same, for a member who sees many customers: the rule's other SQL shape (a test of
    each partner instead of one set), forced here by lowering the threshold between the two."""

    allow_inherited_tests_method = True  # Odoo's loader runs only a class's own tests otherwise

    def setUp(self):
        super().setUp()
        patcher = patch.object(res_partner, "_ABS_SEAT_FEW", 1)
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_users_partner_rule_through_the_user_join(self):
        # res.users reaches the contact rule through its partner (a join): both shapes work there
        users = (
            self.env["res.users"]
            .with_user(self.ada_user)
            .search([("id", "in", (self.ada_user | self.sam_user).ids)])
        )
        self.assertEqual(users, self.ada_user | self.sam_user)


@tagged("post_install", "-at_install")
class TestSeatMemberBoundedCount(SeatMemberCase):
    """A seat member's bounded count (the list's pager) is driven from their assignment rows when
    their memberships cannot show a customer twice; it must count exactly what Odoo's own search
    of the same domain finds, up to the bound."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Seat Company B"})
        cls.vendor_b = cls.env["res.partner"].create(
            {"name": "Seat Vendor B", "is_company": True, "company_id": cls.company_b.id}
        )
        cls.customer_in_b = cls.make_customer(cls.sa, name="Seat Customer Moved To B")
        cls.customer_in_b.company_id = cls.company_b  # by hand: Odoo's multi-company rule hides it

    # None: the count picks which side it reads first; True / False: forced (the subclasses)
    rows_first = None

    def setUp(self):
        super().setUp()
        if self.rows_first is not None:
            partners = type(self.env["res.partner"])
            patcher = patch.object(partners, "_abs_seat_count_reads_rows_first", return_value=self.rows_first)
            patcher.start()
            self.addCleanup(patcher.stop)

    @property
    def mine(self):
        """Every partner the fixture made, seen or not."""
        return self.governed | self.customer_in_b | self.vendor | self.vendor_b

    def odoo_search(self, user, domain):
        """The partners Odoo's own search finds for ``user`` (the seat rule's generic SQL)."""
        return self.env["res.partner"].with_user(user).search(domain)

    def driven_count(self, user, domain, limit, **context):
        """``user``'s count of ``domain`` up to ``limit``, asserting it took the driven path."""
        partners = self.env["res.partner"].with_user(user).with_context(**context)
        self.assertIsNotNone(partners._abs_seat_count_sql(domain, limit), "not the driven count")
        return partners.search_count(domain, limit=limit)

    def test_bounded_count_equals_what_odoos_search_finds_below_the_bound(self):
        for user in (self.ada_user, self.sam_user):
            for domain in ([], [("id", "in", self.mine.ids)], [("name", "ilike", "Seat Customer")]):
                with self.subTest(user=user.name, domain=domain):
                    found = self.odoo_search(user, domain)
                    self.assertEqual(self.driven_count(user, domain, limit=100000), len(found))

    def test_contacts_of_customers_are_counted_as_odoos_search_finds_them(self):
        Partner = self.env["res.partner"]
        contacts = Partner.create(
            [
                {"name": f"Seat Child {n}", "parent_id": customer.id}
                for n, customer in enumerate((*self.governed, self.vendor, self.customer_in_b))
            ]
        )
        for user in (self.ada_user, self.sam_user):
            for domain in ([], [("id", "in", (contacts | self.mine).ids)]):
                with self.subTest(user=user.name, domain=domain):
                    found = self.odoo_search(user, domain)
                    self.assertEqual(self.driven_count(user, domain, limit=100000), len(found))
        mine_and_children = [("id", "in", (contacts | self.mine).ids)]
        self.assertEqual(
            len(self.odoo_search(self.ada_user, mine_and_children)), 4
        )  # her customer, the vendor, theirs

    def test_bounded_count_stops_at_the_bound_in_every_part(self):
        # Sam sees the vendor (no Service Account), then Ada's, Bob's and the unassigned customer
        domain = [("id", "in", self.mine.ids)]
        self.assertEqual(len(self.odoo_search(self.sam_user, domain)), 4)
        for limit, expected in ((1, 1), (2, 2), (3, 3), (4, 4), (5, 4)):
            with self.subTest(limit=limit):
                self.assertEqual(self.driven_count(self.sam_user, domain, limit), expected)

    def test_bounded_count_applies_the_callers_filter_to_every_part(self):
        domain = [("id", "in", self.mine.ids), ("name", "in", ["Seat Customer Of Bob", "Seat Vendor Ltd"])]
        self.assertEqual(self.driven_count(self.sam_user, domain, limit=100), 2)
        self.assertEqual(self.driven_count(self.ada_user, domain, limit=100), 1)

    def test_bounded_count_leaves_out_archived_customers_unless_the_list_shows_them(self):
        self.bobs_customer._abs_archive_governed_customer(self.sa, self.sam.person_partner_id)
        domain = [("id", "in", self.governed.ids)]
        self.assertEqual(self.driven_count(self.sam_user, domain, limit=100), 2)
        self.assertEqual(self.driven_count(self.sam_user, domain, limit=100, active_test=False), 3)

    def test_bounded_count_leaves_out_partners_of_another_company(self):
        domain = [("id", "in", (self.customer_in_b | self.vendor_b | self.unassigned).ids)]
        self.assertEqual(self.driven_count(self.sam_user, domain, limit=100), 1)
        self.sam_user.company_ids = [(4, self.company_b.id)]
        both = [self.company.id, self.company_b.id]
        self.assertEqual(self.driven_count(self.sam_user, domain, limit=100, allowed_company_ids=both), 3)

    def test_bounded_count_counts_a_members_own_governed_partner_once(self):
        # a customer of the account who is also its staff member: their own partner and a row
        insider = self.make_customer(self.sa, name="Seat Customer Insider")
        self.make_member(self.sa, "staff", insider)
        insider_user = self.make_seat_user(insider)
        domain = [("id", "in", (self.governed | insider).ids)]
        self.assertEqual(len(self.odoo_search(insider_user, domain)), 4)
        self.assertEqual(self.driven_count(insider_user, domain, limit=100), 4)

    def test_bounded_count_of_an_agent_counts_own_and_unassigned_rows_only(self):
        bob_user = self.make_seat_user(self.bob.person_partner_id)
        domain = [("id", "in", self.governed.ids)]
        self.assertEqual(self.driven_count(bob_user, domain, limit=100), 2)

    def test_member_whose_rows_may_overlap_is_counted_by_odoos_own_search(self):
        self.make_member(self.other_sa, "staff", self.sam.person_partner_id)
        partners = self.env["res.partner"].with_user(self.sam_user)
        domain = [("id", "in", self.governed.ids)]
        self.assertIsNone(partners._abs_seat_count_sql(domain, 100))
        self.assertEqual(partners.search_count(domain, limit=100), 4)
        self.assertEqual(partners.search_count(domain, limit=2), 2)

    def test_subtree_scope_is_counted_by_odoos_own_search(self):
        sub = self.make_branch("Seat Count Sub Branch", parent=self.sa)
        below = self.make_customer(sub, name="Seat Customer Below")
        self.sam.hierarchy_scope = "this_node_and_descendants"
        partners = self.env["res.partner"].with_user(self.sam_user)
        domain = [("id", "in", (self.governed | below).ids)]
        self.assertIsNone(partners._abs_seat_count_sql(domain, 100))
        self.assertEqual(partners.search_count(domain, limit=100), 4)

    def test_suspended_member_counts_only_partners_without_a_service_account(self):
        self.sam._abs_suspend()
        domain = [("id", "in", self.mine.ids)]
        self.assertEqual(self.driven_count(self.sam_user, domain, limit=100), 1)

    def test_unlimited_users_and_unbounded_counts_keep_odoos_own_count(self):
        partners = self.env["res.partner"]
        self.assertIsNone(partners._abs_seat_count_sql([], 100))  # superuser
        admin = self.env.ref("base.user_admin")
        self.assertIsNone(partners.with_user(admin)._abs_seat_count_sql([], 100))
        self.assertIsNone(partners.with_user(self.sam_user)._abs_seat_count_sql([], None))


@tagged("post_install", "-at_install")
class TestSeatMemberBoundedCountRowsFirst(TestSeatMemberBoundedCount):
    """The same, every count reading the member's assignment rows first."""

    allow_inherited_tests_method = True
    rows_first = True


@tagged("post_install", "-at_install")
class TestSeatMemberBoundedCountPartnersFirst(TestSeatMemberBoundedCount):
    """The same, every count reading the partners first (PostgreSQL's own join)."""

    allow_inherited_tests_method = True
    rows_first = False


@tagged("post_install", "-at_install")
class TestSeatMemberCountPath(SeatMemberCase):
    def test_unfiltered_list_reads_the_rows_first_and_a_selective_search_the_partners(self):
        partners = self.env["res.partner"].with_user(self.sam_user)
        selective = [("id", "=", self.vendor.id)]
        query = partners._where_calc(selective)
        self.assertTrue(partners._abs_seat_count_reads_rows_first([], partners._where_calc([]), 1000))
        self.assertFalse(partners._abs_seat_count_reads_rows_first(selective, query, 1000))

    def test_seat_rule_no_longer_anded_with_the_others_is_counted_by_odoos_own_search(self):
        # changed by hand: a group rule now, OR-ed with another that shows every contact
        rule = self.env.ref("abs_connector.res_partner_rule_seat_member")
        group_user = self.env.ref("base.group_user")
        rule.groups = group_user
        self.env["ir.rule"].create(
            {
                "name": "Every contact",
                "model_id": rule.model_id.id,
                "groups": [(4, group_user.id)],
                "domain_force": "[('id', '!=', 0)]",
            }
        )
        partners = self.env["res.partner"].with_user(self.sam_user)
        domain = [("id", "in", self.governed.ids)]
        self.assertIsNone(partners._abs_seat_count_sql(domain, 100))
        self.assertEqual(partners.search_count(domain, limit=100), 4)


@tagged("post_install", "-at_install")
class TestSeatMemberDebugMode(JsonRpcMixin, HttpCase, SeatMemberCase):
    @mute_logger("odoo.http", "odoo.addons.base.models.ir_rule")
    def test_debug_mode_refusal_names_no_hidden_customer(self):
        self.authenticate(self.ada_user.login, self.ada_user.login)
        self.url_open("/odoo?debug=1")  # Odoo's access error lists records by name in debug mode
        answer = self.call_kw(
            "res.partner", "read", [[self.bobs_customer.id], ["name"]], {"context": {"debug": "1"}}
        )
        self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.AccessError")
        self.assertNotIn(self.bobs_customer.name, json.dumps(answer))
        self.assertNotIn(str(self.bobs_customer.id), answer["error"]["data"]["message"])


@tagged("post_install", "-at_install")
class TestSeatMemberGovernanceScreens(JsonRpcMixin, HttpCase, SeatMemberCase):
    """A seat member who also reads the governance menus (Governance User) sees there the
    assignment rows and memberships the API lets them see, not every customer and member of the
    company; a Governance User who is no member and Governance Managers see them all."""

    READER_GROUPS = ("base.group_user", "abs_connector.group_abs_governance_user")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ada_user.groups_id += cls.env.ref("abs_connector.group_abs_governance_user")
        cls.sam_user.groups_id += cls.env.ref("abs_connector.group_abs_governance_user")
        cls.plain_reader = cls.make_user("governance.reader.no.member@example.com", *cls.READER_GROUPS)

    def rows_of(self, customers):
        return self.env["ov.sa_customer_assignment"].search(
            [("partner_id", "in", customers.ids), ("state", "=", "active")]
        )

    def rows_seen_by(self, user, customers):
        rows = self.rows_of(customers)
        found = self.env["ov.sa_customer_assignment"].with_user(user).search([("id", "in", rows.ids)])
        return self.env["ov.sa_customer_assignment"].browse(found.ids)

    def memberships_seen_by(self, user):
        memberships = (
            (self.ada | self.bob | self.sam)
            .with_user(user)
            .search([("serviced_account_id", "in", (self.sa | self.other_sa).ids)])
        )
        return self.env["ov.membership"].browse(memberships.ids)

    def test_assignment_rows_are_those_the_members_memberships_show(self):
        self.assertEqual(self.rows_seen_by(self.ada_user, self.governed), self.rows_of(self.adas_customer))
        self.assertEqual(
            self.rows_seen_by(self.sam_user, self.governed),
            self.rows_of(self.adas_customer | self.bobs_customer | self.unassigned),
        )
        self.assertEqual(self.rows_seen_by(self.plain_reader, self.governed), self.rows_of(self.governed))

    def test_memberships_are_their_own_and_those_of_the_accounts_they_manage(self):
        self.assertEqual(self.memberships_seen_by(self.ada_user), self.ada)
        self.assertEqual(
            self.memberships_seen_by(self.sam_user), self.sa.membership_ids.filtered("is_live") | self.sam
        )
        self.assertGreaterEqual(self.memberships_seen_by(self.plain_reader), self.ada | self.bob | self.sam)

    @mute_logger("odoo.http", "odoo.addons.base.models.ir_rule")
    def test_over_json_rpc_a_hidden_row_is_not_listed_and_its_read_names_no_customer(self):
        self.authenticate(self.ada_user.login, self.ada_user.login)
        listed = self.call_kw(
            "ov.sa_customer_assignment",
            "search_read",
            [[("partner_id", "in", self.governed.ids)]],
            {"fields": ["partner_id", "abs_sort_name"]},
        )
        self.assertEqual([row["partner_id"][0] for row in listed["result"]], self.adas_customer.ids)
        hidden_row = self.rows_of(self.bobs_customer)
        answer = self.call_kw(
            "ov.sa_customer_assignment", "read", [hidden_row.ids, ["partner_id", "abs_sort_name"]]
        )
        self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.AccessError")
        self.assertNotIn(self.bobs_customer.name, json.dumps(answer))
        answer = self.call_kw("ov.membership", "read", [self.bob.ids, ["person_partner_id"]])
        self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.AccessError")
        self.assertNotIn("Seat Agent Bob", json.dumps(answer))

    def test_conflict_reviews_are_those_of_the_memberships_the_member_sees(self):
        company = self.env["res.company"].create({"name": "Review Elsewhere Ltd"})
        elsewhere = self.make_branch(
            "Review Elsewhere", parent=self.env["ov.serviced_account"]._get_company_seed(company)
        )
        self.make_member(elsewhere, "agent", self.bob.person_partner_id)
        review = self.bob.conflict_review_ids
        self.assertEqual(len(review), 1)
        Review = self.env["ov.conflict_review"]
        self.assertFalse(Review.with_user(self.ada_user).search([("id", "=", review.id)]), "Bob's, not Ada's")
        self.assertEqual(
            Review.with_user(self.sam_user).search([("id", "=", review.id)]), review, "Sam manages Bob"
        )
        self.assertEqual(Review.with_user(self.plain_reader).search([("id", "=", review.id)]), review)
