"""The governance stamps (Service Account, acting person, assigned employee), a governed customer's
company and its archived state change only through governance: not through Odoo's own forms,
imports, duplicates, merges or an RPC caller's context (docs/operations/back-office.md)."""

import json

from odoo import Command
from odoo.exceptions import AccessError, MissingError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import JsonRpcMixin
from .test_seat_member_rules import SeatMemberCase


@tagged("post_install", "-at_install", "abs_security")
class TestStampsBelongToGovernance(JsonRpcMixin, HttpCase, SeatMemberCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesperson = cls.make_user(
            "contact.editor@example.com",
            "base.group_user",
            "base.group_partner_manager",
            "sales_team.group_sale_salesman_all_leads",
        )
        cls.manager = cls.make_user(
            "stamp.manager@example.com",
            "abs_connector.group_abs_governance_manager",
            "base.group_partner_manager",
        )

    def stamps(self, record):
        record.invalidate_recordset()
        names = ["x_sa_id", "x_actor_id"] + (
            ["x_assigned_employee_id"] if record._name == "res.partner" else []
        )
        return {name: record.sudo()[name].id for name in names}

    def test_a_salesperson_neither_writes_creates_nor_imports_stamps(self):
        customer = self.bobs_customer.with_user(self.salesperson)
        before = self.stamps(self.bobs_customer)
        for vals in (
            {"x_sa_id": False},
            {"x_actor_id": self.ada.person_partner_id.id},
            {"x_assigned_employee_id": False},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                customer.write(vals)
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.salesperson).create(
                {"name": "Forged", "x_sa_id": self.sa.id}
            )
        defaults = {"default_x_sa_id": self.sa.id, "default_x_actor_id": self.ada.person_partner_id.id}
        Partner = self.env["res.partner"].with_user(self.salesperson).with_context(**defaults)
        by_default = Partner.create({"name": "Defaulted"})
        self.assertEqual(self.stamps(by_default), dict.fromkeys(self.stamps(by_default), False))
        Order = self.env["sale.order"].with_user(self.salesperson).with_context(**defaults)
        order = Order.create({"partner_id": self.vendor.id})
        self.assertEqual(self.stamps(order), {"x_sa_id": False, "x_actor_id": False})
        imported = (
            self.env["res.partner"]
            .with_user(self.salesperson)
            .load(["name", "x_sa_id/.id"], [["Imported Forged", str(self.sa.id)]])
        )
        self.assertFalse(imported["ids"])
        self.assertTrue(imported["messages"])
        self.assertEqual(self.stamps(self.bobs_customer), before)
        self.assertFalse(self.env["res.partner"].search([("name", "in", ("Forged", "Imported Forged"))]))
        customer.write({"phone": "+228 90 00 00 77"})  # the rest of the contact still changes

    def test_a_duplicate_of_a_governed_customer_is_not_governed(self):
        duplicate = self.bobs_customer.copy()
        self.assertEqual(self.stamps(duplicate), dict.fromkeys(self.stamps(duplicate), False))

    @mute_logger("odoo.http")
    def test_a_seat_member_cannot_clear_the_account_of_a_customer_to_show_it_to_everyone(self):
        before = self.stamps(self.adas_customer)
        self.authenticate(self.ada_user.login, self.ada_user.login)
        answer = self.call_kw("res.partner", "write", [[self.adas_customer.id], {"x_sa_id": False}])
        self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.AccessError")
        self.assertEqual(self.stamps(self.adas_customer), before)

    def test_orders_and_leads_follow_their_customer_whatever_stamps_the_caller_sends(self):
        Order = self.env["sale.order"].with_user(self.ada_user)
        with self.assertRaises(AccessError):
            Order.create({"partner_id": self.bobs_customer.id, "x_sa_id": False})
        with self.assertRaises(MissingError):
            Order.create({"partner_id": self.bobs_customer.id})  # Bob's: hidden from Ada, as if missing
        lead = (
            self.env["crm.lead"]
            .with_user(self.ada_user)
            .create({"name": "Ada's lead", "partner_id": self.adas_customer.id})
        )
        self.assertEqual(
            self.stamps(lead), {"x_sa_id": self.sa.id, "x_actor_id": self.ada.person_partner_id.id}
        )
        with self.assertRaises(MissingError):  # she cannot hand her lead to a customer hidden from her
            lead.write({"partner_id": self.bobs_customer.id})
        lead.with_user(self.salesperson).write({"partner_id": self.bobs_customer.id})
        self.assertEqual(
            self.stamps(lead)["x_actor_id"], self.bob.person_partner_id.id, "it follows Bob's customer"
        )
        with self.assertRaises(AccessError):
            lead.read(["email_from", "phone"])

    def test_an_order_follows_its_new_customer_even_when_system_code_changes_it(self):
        order = self.env["sale.order"].create({"partner_id": self.vendor.id})
        self.assertEqual(self.stamps(order), {"x_sa_id": False, "x_actor_id": False})
        order.sudo().write({"partner_id": self.bobs_customer.id})  # e.g. Odoo's own checkout
        self.assertEqual(
            self.stamps(order), {"x_sa_id": self.sa.id, "x_actor_id": self.bob.person_partner_id.id}
        )

    def test_a_governed_customer_stays_in_its_accounts_company_unless_a_manager_moves_it(self):
        company = self.bobs_customer.company_id
        self.assertTrue(company)
        with self.assertRaises(AccessError):
            self.bobs_customer.with_user(self.salesperson).write({"company_id": False})
        self.assertEqual(self.bobs_customer.company_id, company)
        self.bobs_customer.with_user(self.manager).write({"company_id": False})
        self.assertFalse(self.bobs_customer.company_id)

    @mute_logger("odoo.http")
    def test_an_rpc_callers_context_neither_skips_the_lifecycle_nor_names_the_actor(self):
        self.authenticate(self.salesperson.login, self.salesperson.login)
        events_before = len(self.events("customer.archived"))
        answer = self.call_kw(
            "res.partner",
            "write",
            [[self.unassigned.id], {"active": False}],
            {"context": {"abs_lifecycle_write": True}},
        )
        self.assertIn("error", answer, "archived without the lifecycle's authority check")
        self.unassigned.invalidate_recordset()
        self.assertTrue(self.unassigned.active)
        self.assertEqual(len(self.events("customer.archived")), events_before)

        order = self.env["sale.order"].create({"partner_id": self.unassigned.id})
        product = self.env["product.product"].create({"name": "Stamp Lamp", "list_price": 10.0})
        order.order_line = [Command.create({"product_id": product.id})]
        answer = self.call_kw(
            "sale.order",
            "action_confirm",
            [[order.id]],
            {"context": {"abs_actor_partner_id": self.bob.person_partner_id.id}},
        )
        self.assertNotIn("error", answer, answer)
        confirmed = json.loads(self.events("order.confirmed", order).payload)
        self.assertEqual(confirmed["actor"]["partner_id"], self.salesperson.partner_id.id)

    def test_merging_a_governed_customer_is_for_governance_managers(self):
        twin = self.env["res.partner"].create({"name": "Twin", "email": self.bobs_customer.email})
        wizard = (
            self.env["base.partner.merge.automatic.wizard"]
            .with_user(self.salesperson)
            .with_context(active_model="res.partner", active_ids=(twin | self.bobs_customer).ids)
            .create(
                {"partner_ids": [Command.set((twin | self.bobs_customer).ids)], "dst_partner_id": twin.id}
            )
        )
        with self.assertRaises(AccessError):
            wizard.action_merge()
        self.assertTrue(self.bobs_customer.exists())
        self.assertFalse(twin.sudo().x_sa_id)
