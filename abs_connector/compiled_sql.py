"""SQL the ORM builds once per shape and the hot path reuses across requests, every row still
read live.

A contact page compiles the same domains on every request: the visibility domain, Odoo's record
rules (the multi-company rule reads the companies' paths), the assignment row's query. For one
caller's shape (role, policy, scope, SA, the proxy user's groups and companies) the statement is
always the same text; only the caller's and the record's ids change. So the statement is built
once with *slots* in their place -- integers beyond PostgreSQL's ``integer``, never an id -- and
each request binds its own ids into a copy of the parameters and runs it.

What may be cached and what invalidates it: docs/adr/0014-compiled-sql-reused-rows-read-live.md.
"""

from datetime import datetime, timedelta

from odoo import fields

# Ids are PostgreSQL integers (at most 2**31 - 1): a slot can never be mistaken for one.
_SLOT_BASE = 1 << 40
# Nor can a moment of the year 1000 be mistaken for one of the data's.
_TIME_SLOT_BASE = datetime(1000, 1, 1)


def slot(number):
    """The placeholder of the ``number``-th value bound by :meth:`CompiledQuery.run` (from 0),
    an id."""
    return _SLOT_BASE + number


def time_slot(number):
    """The placeholder of the ``number``-th value bound by :meth:`CompiledQuery.run`, a moment
    (a naive UTC ``datetime``, as Odoo's)."""
    return _TIME_SLOT_BASE + timedelta(seconds=number)


class CompiledQuery:
    """A statement's text, its parameters with slots, and the fields to flush before it runs."""

    __slots__ = ("code", "params", "to_flush")

    def __init__(self, query):
        """:param query: an :class:`~odoo.tools.SQL` built with :func:`slot` values in place of
        the values :meth:`run` binds."""
        self.code = query.code
        self.params = tuple(query.params)
        fields_by_model = {}
        for field in query.to_flush:
            fields_by_model.setdefault(field.model_name, set()).add(field.name)
        self.to_flush = tuple((model, tuple(sorted(names))) for model, names in fields_by_model.items())

    def bind(self, values):
        """The parameters with each slot replaced by its value, in lists and tuples too, in the
        form the ORM put it in the statement (an id as an integer or as text, a moment as a
        ``datetime`` or as Odoo's text)."""
        forms = {}
        for number, value in enumerate(values):
            if isinstance(value, datetime):
                placeholder = time_slot(number)
                forms[placeholder] = value
                forms[fields.Datetime.to_string(placeholder)] = fields.Datetime.to_string(value)
            else:
                forms[slot(number)] = value
                forms[str(slot(number))] = str(value)
        return tuple(_bind(param, forms) for param in self.params)

    def run(self, env, values):
        """Flush what the statement reads, run it with ``values`` bound, return its rows.

        The text is run as it is: rebuilding an :class:`~odoo.tools.SQL` from it would read its
        escaped ``%%`` again.
        """
        for model, names in self.to_flush:
            env[model].flush_model(names)
        env.cr.execute(self.code, self.bind(values))
        return env.cr.fetchall()


def _bind(param, forms):
    if isinstance(param, tuple | list):
        return type(param)(_bind(item, forms) for item in param)
    if isinstance(param, bool) or not isinstance(param, int | str | datetime):
        return param
    return forms.get(param, param)
