from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression

from ..elevation import elevate


class AbsSeatVisibleMixin(models.AbstractModel):
    """A model that the seat-member record rules limit (security/<model>_security.xml): an
    internal user who is a member of Service Accounts sees on Odoo's own screens what their
    memberships show them through the API (docs/operations/back-office.md, "Seat users").

    The rules test ``abs_seat_visible``, whose search method asks the model's
    ``_abs_seat_domain`` for the signed-in user on every search.
    """

    _name = "abs.seat.visible.mixin"
    _description = "Record limited by the seat-member rules"

    # Searched, never stored, so that it is evaluated for the signed-in user on every search. A
    # value read (an access check) is cached per user for the transaction, dropped when what it
    # depends on changes: the record's own fields (each model's compute says which), the signed-in
    # user's memberships and accounts (res.users._abs_forget_seat_answers).
    abs_seat_visible = fields.Boolean(
        string="Visible Under Governance",
        compute="_compute_abs_seat_visible",
        # cached per user, not per user and superuser mode: Odoo's access check reads it elevated
        compute_sudo=True,
        search="_search_abs_seat_visible",
        help="Whether the signed-in user's Service Account memberships let them see this record.",
    )

    # The many2one a record is seen through, for a model whose records belong to a governed
    # document (an order line, a journal item, a report's row) or name a partner (a bank account,
    # a follower): seen when its document or partner is, or when it has none. None: the model
    # writes its own _abs_seat_domain and states what its answer depends on.
    _abs_seat_document_field = None

    # through the document's own field, whatever that one depends on (Odoo follows computed
    # dependencies transitively)
    @api.depends(
        lambda model: (f"{model._abs_seat_document_field}.abs_seat_visible",)
        if model._abs_seat_document_field
        else ()
    )
    @api.depends_context("uid")
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
        """The records of this model a seat member with the access ``contexts`` of their live
        memberships sees (none: they see none of the records the rule concerns).

        Through ``_abs_seat_document_field``: the records of the documents they see, and those
        of no document. One sub-select on the document's table, without its other rules (this
        answers for the seat rule only) and with its archived rows (a lost lead's activities are
        its own)."""
        field_name = self._abs_seat_document_field
        if not field_name:
            raise NotImplementedError
        documents = self.env[self._fields[field_name].comodel_name]
        seen = documents._where_calc(documents._abs_seat_domain(contexts), active_test=False)
        return ["|", (field_name, "=", False), (field_name, "in", seen)]
