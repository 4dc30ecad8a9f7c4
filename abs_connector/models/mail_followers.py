from odoo import models


class MailFollowers(models.Model):
    """A follower is seen by a seat member with its partner: Odoo lets every internal user read
    followers, each with the name and e-mail of a customer who follows their order or invoice
    (docs/operations/back-office.md, "Seat users")."""

    _name = "mail.followers"
    _inherit = ["mail.followers", "abs.seat.visible.mixin"]
    _abs_seat_document_field = "partner_id"
