from lxml import etree

from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from ..elevation import elevate
from ..governance import api_schemas, visibility

# The views whose pager shows a count, which a seat member's screens bound (see web_search_read).
_COUNTED_VIEW_TYPES = ("list", "kanban")


class AbsGovernedMixin(models.AbstractModel):
    """V2 governance stamps shared by every governed model (docs/customer-lifecycle.md).

    ``x_sa_id`` says which Service Account a record belongs to and
    ``x_actor_id`` which person acts for it. They are the compatibility layer
    that sale orders, leads and invoices are scoped by until their V3
    assignment tables exist; customers carry them too, next to the canonical
    ``ov.sa_customer_assignment`` rows.
    """

    _name = "abs.governed.mixin"
    _inherit = ["abs.seat.visible.mixin"]
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
        copy=False,
        help="The Service Account this record belongs to (V2 stamp).",
    )
    x_actor_id = fields.Many2one(
        "res.partner",
        string="Acting Person",
        index=True,
        ondelete="set null",
        copy=False,
        help="The person acting for this record in its Service Account (V2 stamp). "
        "Cleared when that person's membership is revoked.",
    )

    @api.depends("x_sa_id", "x_actor_id")
    @api.depends_context("uid")
    def _compute_abs_seat_visible(self):
        return super()._compute_abs_seat_visible()

    @api.model
    def search_fetch(self, domain, field_names, offset=0, limit=None, order=None):
        records = super().search_fetch(domain, field_names, offset=offset, limit=limit, order=order)
        records._abs_note_seen_by_seat_member()
        return records

    def _abs_note_seen_by_seat_member(self):
        """These records were just found by a search under the seat-member rule: note that the
        signed-in member sees them, so that Odoo's access check of a page's rows (read right
        after its search) does not ask the assignment rows again what the search just asked
        them. Only for a seat member's own search, and only while that rule applies as one of
        the conditions every record must meet; the note goes whenever what it depends on changes
        (see the field's comment)."""
        if not self or self.env.su or self.env.user._abs_seat_contexts() is None:
            return
        if not visibility.requires_seat_rule(self.env["ir.rule"]._compute_domain(self._name, "read")):
            return
        self.env.cache.update(self, self._fields["abs_seat_visible"], [True] * len(self))

    @api.model
    def _abs_seat_domain(self, contexts):
        """The records of this model a seat member with ``contexts`` sees: the ungoverned ones
        (no Service Account) and those their memberships show through the API."""
        return [
            "|",
            ("x_sa_id", "=", False),
            *visibility.seat_stamp_domain(contexts, self._abs_seat_capability),
        ]

    @api.model
    def get_view(self, view_id=None, view_type="form", **options):
        # Odoo's lists count up to 10,000 rows; under a seat member's rule each of them is a test
        # of their memberships, so their lists count only as far as the API's lists do and show
        # the bound with a "+" beyond (docs/operations/back-office.md, "Seat users"). Set after
        # Odoo's view cache, which every user shares.
        result = super().get_view(view_id, view_type, **options)
        if view_type in _COUNTED_VIEW_TYPES and self._abs_count_is_bounded():
            arch = etree.fromstring(result["arch"])  # noqa: S320 (Odoo's own view, just rendered)
            own_limit = int(arch.get("count_limit") or api_schemas.LIST_COUNT_LIMIT)
            arch.set("count_limit", str(min(own_limit, api_schemas.LIST_COUNT_LIMIT)))
            result["arch"] = etree.tostring(arch, encoding="unicode")
        return result

    @api.model
    def web_search_read(self, domain, specification, offset=0, limit=None, order=None, count_limit=None):
        # The same bound when a client asks a seat member's list for a longer count than its view
        # says: the count stops one row past the bound, which the web client shows as "bound+".
        # No count_limit is the web client's exact count, asked for by a click on the pager.
        if count_limit and self._abs_count_is_bounded():
            count_limit = min(count_limit, api_schemas.LIST_COUNT_LIMIT + 1)
        return super().web_search_read(
            domain, specification, offset=offset, limit=limit, order=order, count_limit=count_limit
        )

    @api.model
    def _abs_count_is_bounded(self):
        """Whether the signed-in user's lists count only up to the API's bound: the users the
        seat-member record rules limit, as those rules decide it."""
        return self.env.user._abs_seat_contexts() is not None

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._abs_check_stamps_not_set(vals)
        creating = self
        if not self._abs_may_set_governance():
            # Odoo fills missing fields from the context's default_<field> keys (which an RPC
            # caller chooses) and from saved defaults: never a stamp for this caller
            creating = self.with_context(**{f"default_{name}": False for name in self._abs_stamp_fields()})
        if self._abs_stamp_partner_field:
            self._abs_inherit_partner_stamps(vals_list)
        return super(AbsGovernedMixin, creating).create(vals_list)

    def write(self, vals):
        self._abs_check_stamps_not_set(vals)
        result = super().write(vals)
        if self._abs_stamp_partner_field in vals and not set(vals) & set(self._abs_stamp_fields()):
            # another partner: the record follows that partner's stamps, as at its creation,
            # whoever changes it (Odoo's own checkout writes the partner as superuser)
            self._abs_restamp_from_partner()
        return result

    @api.model
    def _abs_may_set_governance(self):
        """Whether this call may set governance stamps: a system caller (superuser code, the API
        proxy, Governance Managers). Anyone else gets them from the record's partner, through
        the lifecycle."""
        return self.env["ov.membership"]._abs_is_system_caller()

    @api.model
    def _abs_stamp_fields(self):
        return ("x_sa_id", "x_actor_id")

    @api.model
    def _abs_check_stamps_not_set(self, vals):
        """:raise AccessError: ``vals`` sets a stamp, and this call may not (a seat member would
        make a customer's records visible to everyone, a salesperson move them between agents)."""
        stamps = sorted(set(vals) & set(self._abs_stamp_fields()))
        if stamps and not self._abs_may_set_governance():
            raise AccessError(
                _(
                    "%(fields)s change only through governance (assign, reassign, archive), or by a "
                    "Governance Manager. Nothing was changed.",
                    fields=", ".join(self._fields[name].string for name in stamps),
                )
            )

    def _abs_restamp_from_partner(self):
        field_name = self._abs_stamp_partner_field
        restamping = elevate(self, "a record follows its partner's stamps whoever changes the partner")
        for record in restamping:
            stamp = _stamp_of(record[field_name]) or (False, False)
            if (record.x_sa_id.id, record.x_actor_id.id) != stamp:
                record.write({"x_sa_id": stamp[0], "x_actor_id": stamp[1] or False})

    @api.model
    def _abs_inherit_partner_stamps(self, vals_list):
        """Fill missing stamps from the record's partner (or the customer it is a contact or an
        address of), so a customer's order stays visible in the customer's SA without every
        caller stamping it."""
        field_name = self._abs_stamp_partner_field
        partner_ids = {
            vals[field_name] for vals in vals_list if vals.get(field_name) and "x_sa_id" not in vals
        }
        if not partner_ids:
            return
        partners = self.env["res.partner"].browse(partner_ids).exists()
        partners = elevate(partners, "a record inherits its partner's stamps whoever writes it")
        stamps = {partner.id: _stamp_of(partner) for partner in partners}
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


def _stamp_of(partner):
    """``(x_sa_id, x_actor_id)`` a record of ``partner`` (elevated) carries: the partner's own
    stamps or, for a contact or an address of a governed customer (they carry none of their own,
    and the seat rules show them with their customer), its customer's; None when neither has any.
    """
    owner = partner if partner.x_sa_id else partner.commercial_partner_id
    return (owner.x_sa_id.id, owner.x_actor_id.id) if owner.x_sa_id else None
