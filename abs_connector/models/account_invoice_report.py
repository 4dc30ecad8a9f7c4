from odoo import models


class AccountInvoiceReport(models.Model):
    """A row of the invoice analysis is seen by a seat member with its invoice
    (docs/operations/back-office.md, "Seat users"): it names the same customer and amounts."""

    _name = "account.invoice.report"
    _inherit = ["account.invoice.report", "abs.seat.visible.mixin"]
    _abs_seat_document_field = "move_id"
