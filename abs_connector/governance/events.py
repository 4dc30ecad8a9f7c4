"""Lifecycle events: envelopes, topics, schemas, relay settings and retry timing.

Plain Python (docs/adr/0007-events-outbox.md). The Odoo side (``models/abs_event_outbox.py``)
writes what :func:`build_envelope` returns into the outbox in the same
transaction as the change; the relay publishes it to the topic
:func:`build_topic` names. The JSON Schemas in ``schemas/events/`` are the
one description of each payload: the docs render them, :func:`validate_envelope`
checks every event against them before it is queued, and the tests check real
payloads against them again.
"""

import json
import math
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas" / "events"

EVENT_TYPES = (
    "customer.created",
    "customer.updated",
    "customer.assigned",
    "customer.unassigned",
    "customer.archived",
    "customer.erased",
    "membership.enrolled",
    "membership.suspended",
    "membership.revoked",
    "membership.reinstated",
    "membership.updated",
    "service_account.created",
    "service_account.updated",
    "service_account.archived",
    "order.created",
    "order.confirmed",
    "order.cancelled",
    "invoice.created",
)

# Keys that look like credentials never leave the database, whatever a caller
# puts in ``data`` (the issue: "the fields that changed, never secrets").
SECRET_KEY_PATTERN = re.compile(r"passw|secret|token|api_?key|hash|credential|private", re.IGNORECASE)

# MQTT topic levels must not contain wildcards or be empty; ``/`` separates levels.
_FORBIDDEN_TOPIC_CHARS = re.compile(r"[#+\x00]")


class EventError(ValueError):
    """An event that must not be queued: unknown type, bad subject, schema violation."""


# ---------------------------------------------------------------------------
# Schemas
# ---------------------------------------------------------------------------


def schema_path(event_type):
    return SCHEMA_DIR / f"{event_type}.schema.json"


@cache
def load_schema(event_type):
    """The JSON Schema (2020-12) of one event type, as the docs render it."""
    if event_type not in EVENT_TYPES:
        raise EventError(f"Unknown event type {event_type!r}; known types: {', '.join(EVENT_TYPES)}.")
    return json.loads(schema_path(event_type).read_text(encoding="utf-8"))


@cache
def _validator(event_type):
    schema = load_schema(event_type)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_version(event_type):
    """The payload version of a type, read from its schema (one source of truth)."""
    return load_schema(event_type)["properties"]["schema_version"]["const"]


def schema_errors(envelope):
    """Human-readable schema violations of an envelope (empty list when valid)."""
    event_type = envelope.get("type") if isinstance(envelope, dict) else None
    if event_type not in EVENT_TYPES:
        return [f"type: unknown event type {event_type!r}"]
    errors = sorted(_validator(event_type).iter_errors(envelope), key=_error_path)
    return [f"{_error_path(error)}: {error.message}" for error in errors]


def _error_path(error):
    return ".".join(str(part) for part in error.absolute_path) or "(envelope)"


def validate_envelope(envelope):
    """Raise :class:`EventError` listing every violation of the type's schema."""
    errors = schema_errors(envelope)
    if errors:
        raise EventError(f"Event {envelope.get('type')!r} does not match its schema: " + "; ".join(errors))
    return envelope


# ---------------------------------------------------------------------------
# Envelopes
# ---------------------------------------------------------------------------


def utc_timestamp(moment=None):
    """ISO 8601 UTC with a ``Z`` suffix; naive datetimes are taken as UTC (Odoo stores UTC)."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def json_value(value):
    """A JSON-safe copy of ``value``: records become ids, dates ISO strings.

    Records are recognised by duck typing (``_name`` and ``ids``) so this
    module stays free of Odoo imports.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if hasattr(value, "_name") and hasattr(value, "ids"):
        return _record_ids(value)
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_value(item) for item in value]
    return _json_scalar(value)


def _record_ids(records):
    """One record: its id; several: their ids; none: ``None``."""
    ids = list(records.ids)
    return ids[0] if len(ids) == 1 else (ids or None)


def _json_scalar(value):
    """Floats, dates and anything else that is neither a record nor a container."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        return utc_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _reference_value(key, value):
    """Odoo spells "no record" ``False`` (``record.parent_id.id``); in an event a
    missing reference is ``null`` (``*_id``) or an empty list (``*_ids``)."""
    if value is False and key.endswith("_id"):
        return None
    if value is False and key.endswith("_ids"):
        return []
    return json_value(value)


def scrub_data(data):
    """``data`` without secret-looking keys (at any depth), JSON-safe."""
    if not isinstance(data, dict):
        return json_value(data)
    return {
        str(key): scrub_data(item) if isinstance(item, dict) else _reference_value(str(key), item)
        for key, item in data.items()
        if not SECRET_KEY_PATTERN.search(str(key))
    }


def actor_ref(partner_id=None, employee_id=None):
    """The ``{partner_id, employee_id}`` pair used for the actor and for from / to."""
    return {"partner_id": partner_id or None, "employee_id": employee_id or None}


def build_envelope(
    event_type, sa_id, subject_model, subject_id, actor=None, data=None, occurred_at=None, event_id=None
):
    """The full event, validated against its schema.

    ``actor`` is an :func:`actor_ref` dict (None for a system action);
    ``data`` holds the fields that changed and is scrubbed of secrets.
    """
    if event_type not in EVENT_TYPES:
        raise EventError(f"Unknown event type {event_type!r}; known types: {', '.join(EVENT_TYPES)}.")
    envelope = {
        "id": event_id or str(uuid.uuid4()),
        "type": event_type,
        "schema_version": schema_version(event_type),
        "occurred_at": occurred_at if isinstance(occurred_at, str) else utc_timestamp(occurred_at),
        "sa_id": sa_id,
        "actor": actor_ref(**(actor or {})),
        "subject": {"model": subject_model, "id": subject_id},
        "data": scrub_data(data or {}),
    }
    return validate_envelope(envelope)


def encode(envelope):
    """The bytes published on the wire (compact UTF-8 JSON)."""
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# ---------------------------------------------------------------------------
# Topics
# ---------------------------------------------------------------------------


def default_topic_prefix(dbname):
    return f"abs/{dbname}"


def check_topic_prefix(prefix):
    """The prefix without surrounding slashes; refuses MQTT wildcards and empty levels."""
    cleaned = (prefix or "").strip().strip("/")
    if not cleaned or _FORBIDDEN_TOPIC_CHARS.search(cleaned) or "//" in cleaned:
        raise EventError(
            f"MQTT topic prefix {prefix!r} is not usable: it must be non-empty, without '+', '#' "
            "or empty levels (set abs_mqtt_topic_prefix in odoo.conf)."
        )
    return cleaned


def build_topic(prefix, sa_id, event_type):
    """``<prefix>/sa/<sa_id>/<type>`` — one topic per SA and type, so consumers can filter."""
    return f"{check_topic_prefix(prefix)}/sa/{sa_id}/{event_type}"


# ---------------------------------------------------------------------------
# Relay settings and retry timing
# ---------------------------------------------------------------------------

# (key, default, meaning). Read from odoo.conf; a system parameter
# ``abs_connector.<key without abs_>`` overrides it (tests, ops without restart).
SETTING_KEYS = (
    ("abs_mqtt_host", "", "Broker host name. Empty: no broker, events wait in the outbox."),
    ("abs_mqtt_port", "1883", "Broker TCP port (8883 is usual with TLS)."),
    ("abs_mqtt_username", "", "User name sent to the broker (empty: anonymous)."),
    ("abs_mqtt_password", "", "Password sent to the broker."),
    ("abs_mqtt_tls", "False", "True: connect with TLS, verifying the broker against the system CAs."),
    ("abs_mqtt_tls_ca_certs", "", "Optional CA bundle file used instead of the system CAs when TLS is on."),
    (
        "abs_mqtt_client_id",
        "abs-relay",
        "Client id prefix; '-<pid>-<n>' is appended so concurrent relays "
        "never kick each other off the broker.",
    ),
    ("abs_mqtt_topic_prefix", "", "Topic prefix; empty means abs/<database name>."),
    ("abs_mqtt_protocol", "5", "MQTT protocol version: 5 or 3.1.1."),
    ("abs_mqtt_connect_timeout", "3", "Seconds to wait for the TCP connection and CONNACK."),
    ("abs_mqtt_ack_timeout", "10", "Seconds to wait for the broker's PUBACKs of one batch."),
    ("abs_event_batch_size", "5000", "Events locked and published per relay round."),
    ("abs_event_max_attempts", "8", "Failed deliveries before an event is parked as failed."),
    ("abs_event_retry_base", "30", "Seconds before the first retry; doubles after each failure."),
    ("abs_event_retry_max", "3600", "Upper bound of the retry delay, in seconds."),
    ("abs_event_retention_days", "30", "Sent events older than this are deleted by the vacuum cron."),
)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class RelaySettings:
    host: str
    port: int
    username: str
    password: str
    tls: bool
    tls_ca_certs: str
    client_id: str
    topic_prefix: str
    protocol: str
    connect_timeout: float
    ack_timeout: float
    batch_size: int
    max_attempts: int
    retry_base: int
    retry_max: int
    retention_days: int

    @property
    def configured(self):
        """No host means no broker: events accumulate, nothing fails."""
        return bool(self.host)

    def __repr__(self):  # never print the password in logs
        return (
            f"RelaySettings(host={self.host!r}, port={self.port}, tls={self.tls}, "
            f"prefix={self.topic_prefix!r})"
        )


def _as_bool(key, raw):
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise EventError(f"{key} must be true or false, not {raw!r}.")


def _as_number(key, raw, kind, minimum):
    try:
        value = kind(str(raw).strip())
    except ValueError:
        raise EventError(f"{key} must be a number, not {raw!r}.")
    if value < minimum:
        raise EventError(f"{key} must be at least {minimum}, not {raw!r}.")
    return value


def parse_settings(lookup, dbname):
    """Build :class:`RelaySettings` from ``lookup(key) -> str | None`` (config, then defaults).

    Raises :class:`EventError` naming the key when a value is unusable.
    """
    raw = {}
    for key, default, _meaning in SETTING_KEYS:
        value = lookup(key)
        raw[key] = default if value is None or value is False else value
    protocol = str(raw["abs_mqtt_protocol"]).strip()
    if protocol not in ("5", "3.1.1"):
        raise EventError(f"abs_mqtt_protocol must be 5 or 3.1.1, not {protocol!r}.")
    return RelaySettings(
        host=str(raw["abs_mqtt_host"]).strip(),
        port=_as_number("abs_mqtt_port", raw["abs_mqtt_port"], int, 1),
        username=str(raw["abs_mqtt_username"] or ""),
        password=str(raw["abs_mqtt_password"] or ""),
        tls=_as_bool("abs_mqtt_tls", raw["abs_mqtt_tls"]),
        tls_ca_certs=str(raw["abs_mqtt_tls_ca_certs"] or "").strip(),
        client_id=str(raw["abs_mqtt_client_id"]).strip() or "abs-relay",
        topic_prefix=check_topic_prefix(raw["abs_mqtt_topic_prefix"] or default_topic_prefix(dbname)),
        protocol=protocol,
        connect_timeout=_as_number("abs_mqtt_connect_timeout", raw["abs_mqtt_connect_timeout"], float, 0.1),
        ack_timeout=_as_number("abs_mqtt_ack_timeout", raw["abs_mqtt_ack_timeout"], float, 0.1),
        batch_size=_as_number("abs_event_batch_size", raw["abs_event_batch_size"], int, 1),
        max_attempts=_as_number("abs_event_max_attempts", raw["abs_event_max_attempts"], int, 1),
        retry_base=_as_number("abs_event_retry_base", raw["abs_event_retry_base"], int, 1),
        retry_max=_as_number("abs_event_retry_max", raw["abs_event_retry_max"], int, 1),
        retention_days=_as_number("abs_event_retention_days", raw["abs_event_retention_days"], int, 1),
    )


def retry_delay(attempts, base=30, cap=3600):
    """Seconds to wait after the ``attempts``-th failure: base, 2*base, 4*base ... capped."""
    if attempts < 1:
        return 0
    # The exponent is bounded first so a huge attempt count cannot overflow.
    return min(cap, base * 2 ** min(attempts - 1, 32))


def is_parked(attempts, max_attempts):
    """True once an event has failed as often as allowed: it waits for a human retry."""
    return attempts >= max_attempts


# Customer fields that identify a person: scrubbed from unpublished events on erasure.
PERSONAL_KEYS = frozenset(
    {"name", "email", "phone", "mobile", "street", "street2", "city", "zip", "country_code", "country_id",
     "function", "comment", "website", "vat"}
)  # fmt: skip


def scrub_personal_data(envelope, erased_name):
    """A copy of ``envelope`` whose ``data`` (and ``data.changed``) keeps no personal value.

    ``name`` becomes ``erased_name`` (some event types require a name); every other
    personal key becomes null. Ids, states and dates stay: they identify no one.
    """
    scrubbed = json.loads(json.dumps(envelope))

    def scrub(values):
        for key in PERSONAL_KEYS & set(values):
            values[key] = erased_name if key == "name" else None

    data = scrubbed.get("data") or {}
    scrub(data)
    if isinstance(data.get("changed"), dict):
        scrub(data["changed"])
    return scrubbed
