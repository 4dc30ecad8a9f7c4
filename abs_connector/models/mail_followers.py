from odoo import api, models


class MailFollowers(models.Model):
    """A follower is seen by a seat member with its partner: Odoo lets every internal user read
    followers, each with the name and e-mail of a customer who follows their order or invoice.
    (docs/operations/back-office.md, "Seat users")."""

    _name = "mail.followers"
    _inherit = ["mail.followers", "abs.seat.visible.mixin"]

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
