"""Event envelopes, schemas, topics, relay settings and retry timing (no Odoo)."""

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from jsonschema import Draft202012Validator

from governance import events

SA_ID = 42


class FakeRecords:
    """Duck-types an Odoo recordset (``_name`` and ``ids``) without Odoo."""

    def __init__(self, model, ids):
        self._name = model
        self.ids = ids


def envelope(event_type="customer.updated", data=None, **kwargs):
    return events.build_envelope(
        event_type,
        SA_ID,
        kwargs.pop("model", "res.partner"),
        kwargs.pop("id", 101),
        actor=kwargs.pop("actor", {"partner_id": 11, "employee_id": 3}),
        data={"changed": {"phone": "+228 90 000 002"}} if data is None else data,
        **kwargs,
    )


# ---- schema files ----


@pytest.mark.parametrize("event_type", events.EVENT_TYPES)
def test_every_event_type_has_a_valid_json_schema_2020_12(event_type):
    schema = json.loads(events.schema_path(event_type).read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["type"]["const"] == event_type
    assert schema["title"] and schema["description"]


@pytest.mark.parametrize("event_type", events.EVENT_TYPES)
def test_schema_example_is_a_valid_payload_of_its_type(event_type):
    example = events.load_schema(event_type)["examples"][0]
    assert events.schema_errors(example) == []


def test_schema_folder_holds_exactly_the_known_event_types():
    files = sorted(p.name.removesuffix(".schema.json") for p in events.SCHEMA_DIR.glob("*.schema.json"))
    assert files == sorted(events.EVENT_TYPES)


def test_all_schemas_describe_the_same_envelope():
    # Each file is self-contained for the docs and for consumers; this keeps
    # the nine copies of the envelope identical.
    shared = {}
    for event_type in events.EVENT_TYPES:
        schema = events.load_schema(event_type)
        props = {k: v for k, v in schema["properties"].items() if k not in ("type", "subject", "data")}
        shared[event_type] = (schema["required"], schema["additionalProperties"], props)
    first = shared[events.EVENT_TYPES[0]]
    assert all(value == first for value in shared.values())


def test_schema_version_is_read_from_the_schema_file():
    assert (
        events.schema_version("customer.created")
        == events.load_schema("customer.created")["properties"]["schema_version"]["const"]
        == 1
    )


# ---- envelopes ----


def test_envelope_carries_every_required_field_and_validates():
    event = envelope()
    assert set(event) == {"id", "type", "schema_version", "occurred_at", "sa_id", "actor", "subject", "data"}
    assert event["type"] == "customer.updated"
    assert event["sa_id"] == SA_ID
    assert event["actor"] == {"partner_id": 11, "employee_id": 3}
    assert event["subject"] == {"model": "res.partner", "id": 101}
    assert events.schema_errors(event) == []


def test_each_envelope_gets_its_own_uuid4_for_deduplication():
    ids = {envelope()["id"] for _ in range(50)}
    assert len(ids) == 50
    assert all(uuid.UUID(value).version == 4 for value in ids)


def test_occurred_at_is_utc_iso8601_with_z_suffix():
    naive = datetime(2026, 4, 23, 10, 0, 0)  # Odoo stores naive UTC
    assert envelope(occurred_at=naive)["occurred_at"] == "2026-04-23T10:00:00.000000Z"
    lome_plus_two = datetime(2026, 4, 23, 12, 0, 0, tzinfo=timezone(timedelta(hours=2)))
    assert envelope(occurred_at=lome_plus_two)["occurred_at"] == "2026-04-23T10:00:00.000000Z"
    assert envelope()["occurred_at"].endswith("Z")


def test_unknown_event_type_is_refused():
    with pytest.raises(events.EventError, match="Unknown event type 'customer.deleted'"):
        envelope("customer.deleted")


def test_missing_required_data_is_refused_naming_the_field():
    with pytest.raises(events.EventError, match="to_actor_id"):
        envelope("customer.assigned", data={"from_actor_id": 11})


def test_subject_of_the_wrong_model_is_refused():
    with pytest.raises(events.EventError, match="subject.model"):
        envelope("membership.revoked", data={"membership_state": "revoked"}, model="res.partner")


def test_envelope_without_sa_is_refused():
    with pytest.raises(events.EventError, match="sa_id"):
        events.build_envelope("customer.archived", None, "res.partner", 101)


def test_updated_event_needs_at_least_one_changed_field():
    with pytest.raises(events.EventError, match="changed"):
        envelope(data={"changed": {}})


def test_secret_keys_never_reach_the_payload_at_any_depth():
    event = envelope(
        data={
            "changed": {"phone": "1", "password": "hunter2", "x_api_key": "k"},
            "access_token": "t",
            "password_hash": "$pbkdf2$",
        }
    )
    assert event["data"] == {"changed": {"phone": "1"}}
    assert "hunter2" not in json.dumps(event)


def test_schema_refuses_secret_looking_keys_that_bypass_scrubbing():
    event = envelope()
    event["data"]["changed"]["password"] = "x"
    assert any("password" in error for error in events.schema_errors(event))


def test_odoo_values_become_json_values():
    data = {
        "changed": {
            "country_id": FakeRecords("res.country", [7]),
            "category_id": FakeRecords("res.partner.category", [1, 2]),
            "parent_id": False,
            "date": date(2026, 4, 23),
            "write_date": datetime(2026, 4, 23, 10, 0, tzinfo=UTC),
        }
    }
    changed = envelope(data=data)["data"]["changed"]
    assert changed == {
        "country_id": 7,
        "category_id": [1, 2],
        "parent_id": None,
        "date": "2026-04-23",
        "write_date": "2026-04-23T10:00:00.000000Z",
    }


def test_system_action_has_null_actor():
    assert envelope(actor=None)["actor"] == {"partner_id": None, "employee_id": None}


def test_encoding_is_compact_utf8_json():
    event = envelope(data={"changed": {"city": "Lomé"}})
    raw = events.encode(event)
    assert "Lomé".encode() in raw
    assert b", " not in raw
    assert json.loads(raw) == event


# ---- topics ----


def test_topic_is_prefix_sa_and_type():
    assert events.build_topic("abs/prod", 42, "customer.created") == "abs/prod/sa/42/customer.created"


def test_default_prefix_is_abs_and_database_name():
    assert events.default_topic_prefix("odoo_prod") == "abs/odoo_prod"


def test_topic_prefix_surrounding_slashes_are_ignored():
    assert events.build_topic("/abs/prod/", 1, "customer.archived") == "abs/prod/sa/1/customer.archived"


@pytest.mark.parametrize("prefix", ["", "  ", "abs/#", "abs/+/x", "abs//prod", "/"])
def test_unusable_topic_prefix_is_refused(prefix):
    with pytest.raises(events.EventError, match="abs_mqtt_topic_prefix"):
        events.build_topic(prefix, 1, "customer.created")


# ---- settings ----


def settings_from(values, dbname="odoo_prod"):
    return events.parse_settings(values.get, dbname)


def test_settings_without_host_mean_no_broker():
    settings = settings_from({})
    assert not settings.configured
    assert (settings.port, settings.tls, settings.protocol) == (1883, False, "5")
    assert settings.topic_prefix == "abs/odoo_prod"


def test_settings_are_parsed_from_odoo_conf_strings():
    settings = settings_from(
        {
            "abs_mqtt_host": "broker",
            "abs_mqtt_port": "8883",
            "abs_mqtt_tls": "True",
            "abs_mqtt_username": "relay",
            "abs_mqtt_password": "s3cret",
            "abs_mqtt_topic_prefix": "tenant/abs",
            "abs_event_max_attempts": "3",
        }
    )
    assert settings.configured
    assert (settings.host, settings.port, settings.tls) == ("broker", 8883, True)
    assert settings.topic_prefix == "tenant/abs"
    assert settings.max_attempts == 3
    assert "s3cret" not in repr(settings)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("abs_mqtt_port", "eighty"),
        ("abs_mqtt_port", "0"),
        ("abs_mqtt_tls", "maybe"),
        ("abs_mqtt_protocol", "4"),
        ("abs_event_max_attempts", "0"),
        ("abs_mqtt_connect_timeout", "-1"),
    ],
)
def test_bad_setting_is_refused_naming_its_key(key, value):
    with pytest.raises(events.EventError, match=key):
        settings_from({"abs_mqtt_host": "broker", key: value})


def test_every_setting_key_is_documented_with_a_default_and_meaning():
    keys = [key for key, _default, _meaning in events.SETTING_KEYS]
    assert len(keys) == len(set(keys))
    assert all(key.startswith(("abs_mqtt_", "abs_event_")) for key in keys)
    assert all(meaning for _key, _default, meaning in events.SETTING_KEYS)


# ---- retry timing ----


def test_retry_delay_doubles_after_each_failure():
    assert [events.retry_delay(n, base=30, cap=10_000) for n in range(1, 6)] == [30, 60, 120, 240, 480]


def test_retry_delay_is_capped():
    assert events.retry_delay(20, base=30, cap=3600) == 3600
    assert events.retry_delay(10**6, base=30, cap=3600) == 3600


def test_no_delay_before_any_failure():
    assert events.retry_delay(0) == 0


def test_event_is_parked_once_it_failed_max_attempts_times():
    assert not events.is_parked(7, 8)
    assert events.is_parked(8, 8)
