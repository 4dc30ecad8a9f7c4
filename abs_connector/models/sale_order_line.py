from odoo import models


class SaleOrderLine(models.Model):
    """An order line is seen by a seat member with its order (docs/operations/back-office.md, "Seat
    users"): it names the same customer and amounts."""

    _name = "sale.order.line"
    _inherit = ["sale.order.line", "abs.seat.visible.mixin"]
    _abs_seat_document_field = "order_id"
