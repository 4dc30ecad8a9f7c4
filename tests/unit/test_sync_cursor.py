"""Delta-sync cursors: signed, opaque, bound to a caller; the reset rules."""

import base64
import json

import pytest

from governance import sync
from governance.visibility import AccessContext

SECRET = "unit-test-secret-0123456789-abcdefghij"


def cursor(**changes):
    values = {"person_id": 7, "sa_id": 42, "fingerprint": "f" * 32, "mode": sync.MODE_DELTA, "horizon": 900}
    values.update(changes)
    return sync.Cursor(**values)


def access(**changes):
    values = {
        "person_id": 7,
        "sa_id": 42,
        "sa_parent_path": "1/3/42/",
        "membership_id": 5,
        "membership_sa_id": 42,
        "role_code": "agent",
        "policy": "assigned_plus_unassigned",
    }
    values.update(changes)
    return AccessContext(**values)


def test_a_cursor_round_trips():
    original = cursor(mode=sync.MODE_SNAPSHOT, horizon=0, after_id=31, next_horizon=950)
    assert sync.decode(sync.encode(original, SECRET), SECRET) == original


def test_an_edited_payload_is_refused():
    text = sync.encode(cursor(), SECRET)
    body, mac = text.split(".")
    values = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    values[5] = 0
    forged = base64.urlsafe_b64encode(json.dumps(values).encode()).rstrip(b"=").decode()
    with pytest.raises(sync.InvalidCursor, match="signature"):
        sync.decode(f"{forged}.{mac}", SECRET)


def test_a_cursor_signed_with_another_secret_is_refused():
    with pytest.raises(sync.InvalidCursor):
        sync.decode(sync.encode(cursor(), "another-secret-0123456789-abcdefghij"), SECRET)


@pytest.mark.parametrize("text", ["", "garbage", "a.b", "a.b.c", "é.é", "x" * 2000, None, 12])
def test_garbage_is_refused(text):
    with pytest.raises(sync.InvalidCursor):
        sync.decode(text, SECRET)


def test_the_fingerprint_follows_what_decides_visibility():
    base = sync.access_fingerprint(access())
    assert sync.access_fingerprint(access()) == base
    assert sync.access_fingerprint(access(policy="assigned_only")) != base
    assert sync.access_fingerprint(access(role_code="staff", policy="sa_wide")) != base
    assert sync.access_fingerprint(access(membership_id=6)) != base
    assert sync.access_fingerprint(access(hierarchy_scope="this_node_and_descendants")) != base


def test_reset_reasons():
    fingerprint = "f" * 32
    assert sync.reset_reason(cursor(), fingerprint, 0, False) is None
    assert sync.reset_reason(cursor(), "e" * 32, 0, False) == sync.RESET_MEMBERSHIP_CHANGED
    assert sync.reset_reason(cursor(horizon=10), fingerprint, 11, False) == sync.RESET_EXPIRED
    assert sync.reset_reason(cursor(horizon=11), fingerprint, 11, False) is None
    snapshot = cursor(mode=sync.MODE_SNAPSHOT, horizon=0, after_id=3, next_horizon=10)
    assert sync.reset_reason(snapshot, fingerprint, 11, False) == sync.RESET_EXPIRED
    assert sync.reset_reason(cursor(), fingerprint, 0, True) == sync.RESET_HIERARCHY_CHANGED
