"""List cursors: opaque, signed, valid only for the list and order that handed them out."""

from datetime import datetime

import pytest

from governance import list_cursor, signing, sync

SECRET = "unit-test-secret-0123456789-abcdefghij"


def position(**changes):
    values = {"list_name": "contacts", "order": "name asc", "value": "Afi", "last_id": 63}
    values.update(changes)
    return list_cursor.Position(**values)


@pytest.mark.parametrize("value", ["Afi", None, 92000.5, 7])
def test_a_cursor_round_trips(value):
    original = position(value=value)
    assert (
        list_cursor.decode(list_cursor.encode(original, SECRET), SECRET, "contacts", "name asc") == original
    )


def test_a_datetime_travels_with_its_microseconds():
    text = list_cursor.encode(
        position(order="create_date desc", value=datetime(2026, 3, 2, 9, 15, 0, 1234)), SECRET
    )
    assert (
        list_cursor.decode(text, SECRET, "contacts", "create_date desc").value == "2026-03-02T09:15:00.001234"
    )


def test_an_edited_payload_is_refused():
    body, mac = list_cursor.encode(position(), SECRET).split(".")
    forged = signing.b64(b'[1,"contacts","name asc","Afi",1]')
    with pytest.raises(list_cursor.InvalidCursor):
        list_cursor.decode(f"{forged}.{mac}", SECRET, "contacts", "name asc")
    assert body != forged


@pytest.mark.parametrize(("list_name", "order"), [("orders", "name asc"), ("contacts", "name desc")])
def test_a_cursor_of_another_list_or_order_is_refused(list_name, order):
    with pytest.raises(list_cursor.InvalidCursor):
        list_cursor.decode(list_cursor.encode(position(), SECRET), SECRET, list_name, order)


def test_a_delta_sync_cursor_is_not_a_list_cursor():
    delta = sync.Cursor(person_id=7, sa_id=42, fingerprint="f" * 32, mode=sync.MODE_DELTA, horizon=900)
    with pytest.raises(list_cursor.InvalidCursor):
        list_cursor.decode(sync.encode(delta, SECRET), SECRET, "contacts", "name asc")


@pytest.mark.parametrize("text", ["", "garbage", "a.b", "é.é", "x" * 2000, None, 12])
def test_garbage_is_refused(text):
    with pytest.raises(list_cursor.InvalidCursor):
        list_cursor.decode(text, SECRET, "contacts", "name asc")
