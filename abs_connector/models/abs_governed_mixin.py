from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression

from ..elevation import elevate
from ..governance import visibility


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
    # What reading this model requires of a member's role (see the pure core's role table).
    _abs_seat_capability = "read_orders"

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

    # The condition of the seat-member record rules (security/<model>_security.xml): searched,
    # never stored, so that it is evaluated for the signed-in user on every search.
    abs_seat_visible = fields.Boolean(
        string="Visible Under Governance",
        compute="_compute_abs_seat_visible",
        search="_search_abs_seat_visible",
        help="Whether the signed-in user's Service Account memberships let them see this record.",
    )

    def _compute_abs_seat_visible(self):
        ids = [record_id for record_id in self._origin.ids if record_id]
        # only this condition, not the other rules: the search method still answers for the caller
        records = elevate(self, "the user's other record rules are not what this field tells")
        visible = set(
            records.with_context(active_test=False)
            .search([("id", "in", ids), ("abs_seat_visible", "=", True)])
            .ids
        )
        for record in self:
            record.abs_seat_visible = record._origin.id in visible

    def _search_abs_seat_visible(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Search on 'Visible Under Governance' with = True or = False only."))
        # self may be elevated (record rules are applied as superuser): the user is still the caller
        contexts = self.env.user._abs_seat_contexts()
        domain = expression.TRUE_DOMAIN if contexts is None else self._abs_seat_domain(contexts)
        return domain if (operator == "=") == value else ["!", *expression.normalize_domain(domain)]

    @api.model
    def _abs_seat_domain(self, contexts):
        """The records of this model a seat member with ``contexts`` sees: the ungoverned ones
        (no Service Account) and those their memberships show through the API."""
        return [
            "|",
            ("x_sa_id", "=", False),
            *visibility.seat_stamp_domain(contexts, self._abs_seat_capability),
        ]

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
