from odoo import models


class CrmActivityReport(models.Model):
    """A row of the activity analysis is seen by a seat member with its lead
    (docs/operations/back-office.md, "Seat users"): it names the same customer and what was
    said."""

    _name = "crm.activity.report"
    _inherit = ["crm.activity.report", "abs.seat.visible.mixin"]
    _abs_seat_document_field = "lead_id"
