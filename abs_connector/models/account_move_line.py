from odoo import models


class AccountMoveLine(models.Model):
    """A journal item is seen by a seat member with its journal entry, an invoice when it has a
    Service Account (docs/operations/back-office.md, "Seat users"): it names the same customer
    and amounts."""

    _name = "account.move.line"
    _inherit = ["account.move.line", "abs.seat.visible.mixin"]
    _abs_seat_document_field = "move_id"
