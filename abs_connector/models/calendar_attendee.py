from odoo import models


class CalendarAttendee(models.Model):
    """An attendee is seen by a seat member with its partner: Odoo lets every internal user read
    attendees, each with a customer's name, e-mail and phone
    (docs/operations/back-office.md, "Seat users")."""

    _name = "calendar.attendee"
    _inherit = ["calendar.attendee", "abs.seat.visible.mixin"]
    _abs_seat_document_field = "partner_id"
