"""The AsyncAPI 3.0 document of the MQTT events, generated from the event JSON Schemas.

:func:`build_asyncapi` is pure (no Odoo, no I/O beyond reading the schemas): the API serves it
at ``/api/asyncapi.json``, the docs render it and the lint layer validates it with the AsyncAPI
project's own parser. The payload of every message is the schema the relay validates each event
against before queueing it (``schemas/events/``), so the contract cannot drift from the events.
"""

import copy
import re

from . import events, openapi

ASYNCAPI_VERSION = "3.0.0"
DOCUMENT_ID = "urn:abs-connector:events"
# The JSON Schemas use nothing beyond draft-07 keywords; AsyncAPI parsers know draft-07.
SCHEMA_FORMAT = "application/schema+json;version=draft-07"
MQTT_BINDING_VERSION = "0.2.0"
DEFAULTS = dict((key, default) for key, default, _meaning in events.SETTING_KEYS)

_DESCRIPTION = f"""Lifecycle events of governed customers, memberships and Service Accounts.

**Delivery.** Every change writes its event to an outbox in the same database transaction; a
relay publishes it after commit at **QoS 1** and marks it sent only once the broker acknowledged
it (PUBACK). A rolled-back change publishes nothing; a broker outage delays events, never loses
them. Delivery is *at least once*: a consumer de-duplicates on the event `id` (a UUID).

**Ordering.** Events of one subject (one customer, one membership, one account) are published in
the order they were written, over one connection; across subjects there is no global order.
Concurrent relays lock outbox rows (`FOR UPDATE SKIP LOCKED`) and never publish one event twice
at once.

**Retries.** A failed delivery is retried after `abs_event_retry_base` seconds
({DEFAULTS["abs_event_retry_base"]} by default), doubling after each failure up to
`abs_event_retry_max` ({DEFAULTS["abs_event_retry_max"]}); after `abs_event_max_attempts`
({DEFAULTS["abs_event_max_attempts"]}) failures the event is parked and waits for a human Retry in
the back office. Messages are not retained by the broker.

**Topics.** `<prefix>/sa/<sa_id>/<type>`: one topic per Service Account and event type, so a
consumer subscribes to what it needs (`<prefix>/sa/+/customer.assigned`, `<prefix>/sa/42/#`). The
prefix is `abs_mqtt_topic_prefix`, by default `abs/<database name>`.

**Versioning.** Each payload carries `schema_version`; it is raised on any incompatible change.
"""


def channel_id(event_type):
    """``customer.created`` -> ``customerCreated`` (AsyncAPI keys are identifiers)."""
    words = re.split(r"[._]", event_type)
    return words[0] + "".join(word.title() for word in words[1:])


def _payload_schema(event_type):
    schema = copy.deepcopy(events.load_schema(event_type))
    for key in ("$schema", "$id", "examples"):
        schema.pop(key, None)
    return schema


def _message(event_type):
    schema = events.load_schema(event_type)
    message = {
        "name": event_type,
        "title": schema.get("title", event_type),
        "summary": schema.get("title", event_type),
        "description": schema.get("description", ""),
        "contentType": "application/json",
        "payload": {"schemaFormat": SCHEMA_FORMAT, "schema": _payload_schema(event_type)},
        "bindings": {"mqtt": {"bindingVersion": MQTT_BINDING_VERSION}},
    }
    examples = schema.get("examples") or []
    if examples:
        message["examples"] = [{"name": "typical", "payload": copy.deepcopy(examples[0])}]
    return message


def _channel(event_type):
    cid = channel_id(event_type)
    return {
        "address": f"{{prefix}}/sa/{{sa_id}}/{event_type}",
        "title": event_type,
        "description": events.load_schema(event_type).get("description", ""),
        "parameters": {
            "prefix": {"$ref": "#/components/parameters/prefix"},
            "sa_id": {"$ref": "#/components/parameters/sa_id"},
        },
        "messages": {cid: {"$ref": f"#/components/messages/{cid}"}},
    }


def _operation(event_type):
    cid = channel_id(event_type)
    return {
        "action": "send",
        "title": f"Publish {event_type}",
        "summary": f"The relay publishes each {event_type} event once committed (QoS 1, not retained).",
        "channel": {"$ref": f"#/channels/{cid}"},
        "messages": [{"$ref": f"#/channels/{cid}/messages/{cid}"}],
        "bindings": {"mqtt": {"qos": 1, "retain": False, "bindingVersion": MQTT_BINDING_VERSION}},
    }


def build_asyncapi():
    """Return the AsyncAPI 3.0 document (a fresh dict each call)."""
    info = {
        "title": "abs_connector events",
        "version": openapi.API_VERSION,
        "description": _DESCRIPTION,
        "license": {"name": openapi.LICENSE["name"], "url": "https://www.gnu.org/licenses/lgpl-3.0.html"},
        "contact": dict(openapi.CONTACT),
    }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": DOCUMENT_ID,
        "info": info,
        "defaultContentType": "application/json",
        "servers": {
            "broker": {
                "host": "{host}:{port}",
                "protocol": "mqtt",
                "protocolVersion": "5",
                "description": "The broker the relay publishes to (MQTT 5, or 3.1.1 with abs_mqtt_protocol).",
                "variables": {
                    "host": {"description": "abs_mqtt_host in odoo.conf.", "default": "localhost"},
                    "port": {
                        "description": "abs_mqtt_port in odoo.conf (8883 is usual with TLS).",
                        "default": DEFAULTS["abs_mqtt_port"],
                    },
                },
            }
        },
        "channels": {channel_id(t): _channel(t) for t in events.EVENT_TYPES},
        "operations": {
            f"publish{channel_id(t)[0].upper()}{channel_id(t)[1:]}": _operation(t) for t in events.EVENT_TYPES
        },
        "components": {
            "messages": {channel_id(t): _message(t) for t in events.EVENT_TYPES},
            "parameters": {
                "prefix": {
                    "description": "abs_mqtt_topic_prefix; empty means abs/<database name>. "
                    "May hold several topic levels, never a wildcard.",
                    "examples": ["abs/production"],
                },
                "sa_id": {
                    "description": "Id of the Service Account (ov.serviced_account) the change belongs to; "
                    "the same as the payload's sa_id.",
                    "examples": ["42"],
                },
            },
        },
    }
