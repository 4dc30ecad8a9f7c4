from odoo import api, models


class SaleOrderLine(models.Model):
    """An order line is seen by a seat member with its order (docs/operations/back-office.md, "Seat
    users"): it names the same customer and amounts."""

    _name = "sale.order.line"
    _inherit = ["sale.order.line", "abs.seat.visible.mixin"]

    @api.depends("order_id.x_sa_id", "order_id.x_actor_id")
    @api.depends_context("uid")
    def _compute_abs_seat_visible(self):
        return super()._compute_abs_seat_visible()

    @api.model
    def _abs_seat_domain(self, contexts):
        return self._abs_seat_domain_of_document("order_id", contexts)
