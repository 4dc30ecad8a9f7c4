from odoo import models


class AccountPayment(models.Model):
    """A payment is seen by a seat member with its journal entry, stamped with its customer's
    Service Account as an invoice is (docs/operations/back-office.md, "Seat users"): it names
    the customer and the amount paid. A payment without a journal entry is not concerned."""

    _name = "account.payment"
    _inherit = ["account.payment", "abs.seat.visible.mixin"]
    _abs_seat_document_field = "move_id"
