from odoo.tests import tagged

from .api_common import AbsApiCase


@tagged("post_install", "-at_install", "abs_api")
class TestApiOrders(AbsApiCase):
    """GET /api/orders[/<id>]: visibility by the V2 stamps.

    See docs/customer-lifecycle.md, "V1 / V2 / V3 Coexistence".
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.jeans_customer = cls.make_customer(cls.sa, actor=cls.jean, name="Order Customer J")
        cls.kwames_customer = cls.make_customer(cls.sa, actor=cls.kwame, name="Order Customer K")
        cls.unassigned_customer = cls.make_customer(cls.sa, name="Order Customer U")
        cls.other_customer = cls.make_customer(cls.tree.sub_branch, name="Order Customer O")
        Order = cls.env["sale.order"]
        cls.jeans_order = Order.create({"partner_id": cls.jeans_customer.id})
        cls.kwames_order = Order.create({"partner_id": cls.kwames_customer.id})
        cls.unassigned_order = Order.create({"partner_id": cls.unassigned_customer.id})
        cls.other_order = Order.create({"partner_id": cls.other_customer.id})

    def test_orders_inherit_their_customers_stamps(self):
        self.assertEqual((self.jeans_order.x_sa_id, self.jeans_order.x_actor_id), (self.sa, self.jean))

    def test_agent_sees_own_and_unassigned_orders(self):
        status, body = self.api("GET", "/api/orders", person=self.jean, sa=self.sa)
        self.assertEqual(status, 200, body)
        self.assertEqual(
            {item["id"] for item in body["items"]}, {self.jeans_order.id, self.unassigned_order.id}
        )
        self.assertEqual(body["total"], 2)
        item = next(i for i in body["items"] if i["id"] == self.jeans_order.id)
        self.assertEqual(
            (item["name"], item["partner_id"], item["sa_id"], item["actor_id"]),
            (self.jeans_order.name, self.jeans_customer.id, self.sa.id, self.jean.id),
        )

    def test_staff_sees_every_order_of_the_sa_only(self):
        _status, body = self.api("GET", "/api/orders", person=self.alice, sa=self.sa)
        self.assertEqual(
            {item["id"] for item in body["items"]},
            {self.jeans_order.id, self.kwames_order.id, self.unassigned_order.id},
        )

    def test_order_search_and_order_allowlist(self):
        _status, body = self.api(
            "GET", "/api/orders", person=self.alice, sa=self.sa, params={"search": "Order Customer K"}
        )
        self.assertEqual([item["id"] for item in body["items"]], [self.kwames_order.id])
        _status, body = self.api(
            "GET", "/api/orders", person=self.alice, sa=self.sa, params={"order": "id desc", "limit": 1}
        )
        self.assertEqual((body["items"][0]["id"], body["total"]), (self.unassigned_order.id, 3))
        self.assertError(
            self.api(
                "GET", "/api/orders", person=self.alice, sa=self.sa, params={"order": "amount_untaxed asc"}
            ),
            422,
        )

    def test_get_visible_order_and_404_for_hidden_or_missing(self):
        status, body = self.api("GET", f"/api/orders/{self.jeans_order.id}", person=self.jean, sa=self.sa)
        self.assertEqual((status, body["id"]), (200, self.jeans_order.id))
        hidden = self.api("GET", f"/api/orders/{self.kwames_order.id}", person=self.jean, sa=self.sa)
        missing = self.api("GET", "/api/orders/999999", person=self.jean, sa=self.sa)
        self.assertError(hidden, 404)
        self.assertEqual(hidden, missing)
        self.assertError(
            self.api("GET", f"/api/orders/{self.other_order.id}", person=self.alice, sa=self.sa), 404
        )
