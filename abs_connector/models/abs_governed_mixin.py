from odoo import api, fields, models

from ..elevation import elevate


class AbsGovernedMixin(models.AbstractModel):
    """V2 governance stamps shared by every governed model (docs/customer-lifecycle.md).

    ``x_sa_id`` says which Service Account a record belongs to and
    ``x_actor_id`` which person acts for it. They are the compatibility layer
    that sale orders, leads and invoices are scoped by until their V3
    assignment tables exist; customers carry them too, next to the canonical
    ``ov.sa_customer_assignment`` rows.
    """

    _name = "abs.governed.mixin"
    _description = "Governed record (SA and actor stamps)"

    # Name of the many2one to res.partner whose stamps a new record inherits
    # when it is created without its own (an order follows its customer).
    _abs_stamp_partner_field = None

    x_sa_id = fields.Many2one(
        "ov.serviced_account",
        string="Service Account",
        index=True,
        ondelete="restrict",
        help="The Service Account this record belongs to (V2 stamp).",
    )
    x_actor_id = fields.Many2one(
        "res.partner",
        string="Acting Person",
        index=True,
        ondelete="set null",
        help="The person acting for this record in its Service Account (V2 stamp). "
        "Cleared when that person's membership is revoked.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        if self._abs_stamp_partner_field:
            self._abs_inherit_partner_stamps(vals_list)
        return super().create(vals_list)

    @api.model
    def _abs_inherit_partner_stamps(self, vals_list):
        """Fill missing stamps from the record's partner, so a customer's order
        stays visible in the customer's SA without every caller stamping it."""
        field_name = self._abs_stamp_partner_field
        partner_ids = {
            vals[field_name] for vals in vals_list if vals.get(field_name) and "x_sa_id" not in vals
        }
        if not partner_ids:
            return
        partners = self.env["res.partner"].browse(partner_ids).exists()
        partners = elevate(partners, "a record inherits its partner's stamps whoever writes it")
        stamps = {p.id: (p.x_sa_id.id, p.x_actor_id.id) for p in partners if p.x_sa_id}
        for vals in vals_list:
            if "x_sa_id" not in vals:
                self._abs_apply_stamp(vals, stamps.get(vals.get(field_name)))

    @api.model
    def _abs_apply_stamp(self, vals, stamp):
        """Stamp ``vals`` with a partner's ``(x_sa_id, x_actor_id)``, if it has one."""
        if stamp:
            vals["x_sa_id"] = stamp[0]
            vals.setdefault("x_actor_id", stamp[1] or False)

    def _abs_record_action(self, actor_partner, summary):
        """A chatter note authored by the real actor: the API proxy user executes the change,
        the person who asked for it is who the history shows."""
        for record in self:
            record.message_post(
                body=summary,
                author_id=actor_partner.id if actor_partner else None,
                subtype_xmlid="mail.mt_note",
            )
