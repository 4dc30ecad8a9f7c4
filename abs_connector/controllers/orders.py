"""Sale orders visible in a Service Account (seed 002 "V1 / V2 / V3 Coexistence": orders are
still read through the V2 stamps x_sa_id / x_actor_id until their V3 assignment table exists)."""

from odoo import http
from odoo.http import request

from ..governance import api_schemas, errors, visibility
from .common import (
    api_route,
    dispatch,
    dt,
    json_response,
    list_params,
    paged,
    sa_context,
    search_domain,
    text,
)

SEARCH_FIELDS = ["name", "partner_id.name", "partner_id.email", "partner_id.phone"]


def serialize_order(order):
    return {
        "id": order.id,
        "name": order.name or "",
        "state": order.state or "",
        "date_order": dt(order.date_order),
        "amount_total": float(order.amount_total),
        "currency": text(order.currency_id.name),
        "partner_id": order.partner_id.id or None,
        "partner_name": text(order.partner_id.name),
        "sa_id": order.x_sa_id.id or None,
        "actor_id": order.x_actor_id.id or None,
    }


class AbsOrderController(http.Controller):
    @api_route("/api/orders", auth="abs_jwt")
    def abs_orders(self, **params):
        return dispatch({"GET": self._list}, params)

    @api_route("/api/orders/<int:order_id>", auth="abs_jwt")
    def abs_order(self, order_id, **_params):
        return dispatch({"GET": self._get}, order_id)

    def _list(self, params):
        context = sa_context()
        context.require("read_orders")
        page = list_params(params, api_schemas.ORDER_ORDERS)
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
        context.require("read_orders")
        order = request.env["sale.order"].search(
            [("id", "=", order_id), *visibility.stamp_domain(context.access, "read_orders")], limit=1
        )
        if not order:
            raise errors.NotFound()
        return json_response(serialize_order(order))
