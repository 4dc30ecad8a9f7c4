from odoo import models


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "abs.governed.mixin"]

    _abs_stamp_partner_field = "partner_id"

    def _compute_potential_lead_duplicates(self):
        # Odoo finds similar leads as superuser, in every company, for the lead to be escalated:
        # a seat member is shown and counted only those they may read
        result = super()._compute_potential_lead_duplicates()
        hidden = self.duplicate_lead_ids._abs_hidden_from_seat_member()
        for lead in self.filtered(lambda lead: lead.duplicate_lead_ids & hidden):
            lead.duplicate_lead_ids -= hidden
            lead.duplicate_lead_count = len(lead.duplicate_lead_ids - lead)
        return result
