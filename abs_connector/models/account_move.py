from odoo import fields, models


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "abs.governed.mixin"]

    _abs_stamp_partner_field = "partner_id"
    _abs_seat_capability = "read_invoices"

    # The V2 stamps are internal governance; portal customers see their invoices
    # through Odoo's follower rule, never through these fields.
    x_sa_id = fields.Many2one(groups="base.group_user")
    x_actor_id = fields.Many2one(groups="base.group_user")
