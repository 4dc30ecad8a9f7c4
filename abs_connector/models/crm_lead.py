from odoo import models


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "abs.governed.mixin"]

    _abs_stamp_partner_field = "partner_id"
