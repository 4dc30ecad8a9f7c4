from odoo import _, models
from odoo.exceptions import AccessError


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    """Odoo's Merge Contacts, made to keep governed customers' assignment history."""

    _inherit = "base.partner.merge.automatic.wizard"

    def _update_foreign_keys(self, src_partners, dst_partner):
        self._abs_check_may_merge_governed(src_partners | dst_partner)
        # Before Odoo re-points every foreign key in SQL: its fallback for a unique
        # violation deletes the source rows, which for assignments is history.
        self.env["ov.sa_customer_assignment"]._abs_prepare_partner_merge(src_partners, dst_partner)
        return super()._update_foreign_keys(src_partners, dst_partner)

    def _abs_check_may_merge_governed(self, partners):
        """:raise AccessError: the merge concerns a governed customer (it moves the customer's
        accounts and agent onto the surviving contact, with no authority check of its own) and
        the user is no Governance Manager."""
        if self.env["res.partner"]._abs_may_set_governance():
            return
        governed = (
            self.env["ov.sa_customer_assignment"]
            ._abs_history_admin()
            .search_count([("partner_id", "in", partners.ids), ("state", "=", "active")], limit=1)
        )
        if governed:
            raise AccessError(
                _(
                    "Only a Governance Manager merges contacts when one of them is a Service "
                    "Account's customer."
                )
            )
