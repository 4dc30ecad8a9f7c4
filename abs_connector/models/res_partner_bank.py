from odoo import api, models


class ResPartnerBank(models.Model):
    """A bank account is seen by a seat member with its holder (docs/operations/back-office.md,
    "Seat users"): Odoo lets every internal user read bank accounts, and each names its holder and
    their account number."""

    _name = "res.partner.bank"
    _inherit = ["res.partner.bank", "abs.seat.visible.mixin"]

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
