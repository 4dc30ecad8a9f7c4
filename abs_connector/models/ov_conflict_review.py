from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..elevation import elevate
from ..governance import visibility


class OvConflictReview(models.Model):
    """A possible conflict of interest to review (docs/reference/terminology.md, "conflict of interest").

    The same person holding memberships in Service Accounts of different
    companies is allowed, but never silently: each such pair is listed here
    until a reviewer accepts or rejects it, and the decision records who and when.
    """

    _name = "ov.conflict_review"
    _description = "Cross-company Membership Review"
    _inherit = ["mail.thread", "abs.seat.visible.mixin"]
    _order = "state desc, id desc"
    _rec_name = "person_partner_id"

    membership_id = fields.Many2one(
        "ov.membership", required=True, index=True, ondelete="cascade", readonly=True
    )
    other_membership_id = fields.Many2one(
        "ov.membership",
        string="Other Membership",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    person_partner_id = fields.Many2one(related="membership_id.person_partner_id", store=True, index=True)
    serviced_account_id = fields.Many2one(related="membership_id.serviced_account_id", store=True)
    other_serviced_account_id = fields.Many2one(
        related="other_membership_id.serviced_account_id", store=True, string="Other Service Account"
    )
    company_id = fields.Many2one(related="membership_id.company_id", store=True, index=True)
    other_company_id = fields.Many2one(
        related="other_membership_id.company_id", store=True, index=True, string="Other Company"
    )
    state = fields.Selection(
        [("to_review", "To Review"), ("accepted", "Accepted"), ("rejected", "Rejected")],
        required=True,
        default="to_review",
        index=True,
        tracking=True,
    )
    reviewer_id = fields.Many2one("res.users", readonly=True, tracking=True)
    reviewed_on = fields.Datetime(readonly=True, tracking=True)
    review_note = fields.Text(tracking=True)

    _sql_constraints = [
        (
            "pair_unique",
            "UNIQUE(membership_id, other_membership_id)",
            "This pair of memberships is already listed for review.",
        ),
        (
            "pair_ordered",
            "CHECK(membership_id < other_membership_id)",
            "A review pairs two different memberships.",
        ),
    ]

    @api.depends("membership_id", "other_membership_id")
    @api.depends_context("uid")
    def _compute_abs_seat_visible(self):
        return super()._compute_abs_seat_visible()

    @api.model
    def _abs_seat_domain(self, contexts):
        # a pair of which the member sees one of the memberships on the governance screens
        # (security/ov_conflict_review_security.xml)
        memberships = visibility.seat_membership_domain(contexts, self.env.user.partner_id.id)
        return ["|", ("membership_id", "any", memberships), ("other_membership_id", "any", memberships)]

    @api.model
    def _abs_flag_cross_company(self, memberships):
        """List every pair (new membership, other membership of the same person
        in another company's account) that is not listed yet. Returns the new reviews."""
        Membership = self.env["ov.membership"]._abs_reader()
        pairs = set()
        live = Membership.browse(memberships.ids).filtered(lambda m: m.membership_state != "revoked")
        for membership in live:
            others = Membership.search(
                [
                    ("person_partner_id", "=", membership.person_partner_id.id),
                    ("membership_state", "!=", "revoked"),
                    ("company_id", "!=", membership.company_id.id),
                    ("id", "!=", membership.id),
                ]
            )
            pairs.update(tuple(sorted((membership.id, other.id))) for other in others)
        if not pairs:
            return self.browse()
        existing = self._abs_review_admin().search([("membership_id", "in", [a for a, _b in pairs])])
        pairs -= {(r.membership_id.id, r.other_membership_id.id) for r in existing}
        created = self._abs_review_admin().create(
            [{"membership_id": a, "other_membership_id": b} for a, b in sorted(pairs)]
        )
        return self.browse(created.ids)

    def _abs_review_admin(self):
        return elevate(self, "flagging is governance's own bookkeeping: whoever enrolls cannot skip it")

    # ---- buttons: the note is the form's field, the reviewer the signed-in user ----

    def action_accept(self):
        """Record that a reviewer accepts the combination."""
        return self._abs_decide("accepted")

    def action_reject(self):
        """Record that a reviewer rejects the combination (the memberships are
        left for a manager to suspend or revoke: that is a separate decision)."""
        return self._abs_decide("rejected")

    def action_reset_to_review(self):
        self._abs_check_reviewer()
        self.write({"state": "to_review", "reviewer_id": False, "reviewed_on": False})
        return True

    def _abs_check_reviewer(self):
        # Deciding is a Governance Manager's call; the ACL says so too, but the
        # buttons say it first, in words.
        if not self.env.su and not self.env.user.has_group("abs_connector.group_abs_governance_manager"):
            raise AccessError(_("Only Governance Managers review cross-company memberships."))
        self.check_access("write")

    def _abs_decide(self, state, note=None):
        self._abs_check_reviewer()
        if any(review.state != "to_review" for review in self):
            raise UserError(_("Only a review still to do can be decided; reset it first."))
        vals = {"state": state, "reviewer_id": self.env.user.id, "reviewed_on": fields.Datetime.now()}
        if note:
            vals["review_note"] = note
        self.write(vals)
        return True
