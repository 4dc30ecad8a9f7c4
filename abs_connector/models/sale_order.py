from odoo import models


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "abs.governed.mixin"]

    _abs_stamp_partner_field = "partner_id"
