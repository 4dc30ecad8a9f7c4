"""Which fields a write really changes: what lifecycle events report as ``changed``.

Saving a form sends every field it shows; an event must name only the ones whose
value is new.
"""

from odoo import fields


def changed_fields(records, vals, candidates):
    """``{record: [field names]}``: the ``candidates`` in ``vals`` that change each record."""
    fnames = [fname for fname in candidates if fname in vals]
    changed = {}
    for record in records:
        differs = [fname for fname in fnames if _differs(record, fname, vals[fname])]
        if differs:
            changed[record] = differs
    return changed


def _differs(record, fname, value):
    current = record[fname]
    field_type = record._fields[fname].type
    if field_type == "many2one":
        return current.id != (value or False)
    if field_type == "datetime":
        return current != (fields.Datetime.to_datetime(value) if value else False)
    return (current or False) != (value or False)
