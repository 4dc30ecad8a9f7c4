from odoo import SUPERUSER_ID, Command, models
from odoo.exceptions import MissingError
from odoo.http import request
from odoo.tools.translate import get_translation

from ..elevation import elevate

# The field the seat-member record rules test: a model that has it is one they limit.
SEAT_RULE_FIELD = "abs_seat_visible"


class Base(models.AbstractModel):
    _inherit = "base"

    # The many2one and many2many fields a caller fills that must point to records the caller may
    # read, whoever the caller is (the addon's wizards). Over RPC the caller writes any id, and
    # Odoo names a many2one as superuser: a membership, an account or a customer of another
    # company would be named by the wizard's own answer.
    _abs_seen_references = ()

    def onchange(self, values, field_names, fields_spec):
        # Odoo computes a form's stored fields as superuser: an onchange that sets a partner
        # copies that partner's e-mail, phone and address into its answer (a lead does), and
        # names any record it sets, whether or not the caller may read it. A seat member may
        # set only governed records they see; any other answers as one that does not exist
        # (docs/security.md, "Seat users").
        if self._abs_seen_references or self.env.user._abs_seat_contexts() is not None:
            self._abs_check_references_set(self._abs_onchange_reference_values(values), held_by=self)
            self._abs_check_onchange_lines(values)
        return super().onchange(values, field_names, fields_spec)

    def write(self, vals):
        # Odoo answers a many2one's name as superuser, and reports, related fields and computed
        # fields read what it points to the same way: a seat member may make a record point only
        # to governed records they see (docs/security.md, "Seat users").
        if not self.env.su:
            self._abs_check_references_set(vals, held_by=self)
        return super().write(vals)

    def _add_missing_default_values(self, values):
        # create()'s values with their defaults (the context's default_<field> keys, saved
        # defaults), before anything is computed from them: checked as write() checks its values
        values = super()._add_missing_default_values(values)
        if not self.env.su:
            self._abs_check_references_set(values)
        return values

    def _abs_check_references_set(self, vals, held_by=None):
        """That ``vals`` makes records point only to records the caller may read, besides those
        every record of ``held_by`` already points to: in the fields of ``_abs_seen_references``
        for every caller, and in every reference to governed records (those the seat-member
        rules limit) for a seat member.

        :raise MissingError: one does not exist or is hidden from them, in the words Odoo uses for
            a missing record.
        """
        names = self._abs_references_to_check(vals)
        if not names:  # most writes: no environment built for the holders
            return
        holders = _elevated(held_by)
        for name in names:
            referenced = _named_ids(vals[name]) - _held_ids(holders, name)
            self.env[self._fields[name].comodel_name].browse(sorted(referenced))._abs_check_seen_by_caller()

    def _abs_references_to_check(self, vals):
        """The fields of ``vals`` whose records the caller must be able to read."""
        names = [name for name in vals if self._abs_checks_reference(name)]
        if names and self.env.user._abs_seat_contexts() is None:
            return [name for name in names if name in self._abs_seen_references]
        return names

    def _abs_checks_reference(self, name):
        """Whether the caller must be able to read what field ``name`` is set to: one of
        ``_abs_seen_references`` or, for a seat member, a reference to governed records."""
        return name in self._abs_seen_references or _is_seat_limited_reference(self, self._fields.get(name))

    def _abs_hidden_from_seat_member(self):
        """The records of ``self`` the user they are shown to (``_abs_viewer``) may not read when
        the seat-member rules limit them, even where ``self`` is elevated, judged by the saved
        record each one is (a form's copy in an onchange is its record's; a record that does not
        exist is not one of them); none for other users, whose access is Odoo's own."""
        viewer = self._abs_viewer()
        if viewer._abs_seat_contexts() is None:
            return self.browse()
        hidden = self._origin.exists()._abs_unreadable_by(viewer)
        return self.filtered(lambda record: record._origin in hidden)

    def _abs_viewer(self):
        """Who ``self`` is shown to: the signed-in user or, where Odoo renders a page as the
        superuser after its own access check (the portal's document pages), the user of the
        request."""
        if self.env.uid == SUPERUSER_ID and request:
            return request.env.user
        return self.env.user

    def _abs_unreadable_by(self, user):
        """The records of ``self`` (saved ones that exist) ``user`` may not read."""
        return self - self.with_user(user)._filtered_access("read")

    def _abs_check_seen_by_seat_member(self):
        """For a seat member, that every record of ``self`` exists and is one they may read.

        :raise MissingError: one does not exist or is hidden from them, both in the words Odoo uses
            for a missing record. Nothing for other users, whose access is Odoo's own.
        """
        if self.env.user._abs_seat_contexts() is not None:
            self._abs_check_seen_by_caller()

    def _abs_check_seen_by_caller(self):
        """That every record of ``self`` exists and is one the signed-in user may read, even where
        ``self`` is elevated.

        :raise MissingError: one does not exist or is hidden from them, both in the words Odoo uses
            for a missing record.
        """
        existing = self.exists()
        unseen = (self - existing) | existing._abs_unreadable_by(self.env.user)
        if unseen:
            raise _missing_error(self.env, unseen[:1])

    def _abs_check_onchange_lines(self, values):
        """The references the lines of an onchange's one2many and many2many values set (a new
        meeting attendee, an order line), checked as the record's own: Odoo answers those lines'
        fields too, computed as superuser (an attendee's e-mail and phone).

        :raise MissingError: a line points to a record the caller may not read.
        """
        for name, value in values.items():
            field = self._fields.get(name)
            if field is None or field.type not in ("one2many", "many2many") or not isinstance(value, list):
                continue
            lines = self.env[field.comodel_name]
            for line_id, line_values in _line_commands(value):
                held = lines.browse(line_id) if isinstance(line_id, int) else None
                lines._abs_check_references_set(line_values, held_by=held)
                lines._abs_check_onchange_lines(line_values)

    def _abs_onchange_reference_values(self, values):
        """The values an onchange of ``values`` starts from in the references the caller must be
        able to read (``_abs_checks_reference``): those given and, for a new record, the
        defaults of the others (the context's ``default_<field>`` keys, saved defaults), which
        its computed fields may read."""
        names = [name for name in self._fields if self._abs_checks_reference(name)]
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


def _is_seat_limited_reference(model, field):
    """Whether ``field`` (of ``model``, None: not one of its fields) points to records the
    seat-member rules limit."""
    return (
        field is not None
        and field.type in ("many2one", "many2many")
        and SEAT_RULE_FIELD in model.pool[field.comodel_name]._fields
    )


def _elevated(records):
    """``records`` elevated, archived ones read too, to read only the ids they point to; None
    when there are none."""
    if not records:
        return None
    return elevate(records, "only the ids the records already hold, to leave them out").with_context(
        active_test=False
    )


def _held_ids(holders, name):
    """The ids every record of ``holders`` (None: none) points to in field ``name``."""
    if not holders:
        return set()
    return set.intersection(*(set(record[name].ids) for record in holders))


def _line_commands(value):
    """``(line id, values)`` of the create and update commands of an x2many value (a new line's
    id is a string: it has no saved record)."""
    return [
        (command[1], command[2])
        for command in value
        if isinstance(command, list | tuple)
        and len(command) == 3
        and command[0] in (Command.CREATE, Command.UPDATE)
        and isinstance(command[2], dict)
    ]


def _named_ids(value):
    """The record ids a many2one or many2many value of an onchange names: an id, ``{"id": ...}``,
    a list of ids or of commands (link and set)."""
    if isinstance(value, dict):
        return _named_ids(value.get("id"))
    if isinstance(value, list | tuple):
        return set().union(*(_command_ids(item) for item in value))
    return {value} if isinstance(value, int) and not isinstance(value, bool) and value > 0 else set()


def _command_ids(item):
    """The ids one element of a many2many value names: an id, a link or a set command."""
    if not isinstance(item, list | tuple):
        return _named_ids(item)
    if len(item) > 1 and item[0] == Command.LINK:
        return _named_ids(item[1])
    if len(item) > 2 and item[0] == Command.SET:
        return _named_ids(list(item[2]))
    return set()
