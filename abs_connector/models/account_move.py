from odoo import models


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "abs.governed.mixin"]

    _abs_stamp_partner_field = "partner_id"
