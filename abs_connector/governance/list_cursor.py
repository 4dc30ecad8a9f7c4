"""Keyset cursors of the API's lists (``next_cursor`` / ``cursor``), without Odoo.

A list page ends with the position of its last row in the list's order: the sort value and the id
(the tie-breaker). The next page starts strictly after that position, so its cost does not depend
on how deep it is, and rows inserted or archived meanwhile neither repeat nor skip the rows that
existed throughout. The cursor is opaque and signed (:mod:`.signing`): a client cannot edit it to
read from a position the server never handed out, nor send one list's cursor to another list.
See docs/agent/start-here.md, Step 4.
"""

import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime

from . import signing

VERSION = 1
_KEY_LABEL = b"abs_connector list cursor v1"
MAX_CURSOR_LENGTH = 1024


class InvalidCursor(ValueError):
    """Not a cursor this server issued for this list and order."""


@dataclass(frozen=True)
class Position:
    """Where a page ended: the list, its order (``"id asc"``, ``"name desc"`` ...), the last row's
    sort value (None when the order is the id alone, or the value is empty) and its id."""

    list_name: str
    order: str
    value: str | int | float | None
    last_id: int


def _jsonable(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or (isinstance(value, str | int | float) and not isinstance(value, bool)):
        return value
    raise TypeError(f"a list cannot be ordered by a {type(value).__name__} value")


def encode(position, secret):
    """The opaque text of ``position``, signed with ``secret``."""
    payload = [VERSION, position.list_name, position.order, _jsonable(position.value), position.last_id]
    return signing.sign(json.dumps(payload, separators=(",", ":")).encode(), secret, _KEY_LABEL)


def decode(text, secret, list_name, order):
    """The :class:`Position` a cursor of ``list_name`` in ``order`` names.

    :raise InvalidCursor: forged, edited or truncated, or issued for another list or order.
    """
    try:
        body = signing.signed_body(text, secret, _KEY_LABEL, MAX_CURSOR_LENGTH)
        values = json.loads(signing.unb64(body))
    except (signing.BadSignature, binascii.Error, ValueError) as exc:
        raise InvalidCursor("not a cursor of this server") from exc
    if not isinstance(values, list) or len(values) != 5 or values[0] != VERSION:
        raise InvalidCursor("unknown version")
    _version, cursor_list, cursor_order, value, last_id = values
    if cursor_list != list_name or cursor_order != order:
        raise InvalidCursor("issued for another list or order")
    if not isinstance(last_id, int) or isinstance(last_id, bool) or last_id < 1:
        raise InvalidCursor("bad id")
    return Position(list_name, order, value, last_id)
