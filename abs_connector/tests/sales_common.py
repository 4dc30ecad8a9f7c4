"""Shared fixtures of the field sales suites: a small catalogue and helpers around orders."""

from odoo import Command

from .api_common import AbsApiCase


class AbsSalesCase(AbsApiCase):
    """The seed 002 picture plus a catalogue: two sellable products of the company, one that is
    not for sale, one of another company, and a pricelist with a fixed price for Jean's customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Product = cls.env["product.product"]
        cls.chair = Product.create(
            {"name": "Field Chair", "default_code": "FC-01", "barcode": "4006381333931", "list_price": 100.0}
        )
        cls.lamp = Product.create({"name": "Solar Lamp", "default_code": "SL-02", "list_price": 40.0})
        cls.not_for_sale = Product.create({"name": "Internal Tool", "sale_ok": False, "list_price": 5.0})
        cls.other_company = cls.env["res.company"].create({"name": "Other Sales Co"})
        cls.foreign = Product.create(
            {"name": "Foreign Chair", "list_price": 70.0, "company_id": cls.other_company.id}
        )
        cls.jeans_customer = cls.make_customer(cls.sa, actor=cls.jean, name="Sales Customer J")
        cls.kwames_customer = cls.make_customer(cls.sa, actor=cls.kwame, name="Sales Customer K")
        cls.sub_customer = cls.make_customer(cls.tree.sub_branch, name="Sales Customer Sub")
        cls.pricelist = cls.env["product.pricelist"].create(
            {
                "name": "Field Partners",
                "currency_id": cls.company.currency_id.id,
                "item_ids": [
                    Command.create(
                        {"applied_on": "0_product_variant", "product_id": cls.chair.id, "fixed_price": 80.0}
                    )
                ],
            }
        )
        cls.jeans_customer.with_company(cls.company).property_product_pricelist = cls.pricelist

    # ---- helpers ----

    def quote(self, person, customer, *lines, sa=None):
        """POST /api/orders for ``customer`` with ``(product, quantity)`` lines."""
        body = {
            "contact_id": customer.id,
            "lines": [{"product_id": product.id, "quantity": qty} for product, qty in lines],
        }
        return self.api("POST", "/api/orders", body, person=person, sa=sa or self.sa)

    def quotation(self, person=None, customer=None):
        """A draft order made through the API (by Jean for his customer by default)."""
        status, body = self.quote(person or self.jean, customer or self.jeans_customer, (self.chair, 2))
        self.assertEqual(status, 201, body)
        return self.env["sale.order"].browse(body["id"])

    def sales_snapshot(self):
        """Counts that prove a refused sales request changed nothing."""
        env = self.env
        env.invalidate_all()
        return {
            "orders": env["sale.order"].search_count([]),
            "lines": env["sale.order.line"].search_count([]),
            "states": str(env["sale.order"].search([]).mapped("state")),
            "moves": env["account.move"].search_count([]),
            "events": env["abs.event.outbox"].sudo().search_count([]),
            "messages": env["mail.message"].search_count([("model", "in", ("sale.order", "account.move"))]),
        }

    def refused(self, call, status, code=None):
        """``call()`` answers ``status`` in the one error shape and changes nothing."""
        before = self.sales_snapshot()
        error = self.assertError(call(), status, code)
        self.assertEqual(self.sales_snapshot(), before)
        return error
