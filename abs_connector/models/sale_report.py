from odoo import fields, models


class SaleReport(models.Model):
    """A row of the sales analysis is seen by a seat member with its order (docs/operations/
    back-office.md, "Seat users"): Odoo's report names its order only as a reference, which a
    rule cannot follow, so the order is added as a many2one."""

    _name = "sale.report"
    _inherit = ["sale.report", "abs.seat.visible.mixin"]
    _abs_seat_document_field = "abs_order_id"

    abs_order_id = fields.Many2one("sale.order", string="Order (governance)", readonly=True)

    def _select_additional_fields(self):
        # grouped by s.id already; rows another module unions in (point of sale) have none
        return {**super()._select_additional_fields(), "abs_order_id": "s.id"}
