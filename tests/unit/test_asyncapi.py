"""The AsyncAPI document of the MQTT events is generated from the event schemas the relay enforces."""

import copy

import pytest

from governance import asyncapi, events


@pytest.fixture(scope="module")
def document():
    return asyncapi.build_asyncapi()


def test_document_is_asyncapi_3_with_license_and_contact(document):
    assert document["asyncapi"].startswith("3.0.")
    assert document["info"]["license"]["name"] == "LGPL-3.0"
    assert document["info"]["contact"]["name"]
    assert document["servers"]["broker"]["protocol"] == "mqtt"


def test_one_channel_per_event_type_on_the_relays_topic(document):
    addresses = {channel["address"] for channel in document["channels"].values()}
    expected = {events.build_topic("{prefix}", "{sa_id}", event_type) for event_type in events.EVENT_TYPES}
    assert addresses == expected


def test_each_message_payload_is_the_event_schema_the_relay_validates_against(document):
    for event_type in events.EVENT_TYPES:
        message = document["components"]["messages"][asyncapi.channel_id(event_type)]
        schema = copy.deepcopy(events.load_schema(event_type))
        example = schema.pop("examples")[0]
        del schema["$schema"], schema["$id"]
        assert message["payload"]["schema"] == schema
        assert message["examples"][0]["payload"] == example
        events.validate_envelope(message["examples"][0]["payload"])


def test_every_event_is_sent_at_qos_1_not_retained(document):
    assert len(document["operations"]) == len(events.EVENT_TYPES)
    for operation in document["operations"].values():
        assert operation["action"] == "send"
        assert operation["bindings"]["mqtt"]["qos"] == 1
        assert operation["bindings"]["mqtt"]["retain"] is False


def test_ordering_and_retry_semantics_are_stated(document):
    description = document["info"]["description"]
    for words in (
        "QoS 1",
        "at least once",
        "Ordering",
        "Retries",
        "FOR UPDATE SKIP LOCKED",
        "schema_version",
    ):
        assert words in description
