from odoo import models


class ResPartnerBank(models.Model):
    """A bank account is seen by a seat member with its holder (docs/operations/back-office.md,
    "Seat users"): Odoo lets every internal user read bank accounts, and each names its holder and
    their account number."""

    _name = "res.partner.bank"
    _inherit = ["res.partner.bank", "abs.seat.visible.mixin"]
    _abs_seat_document_field = "partner_id"
