from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    abs_portal_on_create = fields.Boolean(related="company_id.abs_portal_on_create", readonly=False)
    abs_portal_on_first_order = fields.Boolean(related="company_id.abs_portal_on_first_order", readonly=False)
    abs_portal_first_order_all_contacts = fields.Boolean(
        related="company_id.abs_portal_first_order_all_contacts", readonly=False
    )
