from odoo import api, models


class AccountMoveLine(models.Model):
    """A journal item is seen by a seat member with its journal entry, an invoice when it has a
    Service Account (docs/operations/back-office.md, "Seat users"): it names the same customer
    and amounts."""

    _name = "account.move.line"
    _inherit = ["account.move.line", "abs.seat.visible.mixin"]

    @api.depends("move_id.x_sa_id", "move_id.x_actor_id")
    @api.depends_context("uid")
    def _compute_abs_seat_visible(self):
        return super()._compute_abs_seat_visible()

    @api.model
    def _abs_seat_domain(self, contexts):
        return self._abs_seat_domain_of_document("move_id", contexts)
