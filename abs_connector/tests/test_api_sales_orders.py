import json

from odoo.tests import tagged

from ..governance import events
from .sales_common import AbsSalesCase


@tagged("post_install", "-at_install", "abs_api")
class TestApiQuotations(AbsSalesCase):
    """POST /api/orders, PUT /api/orders/<id>, POST /api/orders/<id>/cancel."""

    def test_agent_creates_a_quotation_stamped_with_the_customer_and_attributed_to_them(self):
        status, body = self.quote(self.jean, self.jeans_customer, (self.chair, 2), (self.lamp, 1.5))

        self.assertEqual(status, 201, body)
        order = self.env["sale.order"].browse(body["id"])
        proxy = self.env.ref("abs_connector.abs_api_proxy_user")
        self.assertEqual(
            (order.state, order.partner_id, order.company_id), ("draft", self.jeans_customer, self.company)
        )
        self.assertEqual((order.x_sa_id, order.x_actor_id, order.create_uid), (self.sa, self.jean, proxy))
        # the pricelist of the customer applies, as on the catalogue
        self.assertEqual(
            [(line["product_id"], line["quantity"], line["price_unit"]) for line in body["lines"]],
            [(self.chair.id, 2.0, 80.0), (self.lamp.id, 1.5, 40.0)],
        )
        self.assertEqual(
            (body["sa_id"], body["actor_id"], body["state"]), (self.sa.id, self.jean.id, "draft")
        )
        note = order.message_ids.filtered(lambda m: "through the API" in (m.body or ""))
        self.assertEqual(note.author_id, self.jean)
        [event] = self.events("order.created", order)
        payload = json.loads(event.payload)
        self.assertEqual(events.schema_errors(payload), [])
        self.assertEqual((payload["sa_id"], payload["actor"]["partner_id"]), (self.sa.id, self.jean.id))
        self.assertEqual((payload["data"]["name"], payload["data"]["state"]), (order.name, "draft"))

    def test_staff_quotation_for_an_agents_customer_stays_with_that_agent(self):
        status, body = self.quote(self.alice, self.kwames_customer, (self.lamp, 1))
        self.assertEqual(status, 201, body)
        self.assertEqual(body["actor_id"], self.kwame.id)
        self.assertEqual(
            self.events("order.created", self.env["sale.order"].browse(body["id"])).actor_partner_id,
            self.alice,
        )

    def test_a_retried_quotation_with_the_same_idempotency_key_creates_one_order(self):
        body = {"contact_id": self.jeans_customer.id, "lines": [{"product_id": self.chair.id, "quantity": 1}]}
        key = {"Idempotency-Key": "field-order-1"}
        first = self.api("POST", "/api/orders", body, person=self.jean, sa=self.sa, headers=key)
        before = self.sales_snapshot()
        again = self.api("POST", "/api/orders", body, person=self.jean, sa=self.sa, headers=key)
        self.assertEqual((first[0], again), (201, first))
        self.assertEqual(self.sales_snapshot(), before)
        other = {**body, "lines": [{"product_id": self.lamp.id, "quantity": 1}]}
        self.refused(
            lambda: self.api("POST", "/api/orders", other, person=self.jean, sa=self.sa, headers=key),
            422,
            "idempotency_key_reused",
        )

    def test_agent_cannot_quote_for_a_customer_they_cannot_see(self):
        hidden = self.refused(lambda: self.quote(self.jean, self.kwames_customer, (self.chair, 1)), 404)
        missing = self.refused(
            lambda: self.api(
                "POST",
                "/api/orders",
                {"contact_id": 2147483600, "lines": [{"product_id": self.chair.id, "quantity": 1}]},
                person=self.jean,
                sa=self.sa,
            ),
            404,
        )
        self.assertEqual(hidden, missing)
        self.refused(lambda: self.quote(self.jean, self.sub_customer, (self.chair, 1)), 404)

    def test_unknown_unsellable_and_other_company_products_are_refused(self):
        for product in (self.not_for_sale, self.foreign):
            error = self.refused(lambda p=product: self.quote(self.jean, self.jeans_customer, (p, 1)), 422)
            self.assertEqual(error["details"]["product_ids"], [product.id])
        body = {"contact_id": self.jeans_customer.id, "lines": [{"product_id": 2147483600, "quantity": 1}]}
        self.refused(lambda: self.api("POST", "/api/orders", body, person=self.jean, sa=self.sa), 422)

    def test_non_positive_quantities_and_malformed_lines_are_refused(self):
        for lines in (
            [{"product_id": self.chair.id, "quantity": 0}],
            [{"product_id": self.chair.id, "quantity": -2}],
            [{"product_id": self.chair.id, "quantity": 1e-9}],
            [{"product_id": self.chair.id}],
            [{"product_id": self.chair.id, "quantity": 1, "price_unit": 0.01}],
            [],
        ):
            body = {"contact_id": self.jeans_customer.id, "lines": lines}
            self.refused(lambda b=body: self.api("POST", "/api/orders", b, person=self.jean, sa=self.sa), 422)

    def test_viewer_and_finance_cannot_create_quotations(self):
        for role in ("viewer", "finance"):
            member = self.make_member(self.sa, role).person_partner_id
            self.refused(
                lambda m=member: self.quote(m, self.jeans_customer, (self.chair, 1)), 403, "forbidden"
            )

    def test_a_role_that_may_not_quote_gets_the_same_refusal_whether_the_contact_exists_or_not(self):
        hidden = self.make_customer(self.tree.sub_branch, name="Quote Hidden")
        for role in ("viewer", "finance"):
            member = self.make_member(self.sa, role).person_partner_id
            answers = [
                self.api(
                    "POST",
                    "/api/orders",
                    {"contact_id": contact_id, "lines": [{"product_id": self.chair.id, "quantity": 1}]},
                    person=member,
                    sa=self.sa,
                )
                for contact_id in (self.jeans_customer.id, hidden.id, 999_999_999)
            ]
            with self.subTest(role=role):
                self.assertError(answers[0], 403, "forbidden")
                self.assertEqual(answers[1], answers[0])
                self.assertEqual(answers[2], answers[0])

    def test_agent_replaces_the_lines_of_a_draft_quotation(self):
        order = self.quotation()
        status, body = self.api(
            "PUT",
            f"/api/orders/{order.id}",
            {"lines": [{"product_id": self.lamp.id, "quantity": 3}]},
            person=self.jean,
            sa=self.sa,
        )
        self.assertEqual(status, 200, body)
        self.assertEqual(
            [(line["product_id"], line["quantity"]) for line in body["lines"]], [(self.lamp.id, 3.0)]
        )
        self.assertEqual(order.order_line.product_id, self.lamp)

    def test_a_confirmed_order_cannot_be_edited(self):
        order = self.quotation()
        order.action_confirm()
        body = {"lines": [{"product_id": self.lamp.id, "quantity": 3}]}
        self.refused(
            lambda: self.api("PUT", f"/api/orders/{order.id}", body, person=self.jean, sa=self.sa), 409
        )
        self.assertEqual(order.order_line.product_id, self.chair)

    def test_agent_cancels_a_quotation(self):
        order = self.quotation()
        status, body = self.api("POST", f"/api/orders/{order.id}/cancel", person=self.jean, sa=self.sa)
        self.assertEqual((status, body["state"]), (200, "cancel"), body)
        [event] = self.events("order.cancelled", order)
        self.assertEqual(self.event_data(event)["previous_state"], "draft")
        self.refused(
            lambda: self.api("POST", f"/api/orders/{order.id}/cancel", person=self.jean, sa=self.sa), 409
        )

    def test_hidden_order_answers_like_a_missing_one_on_every_action(self):
        kwames_order = self.quotation(self.kwame, self.kwames_customer)
        lines = {"lines": [{"product_id": self.lamp.id, "quantity": 1}]}
        calls = [
            ("GET", "", None),
            ("PUT", "", lines),
            ("POST", "/cancel", None),
        ]
        for method, suffix, body in calls:
            hidden = self.refused(
                lambda m=method, s=suffix, b=body: self.api(
                    m, f"/api/orders/{kwames_order.id}{s}", b, person=self.jean, sa=self.sa
                ),
                404,
            )
            missing = self.api(method, f"/api/orders/2147483600{suffix}", body, person=self.jean, sa=self.sa)
            self.assertEqual(missing, (404, {"error": hidden}))
        # an order of another SA is hidden even from that SA's neighbours' staff
        other = self.env["sale.order"].create({"partner_id": self.sub_customer.id})
        self.refused(lambda: self.api("GET", f"/api/orders/{other.id}", person=self.alice, sa=self.sa), 404)


@tagged("post_install", "-at_install", "abs_api")
class TestApiOrderConfirmation(AbsSalesCase):
    """POST /api/orders/<id>/confirm and /invoice; GET /api/invoices[/<id>[/pdf]]."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.finance = cls.make_member(cls.sa, "finance").person_partner_id
        cls.employee_of(cls.finance)._abs_set_password("correct horse battery")

    def confirm(self, order, person):
        return self.api("POST", f"/api/orders/{order.id}/confirm", person=person, sa=self.sa)

    def invoice(self, order, person):
        return self.api("POST", f"/api/orders/{order.id}/invoice", person=person, sa=self.sa)

    def test_agent_cannot_confirm_unless_the_sa_lets_agents_confirm(self):
        order = self.quotation()
        self.refused(lambda: self.confirm(order, self.jean), 403, "forbidden")
        self.assertEqual(order.state, "draft")

        self.sa.abs_agents_confirm_orders = True
        status, body = self.confirm(order, self.jean)

        self.assertEqual((status, body["state"]), (200, "sale"), body)
        self.assertEqual(self.events("order.confirmed", order).actor_partner_id, self.jean)

    def test_staff_confirms_as_the_proxy_user_with_the_actor_recorded(self):
        order = self.quotation()
        status, body = self.confirm(order, self.alice)

        self.assertEqual((status, body["state"]), (200, "sale"), body)
        self.assertEqual(order.write_uid, self.env.ref("abs_connector.abs_api_proxy_user"))
        note = order.message_ids.filtered(lambda m: "confirmed through the API" in (m.body or ""))
        self.assertEqual(note.author_id, self.alice)
        [event] = self.events("order.confirmed", order)
        payload = json.loads(event.payload)
        self.assertEqual(events.schema_errors(payload), [])
        self.assertEqual((payload["actor"]["partner_id"], payload["data"]["state"]), (self.alice.id, "sale"))
        # a second confirmation is a conflict, not a second event
        self.refused(lambda: self.confirm(order, self.alice), 409)

    def test_viewer_and_finance_cannot_confirm(self):
        order = self.quotation()
        viewer = self.make_member(self.sa, "viewer").person_partner_id
        for person in (viewer, self.finance):
            self.refused(lambda p=person: self.confirm(order, p), 403)

    def test_finance_invoices_a_confirmed_order_and_reads_the_invoice(self):
        order = self.quotation()
        self.confirm(order, self.alice)

        status, body = self.invoice(order, self.finance)

        self.assertEqual(status, 201, body)
        invoice = self.env["account.move"].browse(body["id"])
        self.assertEqual(
            (invoice.state, invoice.move_type, invoice.partner_id),
            ("draft", "out_invoice", self.jeans_customer),
        )
        self.assertEqual((invoice.x_sa_id, invoice.x_actor_id), (self.sa, self.jean))
        self.assertEqual((body["order_ids"], body["amount_total"]), ([order.id], invoice.amount_total))
        [event] = self.events("invoice.created", invoice)
        payload = json.loads(event.payload)
        self.assertEqual(events.schema_errors(payload), [])
        self.assertEqual(
            (payload["actor"]["partner_id"], payload["data"]["order_id"]), (self.finance.id, order.id)
        )

        status, listed = self.api("GET", "/api/invoices", person=self.finance, sa=self.sa)
        self.assertEqual((status, [i["id"] for i in listed["items"]]), (200, [invoice.id]), listed)
        status, single = self.api("GET", f"/api/invoices/{invoice.id}", person=self.alice, sa=self.sa)
        self.assertEqual((status, single), (200, body))
        response = self.url_open(
            f"/api/invoices/{invoice.id}/pdf",
            headers={"Authorization": f"Bearer {self.token_for(self.finance)}", "X-SA-ID": str(self.sa.id)},
        )
        self.assertEqual(response.status_code, 200, response.text[:300])
        # Odoo's own invoice report (rendered as HTML in test mode, PDF on a server)
        self.assertIn(response.headers["Content-Type"].split(";")[0], ("application/pdf", "text/html"))
        self.assertIn(self.jeans_customer.name, response.text)

        # nothing left to invoice
        self.refused(lambda: self.invoice(order, self.finance), 409)

    def test_a_quotation_cannot_be_invoiced(self):
        order = self.quotation()
        self.refused(lambda: self.invoice(order, self.finance), 409)

    def test_agents_and_viewers_neither_invoice_nor_read_invoices(self):
        order = self.quotation()
        self.confirm(order, self.alice)
        viewer = self.make_member(self.sa, "viewer").person_partner_id
        for person in (self.jean, viewer):
            self.refused(lambda p=person: self.invoice(order, p), 403)
            self.assertError(self.api("GET", "/api/invoices", person=person, sa=self.sa), 403)

    def test_invoice_of_another_sa_answers_like_a_missing_one(self):
        other = self.env["sale.order"].create(
            {"partner_id": self.sub_customer.id, "order_line": [(0, 0, {"product_id": self.chair.id})]}
        )
        other.action_confirm()
        invoice = other._create_invoices()
        self.assertEqual(invoice.x_sa_id, self.tree.sub_branch)
        hidden = self.api("GET", f"/api/invoices/{invoice.id}", person=self.finance, sa=self.sa)
        missing = self.api("GET", "/api/invoices/2147483600", person=self.finance, sa=self.sa)
        self.assertError(hidden, 404)
        self.assertEqual(hidden, missing)
        self.assertError(
            self.api("GET", f"/api/invoices/{invoice.id}/pdf", person=self.finance, sa=self.sa), 404
        )
        self.refused(lambda: self.invoice(other, self.finance), 404)

    def test_cancelling_a_confirmed_order_takes_the_right_to_confirm(self):
        order = self.quotation()
        self.confirm(order, self.alice)
        self.refused(
            lambda: self.api("POST", f"/api/orders/{order.id}/cancel", person=self.jean, sa=self.sa), 403
        )
        status, body = self.api("POST", f"/api/orders/{order.id}/cancel", person=self.alice, sa=self.sa)
        self.assertEqual((status, body["state"]), (200, "cancel"), body)

    def test_an_invoiced_order_cannot_be_cancelled(self):
        order = self.quotation()
        self.confirm(order, self.alice)
        self.invoice(order, self.finance)
        self.refused(
            lambda: self.api("POST", f"/api/orders/{order.id}/cancel", person=self.alice, sa=self.sa), 409
        )
