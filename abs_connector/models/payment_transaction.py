from odoo import models


class PaymentTransaction(models.Model):
    """A payment transaction is seen by a seat member with its customer: it carries their name,
    e-mail, address and the amount, and Odoo lets salespeople and billing users read every one
    (docs/operations/back-office.md, "Seat users")."""

    _name = "payment.transaction"
    _inherit = ["payment.transaction", "abs.seat.visible.mixin"]
    _abs_seat_document_field = "partner_id"
