"""Delta sync of a caller's visible customers: cursors and their rules, without Odoo.

A cursor is opaque to the client and signed by the server (HMAC-SHA256 with a key derived from
``abs_jwt_secret``), so a forged or edited cursor is refused, never trusted. It names:

* whose set it follows: the person, the SA, and a fingerprint of the membership that decides
  visibility (membership id, role, policy, hierarchy scope, the SA's place in the tree). When the
  fingerprint no longer matches, the change cannot be expressed as a delta: the answer is a reset.
* how far the client is: a *horizon*, the oldest transaction id of this database that was still
  running when the previous answer was read. Every change written by a transaction with a
  smaller id had committed (or aborted) by then, so it was read; every later one is read next
  time. Ordering by commit, not by a sequence value, is what makes a change committed late never
  skipped, whatever the number of Odoo nodes.
* where a pass stopped when it spans several pages (``after_id``), and the horizon the pass will
  end with (``next_horizon``).

Why removals carry a reason, and the reset reasons, are documented in docs/agent/offline-sync.md.
"""

import binascii
import hashlib
import json
from dataclasses import asdict, dataclass

from . import signing

VERSION = 1
_KEY_LABEL = b"abs_connector delta-sync cursor v1"
MAX_CURSOR_LENGTH = 1024

MODE_SNAPSHOT = "snapshot"
MODE_DELTA = "delta"
MODES = (MODE_SNAPSHOT, MODE_DELTA)

# Why an id left the caller's set (removals[].reason).
REMOVAL_DELETED = "deleted"  # the customer no longer exists
REMOVAL_ARCHIVED = "archived"  # archived, still in the SA
REMOVAL_REASSIGNED = "reassigned"  # still in the SA, now worked by someone the caller does not see
REMOVAL_LEFT_SA = "left_service_account"  # no longer has an active assignment in the caller's scope
REMOVAL_REASONS = (REMOVAL_DELETED, REMOVAL_ARCHIVED, REMOVAL_REASSIGNED, REMOVAL_LEFT_SA)

# Why a cursor cannot be continued (error.details.reason of a 410 cursor_reset).
RESET_EXPIRED = "expired"  # older than the retention: the changes it needs were compacted
RESET_MEMBERSHIP_CHANGED = "membership_changed"  # other membership, role, policy or scope
RESET_HIERARCHY_CHANGED = "hierarchy_changed"  # an SA moved inside the caller's subtree
RESET_REASONS = (RESET_EXPIRED, RESET_MEMBERSHIP_CHANGED, RESET_HIERARCHY_CHANGED)


class InvalidCursor(ValueError):
    """Not a cursor this server issued (forged, edited, truncated, or another caller's)."""


@dataclass(frozen=True)
class Cursor:
    person_id: int
    sa_id: int
    fingerprint: str
    mode: str
    horizon: int
    after_id: int = 0
    next_horizon: int | None = None

    def __post_init__(self):
        if self.mode not in MODES:
            raise InvalidCursor("unknown mode")
        for name in ("person_id", "sa_id", "horizon", "after_id"):
            if not _natural(getattr(self, name)):
                raise InvalidCursor(f"bad {name}")
        if self.next_horizon is not None and not (
            _natural(self.next_horizon) and self.next_horizon >= self.horizon
        ):
            raise InvalidCursor("bad next_horizon")
        if not isinstance(self.fingerprint, str) or len(self.fingerprint) > 64:
            raise InvalidCursor("bad fingerprint")


def _natural(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def access_fingerprint(ctx):
    """What, in an ``AccessContext``, decides the visible set: a change here means a reset."""
    scope_path = ctx.sa_parent_path if ctx.covers_descendants else ""
    material = "|".join(
        str(part)
        for part in (
            ctx.membership_id,
            ctx.membership_sa_id,
            ctx.role_code,
            ctx.policy,
            ctx.hierarchy_scope,
            scope_path,
        )
    )
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def encode(cursor, secret):
    """The opaque text of ``cursor``, signed with ``secret``."""
    payload = json.dumps([VERSION, *asdict(cursor).values()], separators=(",", ":")).encode()
    return signing.sign(payload, secret, _KEY_LABEL)


def _signed_body(text, secret):
    """The payload part of ``text`` once its signature is checked. :raise InvalidCursor: else."""
    try:
        return signing.signed_body(text, secret, _KEY_LABEL, MAX_CURSOR_LENGTH)
    except signing.BadSignature as exc:
        raise InvalidCursor(str(exc)) from exc


def decode(text, secret):
    """The :class:`Cursor` of a text :func:`encode` produced with the same secret.

    :raise InvalidCursor: anything else (bad signature first: an unsigned payload is never parsed).
    """
    body = _signed_body(text, secret)
    try:
        values = json.loads(signing.unb64(body))
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursor("malformed") from exc
    if not isinstance(values, list) or len(values) != 8 or values[0] != VERSION:
        raise InvalidCursor("unknown version")
    try:
        return Cursor(*values[1:])
    except TypeError as exc:
        raise InvalidCursor("malformed") from exc


def reset_reason(cursor, fingerprint, compacted_horizon, hierarchy_moved):
    """Why ``cursor`` cannot be continued, or None when it can.

    :param fingerprint: :func:`access_fingerprint` of the caller's access now.
    :param compacted_horizon: changes of transactions below this id were compacted away.
    :param hierarchy_moved: an SA of the caller's subtree moved since the cursor's horizon.
    """
    if cursor.fingerprint != fingerprint:
        return RESET_MEMBERSHIP_CHANGED
    if cursor.mode == MODE_DELTA and cursor.horizon < compacted_horizon:
        return RESET_EXPIRED
    if cursor.mode == MODE_SNAPSHOT and (cursor.next_horizon or 0) < compacted_horizon:
        return RESET_EXPIRED
    if hierarchy_moved:
        return RESET_HIERARCHY_CHANGED
    return None
