from odoo import models


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    """Odoo's Merge Contacts, made to keep governed customers' assignment history."""

    _inherit = "base.partner.merge.automatic.wizard"

    def _update_foreign_keys(self, src_partners, dst_partner):
        # Before Odoo re-points every foreign key in SQL: its fallback for a unique
        # violation deletes the source rows, which for assignments is history.
        self.env["ov.sa_customer_assignment"]._abs_prepare_partner_merge(src_partners, dst_partner)
        return super()._update_foreign_keys(src_partners, dst_partner)
