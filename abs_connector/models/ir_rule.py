from odoo import _, models
from odoo.exceptions import AccessError


class IrRule(models.Model):
    _inherit = "ir.rule"

    def _make_access_error(self, operation, records):
        """A seat member refused a governed record learns neither its name nor its id.

        In debug mode Odoo's message lists the refused records by name and id; the records a
        member's Service Accounts hide must answer like missing ones (docs/security.md,
        "Seat users on Odoo's own screens"), so that message is replaced by the short one.
        """
        error = super()._make_access_error(operation, records)
        if "abs_seat_visible" not in records._fields or self.env.user._abs_seat_contexts() is None:
            return error
        description = self.env["ir.model"]._get(records._name).name or records._name
        return AccessError(
            _(
                "You are not allowed to %(operation)s this %(document)s (%(model)s): it is not one "
                "your Service Account memberships show you.",
                operation=operation,
                document=description,
                model=records._name,
            )
        )
