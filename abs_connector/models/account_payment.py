from odoo import api, models


class AccountPayment(models.Model):
    """A payment is seen by a seat member with its journal entry, stamped with its customer's
    Service Account as an invoice is (docs/operations/back-office.md, "Seat users"): it names
    the customer and the amount paid. A payment without a journal entry is not concerned."""

    _name = "account.payment"
    _inherit = ["account.payment", "abs.seat.visible.mixin"]

    @api.depends("move_id.x_sa_id", "move_id.x_actor_id")
    @api.depends_context("uid")
    def _compute_abs_seat_visible(self):
        return super()._compute_abs_seat_visible()

    @api.model
    def _abs_seat_domain(self, contexts):
        return self._abs_seat_domain_of_document("move_id", contexts)
