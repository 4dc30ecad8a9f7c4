from odoo import api, models


class PaymentToken(models.Model):
    """A saved payment method is seen by a seat member with its customer: Odoo lets salespeople and
    billing users read every customer's (a masked card or account number).
    (docs/operations/back-office.md, "Seat users")."""

    _name = "payment.token"
    _inherit = ["payment.token", "abs.seat.visible.mixin"]

    @api.depends(
        "partner_id.x_sa_id",
        "partner_id.assignment_ids.state",
        "partner_id.assignment_ids.actor_id",
        "partner_id.assignment_ids.account_id",
    )
    @api.depends_context("uid")
    def _compute_abs_seat_visible(self):
        return super()._compute_abs_seat_visible()

    @api.model
    def _abs_seat_domain(self, contexts):
        return self._abs_seat_domain_of_document("partner_id", contexts)
