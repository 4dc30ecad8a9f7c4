from odoo import models


class PaymentToken(models.Model):
    """A saved payment method is seen by a seat member with its customer: Odoo lets salespeople and
    billing users read every customer's (a masked card or account number)
    (docs/operations/back-office.md, "Seat users")."""

    _name = "payment.token"
    _inherit = ["payment.token", "abs.seat.visible.mixin"]
    _abs_seat_document_field = "partner_id"
