from odoo import api, models


class PaymentLinkWizard(models.TransientModel):
    _inherit = "payment.link.wizard"

    @api.constrains("res_model", "res_id")
    def _check_abs_document_seen(self):
        """A seat member makes payment links only for documents they see.

        Odoo reads the document the link is for as superuser (a quotation's prepayment still due),
        whatever id the caller writes into the wizard; one the member may not read answers as one
        that does not exist (docs/security.md, "Seat users").

        :raise MissingError: the document does not exist or is hidden from the caller.
        """
        for wizard in self:
            if wizard.res_model in self.env and wizard.res_id:
                self.env[wizard.res_model].browse(wizard.res_id)._abs_check_seen_by_seat_member()
