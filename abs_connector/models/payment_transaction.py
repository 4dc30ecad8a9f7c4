from odoo import api, models


class PaymentTransaction(models.Model):
    """A payment transaction is seen by a seat member with its customer: it carries their name,
    e-mail, address and the amount, and Odoo lets salespeople and billing users read every one.
    (docs/operations/back-office.md, "Seat users")."""

    _name = "payment.transaction"
    _inherit = ["payment.transaction", "abs.seat.visible.mixin"]

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
