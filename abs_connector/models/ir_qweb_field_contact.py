from odoo import api, models


class IrQwebFieldContact(models.AbstractModel):
    _inherit = "ir.qweb.field.contact"

    @api.model
    def value_to_html(self, value, options):
        # Odoo prints a contact's address, phones, e-mail and tax id as superuser (a quotation's
        # invoice and delivery addresses): for a seat member, a partner they may not read is
        # printed by its name alone, as a many2one always shows it (docs/security.md, "Seat users")
        if value and value._abs_hidden_from_seat_member():
            options = {**options, "fields": ["name"]}
        return super().value_to_html(value, options)
