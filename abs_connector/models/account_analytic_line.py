from odoo import api, models


class AccountAnalyticLine(models.Model):
    """An analytic line is seen by a seat member with its partner: it names a customer and an
    amount, read by billing users.
    (docs/operations/back-office.md, "Seat users")."""

    _name = "account.analytic.line"
    _inherit = ["account.analytic.line", "abs.seat.visible.mixin"]

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
