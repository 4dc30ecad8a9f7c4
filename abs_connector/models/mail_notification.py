from odoo import api, models


class MailNotification(models.Model):
    """A notification is seen by a seat member with its recipient: Odoo lets every internal user
    read them, each telling which customer was sent which order or invoice.
    (docs/operations/back-office.md, "Seat users")."""

    _name = "mail.notification"
    _inherit = ["mail.notification", "abs.seat.visible.mixin"]

    @api.depends(
        "res_partner_id.x_sa_id",
        "res_partner_id.assignment_ids.state",
        "res_partner_id.assignment_ids.actor_id",
        "res_partner_id.assignment_ids.account_id",
    )
    @api.depends_context("uid")
    def _compute_abs_seat_visible(self):
        return super()._compute_abs_seat_visible()

    @api.model
    def _abs_seat_domain(self, contexts):
        return self._abs_seat_domain_of_document("res_partner_id", contexts)
