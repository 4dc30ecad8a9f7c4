from odoo import models


class AccountAnalyticLine(models.Model):
    """An analytic line is seen by a seat member with its partner: it names a customer and an
    amount, read by billing users
    (docs/operations/back-office.md, "Seat users")."""

    _name = "account.analytic.line"
    _inherit = ["account.analytic.line", "abs.seat.visible.mixin"]
    _abs_seat_document_field = "partner_id"
