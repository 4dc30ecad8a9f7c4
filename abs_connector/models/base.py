from odoo import Command, models
from odoo.exceptions import MissingError
from odoo.tools.translate import get_translation


class Base(models.AbstractModel):
    _inherit = "base"

    def onchange(self, values, field_names, fields_spec):
        # Odoo computes a form's stored fields as superuser: an onchange that sets a partner
        # copies that partner's e-mail, phone and address into its answer (a lead does), whether
        # or not the caller may read the partner. A seat member may set only partners they see;
        # any other answers as a partner that does not exist (docs/security.md, "Seat users").
        if self.env.user._abs_seat_contexts() is not None:
            self._abs_check_onchange_partners(values)
        return super().onchange(values, field_names, fields_spec)

    def _abs_hidden_from_seat_member(self):
        """The records of ``self`` the signed-in user may not read when the seat-member rules
        limit them, even where ``self`` is elevated, judged by the saved record each one is (a
        form's copy in an onchange is its record's; a record that does not exist is not one of
        them); none for other users, whose access is Odoo's own."""
        if self.env.user._abs_seat_contexts() is None:
            return self.browse()
        hidden = self._origin.exists()._abs_unreadable_by_caller()
        return self.filtered(lambda record: record._origin in hidden)

    def _abs_unreadable_by_caller(self):
        """The records of ``self`` (saved ones that exist) the signed-in user may not read, even
        where ``self`` is elevated."""
        return self - self.with_user(self.env.uid)._filtered_access("read")

    def _abs_check_seen_by_seat_member(self):
        """For a seat member, that every record of ``self`` exists and is one they may read.

        :raise MissingError: one does not exist or is hidden from them, both in the words Odoo uses
            for a missing record. Nothing for other users, whose access is Odoo's own.
        """
        if self.env.user._abs_seat_contexts() is None:
            return
        existing = self.exists()
        unseen = (self - existing) | existing._abs_unreadable_by_caller()
        if unseen:
            raise _missing_error(self.env, unseen[:1])

    def _abs_check_onchange_partners(self, values):
        """:raise MissingError: the onchange would set a partner the caller may not read."""
        self.env["res.partner"].browse(
            self._abs_onchange_partner_ids(values)
        )._abs_check_seen_by_seat_member()

    def _abs_onchange_partner_ids(self, values):
        """The partners an onchange of ``values`` puts in the record's partner fields, except those
        it already holds."""
        given = self._abs_onchange_partner_values(values)
        held = {name: set(self[name].ids) if self else set() for name in given}
        return sorted(set().union(*(_named_ids(value) - held[name] for name, value in given.items())))

    def _abs_onchange_partner_values(self, values):
        """The values of the record's partner fields an onchange of ``values`` starts from: those
        given and, for a new record, the defaults of the others (the context's
        ``default_<field>`` keys, saved defaults), which its computed fields may read."""
        names = [name for name, field in self._fields.items() if _is_partner_field(field)]
        given = {name: values[name] for name in names if name in values}
        missing = [name for name in names if name not in given]
        if missing and not self:
            given.update(self.default_get(missing))
        return given


def _missing_error(env, record):
    """The error Odoo raises when ``record`` does not exist (odoo/fields.py), in Odoo's own words
    and their translation, not this addon's: a hidden partner answers exactly as a missing one."""
    lang = env.lang or "en_US"
    message = get_translation("base", lang, "Record does not exist or has been deleted.", ())
    detail = get_translation(
        "base", lang, "(Record: %(record)s, User: %(user)s)", {"record": record, "user": env.uid}
    )
    return MissingError(f"{message}\n{detail}")


def _is_partner_field(field):
    return field.type in ("many2one", "many2many") and field.comodel_name == "res.partner"


def _named_ids(value):
    """The record ids a many2one or many2many value of an onchange names: an id, ``{"id": ...}``,
    a list of ids or of commands (link and set)."""
    if isinstance(value, dict):
        return _named_ids(value.get("id"))
    if isinstance(value, list | tuple):
        return set().union(*(_command_ids(item) for item in value))
    return {value} if isinstance(value, int) and not isinstance(value, bool) else set()


def _command_ids(item):
    """The ids one element of a many2many value names: an id, a link or a set command."""
    if not isinstance(item, list | tuple):
        return _named_ids(item)
    if len(item) > 1 and item[0] == Command.LINK:
        return _named_ids(item[1])
    if len(item) > 2 and item[0] == Command.SET:
        return _named_ids(list(item[2]))
    return set()
