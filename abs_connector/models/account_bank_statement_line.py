from odoo import models


class AccountBankStatementLine(models.Model):
    """A bank statement line is seen by a seat member with its partner: it carries a customer's name,
    account number and the amount, read by billing users
    (docs/operations/back-office.md, "Seat users")."""

    _name = "account.bank.statement.line"
    _inherit = ["account.bank.statement.line", "abs.seat.visible.mixin"]
    _abs_seat_document_field = "partner_id"
