"""Sale orders of a Service Account: read, quote, confirm, cancel and invoice.

Orders are still scoped by their V2 stamps x_sa_id / x_actor_id (docs: Sales Workflow). Every
write goes through the sale.order lifecycle methods, which check the caller's role in the SA
(role table of the pure core) and execute as the API proxy user with the real actor recorded.
A hidden order answers exactly like a missing one.
"""

from odoo import http
from odoo.http import request

from ..governance import api_schemas, visibility
from .common import (
    api_route,
    dispatch,
    dt,
    idempotent,
    json_response,
    list_params,
    paged,
    read_json_body,
    sa_context,
    search_domain,
    text,
)
from .contacts import _existing_contact
from .invoices import serialize_invoice

SEARCH_FIELDS = ["name", "partner_id.name", "partner_id.email", "partner_id.phone"]


def serialize_line(line):
    return {
        "id": line.id,
        "product_id": line.product_id.id or None,
        "description": line.name or "",
        "quantity": float(line.product_uom_qty),
        "price_unit": float(line.price_unit),
        "price_subtotal": float(line.price_subtotal),
        "price_total": float(line.price_total),
    }


def serialize_order(order):
    return {
        "id": order.id,
        "name": order.name or "",
        "state": order.state or "",
        "date_order": dt(order.date_order),
        "amount_untaxed": float(order.amount_untaxed),
        "amount_total": float(order.amount_total),
        "currency": text(order.currency_id.name),
        "partner_id": order.partner_id.id or None,
        "partner_name": text(order.partner_id.name),
        "sa_id": order.x_sa_id.id or None,
        "actor_id": order.x_actor_id.id or None,
        "invoice_status": order.invoice_status or "no",
        "invoice_ids": order.invoice_ids.ids,
        "lines": [serialize_line(line) for line in order.order_line if not line.display_type],
    }


def _lines(body):
    return [(line["product_id"], line["quantity"]) for line in body["lines"]]


class AbsOrderController(http.Controller):
    @api_route("/api/orders", auth="abs_jwt")
    def abs_orders(self, **params):
        return dispatch({"GET": self._list, "POST": self._create}, params)

    @api_route("/api/orders/<int:order_id>", auth="abs_jwt")
    def abs_order(self, order_id, **_params):
        return dispatch({"GET": self._get, "PUT": self._update}, order_id)

    @api_route("/api/orders/<int:order_id>/send", auth="abs_jwt")
    def abs_order_send(self, order_id, **_params):
        return dispatch({"POST": self._send}, order_id)

    @api_route("/api/orders/<int:order_id>/confirm", auth="abs_jwt")
    def abs_order_confirm(self, order_id, **_params):
        return dispatch({"POST": self._confirm}, order_id)

    @api_route("/api/orders/<int:order_id>/cancel", auth="abs_jwt")
    def abs_order_cancel(self, order_id, **_params):
        return dispatch({"POST": self._cancel}, order_id)

    @api_route("/api/orders/<int:order_id>/invoice", auth="abs_jwt")
    def abs_order_invoice(self, order_id, **_params):
        return dispatch({"POST": self._invoice}, order_id)

    # ---- reads ----

    def _list(self, params):
        context = sa_context()
        context.require("read_orders")
        page = list_params(params, api_schemas.ORDER_ORDERS, "orders")
        domain = visibility.stamp_domain(context.access, "read_orders") + search_domain(
            page["search"], SEARCH_FIELDS
        )
        return json_response(
            paged(
                request.env["sale.order"],
                domain,
                page,
                lambda orders: [serialize_order(order) for order in orders],
            )
        )

    def _get(self, order_id):
        context = sa_context()
        return json_response(serialize_order(self._order(context, "read_orders", order_id)))

    # ---- writes ----

    @idempotent("create_orders")
    def _create(self, _params):
        context = sa_context()
        body = read_json_body("OrderCreate")
        # before the contact is looked up: a role that may not create orders gets the same
        # refusal whether the contact exists or not
        context.require("create_orders")
        customer = _existing_contact(body["contact_id"])
        order = request.env["sale.order"]._abs_create_quotation(
            context.sa, customer, _lines(body), context.actor_partner
        )
        return json_response(serialize_order(order), status=201)

    def _update(self, order_id):
        context = sa_context()
        body = read_json_body("OrderUpdate")
        order = self._order(context, "create_orders", order_id)
        order._abs_replace_lines(context.sa, _lines(body), context.actor_partner)
        return json_response(serialize_order(order))

    def _send(self, order_id):
        context = sa_context()
        order = self._order(context, "create_orders", order_id)
        order._abs_send_quotation(context.sa, context.actor_partner)
        return json_response(serialize_order(order))

    def _confirm(self, order_id):
        context = sa_context()
        order = self._order(context, "confirm_orders", order_id)
        order._abs_confirm(context.sa, context.actor_partner)
        return json_response(serialize_order(order))

    def _cancel(self, order_id):
        context = sa_context()
        order = self._order(context, "create_orders", order_id)
        order._abs_cancel(context.sa, context.actor_partner)
        return json_response(serialize_order(order))

    def _invoice(self, order_id):
        context = sa_context()
        order = self._order(context, "create_invoices", order_id)
        invoice = order._abs_create_invoice(context.sa, context.actor_partner)
        return json_response(serialize_invoice(invoice), status=201)

    @staticmethod
    def _order(context, capability, order_id):
        """The order if the caller's role grants ``capability`` (else 403) and the caller sees
        the order (else 404, the answer of a missing order)."""
        return request.env["sale.order"]._abs_get_visible_order(
            context.sa, context.actor_partner, capability, order_id
        )
