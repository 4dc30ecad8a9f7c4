"""What a portal customer may see (issue 6): Odoo 18's follower-based rules on
orders and invoices, never widened by governance stamps or assignments."""

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import AbsGovernanceCase

GOVERNED_DOCUMENT_MODELS = (
    "sale.order",
    "sale.order.line",
    "account.move",
    "account.move.line",
    "res.partner",
)
GOVERNANCE_MODELS = ("ov.serviced_account", "ov.membership", "ov.sa_customer_assignment", "abs.employee")


@tagged("post_install", "-at_install", "abs_portal")
class TestPortalAccessRules(AbsGovernanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.abs_portal_on_create = True
        cls.tree = cls.make_sa_tree()
        sa, jean = cls.tree.branch, cls.tree.jean
        # Two customers of the same account and the same agent: identical stamps.
        cls.marie = cls.make_customer(sa, actor=jean, portal_access=True, name="Marie Dupont")
        cls.paul = cls.make_customer(sa, actor=jean, portal_access=True, name="Paul Mensah")
        cls.marie_user, cls.paul_user = cls.marie.user_ids, cls.paul.user_ids
        product = cls.env["product.product"].create({"name": "Solar kit", "list_price": 100.0})
        cls.orders = {}
        cls.quotations = {}
        cls.invoices = {}
        for customer in (cls.marie, cls.paul):
            order = cls.make_confirmed_order(customer, product)
            cls.orders[customer] = order
            quotation = order.copy()
            quotation.message_subscribe(customer.ids)
            cls.quotations[customer] = quotation
            invoice = cls.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "invoice_line_ids": [
                        Command.create({"product_id": product.id, "quantity": 1, "price_unit": 100}),
                    ],
                }
            )
            invoice.action_post()
            cls.invoices[customer] = invoice

    def test_orders_of_two_customers_carry_the_same_governance_stamps(self):
        marie_order, paul_order = self.orders[self.marie], self.orders[self.paul]
        self.assertEqual(marie_order.x_sa_id, self.tree.branch)
        self.assertEqual(marie_order.x_sa_id, paul_order.x_sa_id)
        self.assertEqual(marie_order.x_actor_id, paul_order.x_actor_id)
        self.assertEqual(marie_order.x_actor_id, self.tree.jean)

    def test_portal_customer_sees_only_own_quotations_and_orders(self):
        SaleOrder = self.env["sale.order"].with_user(self.marie_user)

        self.assertEqual(SaleOrder.search([]), self.orders[self.marie] | self.quotations[self.marie])
        with self.assertRaises(AccessError):
            SaleOrder.browse(self.orders[self.paul].id).read(["name"])
        with self.assertRaises(AccessError):
            SaleOrder.browse(self.quotations[self.paul].id).read(["name"])

    def test_portal_customer_sees_only_own_invoices(self):
        Move = self.env["account.move"].with_user(self.marie_user)

        self.assertEqual(Move.search([]), self.invoices[self.marie])
        with self.assertRaises(AccessError):
            Move.browse(self.invoices[self.paul].id).read(["name"])

    def test_portal_customer_cannot_read_governance_records(self):
        for model in GOVERNANCE_MODELS:
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(self.marie_user).search([])

    def test_portal_customer_cannot_read_governance_stamps_of_own_records(self):
        own = {
            "res.partner": self.marie,
            "sale.order": self.orders[self.marie],
            "account.move": self.invoices[self.marie],
        }
        for model, record in own.items():
            with self.subTest(model=model), self.assertRaises(AccessError):
                record.with_user(self.marie_user).read(["x_sa_id", "x_actor_id"])
        with self.assertRaises(AccessError):
            self.marie.with_user(self.marie_user).read(["assignment_ids"])

    def test_no_abs_connector_rule_or_access_right_widens_portal_access(self):
        portal_groups = self.env.ref("base.group_portal") | self.env.ref("base.group_public")
        rules = (
            self.env["ir.rule"]
            .sudo()
            .search(
                [
                    ("model_id.model", "in", GOVERNED_DOCUMENT_MODELS + GOVERNANCE_MODELS),
                    ("groups", "in", portal_groups.ids),
                ]
            )
        )
        ours = [xmlid for xmlid in rules.get_external_id().values() if xmlid.startswith("abs_connector.")]
        self.assertFalse(ours, "governance must not add portal/public record rules (rules of a group widen)")
        acls = self.env["ir.model.access"].sudo().search([("group_id", "in", portal_groups.ids)])
        ours = [xmlid for xmlid in acls.get_external_id().values() if xmlid.startswith("abs_connector.")]
        self.assertFalse(ours, "governance grants portal/public users no model access")
