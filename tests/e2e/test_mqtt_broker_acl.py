"""The docker-compose broker configuration, run as shipped by Debian's Mosquitto on loopback:
no anonymous client, and a subscriber for one Service Account reads only that SA's events."""

import json
import shutil
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from services import MosquittoBroker, MqttSubscriber, free_port

BROKER_DIR = Path(__file__).resolve().parents[2] / "docker" / "mosquitto"
RELAY, RELAY_PASSWORD = "abs-relay", "relay-secret-for-tests"
USERS = {RELAY: RELAY_PASSWORD, "42": "sa-42-secret", "43": "sa-43-secret"}
TOPIC = "abs/abs/sa/{sa}/customer.created"
# the same SA id's topic in another database publishing to the same broker (a test database)
OTHER_DATABASE_TOPIC = "abs/abs_test/sa/{sa}/customer.created"


def _loopback_config(health_port):
    """The shipped mosquitto.conf with loopback ports and this test's directory."""
    text = (BROKER_DIR / "mosquitto.conf").read_text()
    replacements = {
        "listener 1883 0.0.0.0": "listener {port} 127.0.0.1",
        "listener 1880 127.0.0.1": f"listener {health_port} 127.0.0.1",
        "/mosquitto/config/": "{dir}/",
        "persistence true": "persistence false",
        "persistence_location /mosquitto/data/": "",
    }
    for shipped, local in replacements.items():
        assert shipped in text, shipped
        text = text.replace(shipped, local)
    return text


@pytest.fixture(scope="module")
def broker():
    health_port = free_port()
    broker = MosquittoBroker(users=USERS, config=_loopback_config(health_port))
    for name in ("acl", "acl-healthcheck"):
        shutil.copy(BROKER_DIR / name, broker.directory / name)
    broker.health_port = health_port
    broker.start()
    yield broker
    broker.cleanup()


def _connect(port, username=None, password=None):
    """Connect and return ``(client, refused)``; the caller disconnects an accepted client."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    if username:
        client.username_pw_set(username, password)
    answered = threading.Event()
    outcome = {}

    def on_connect(_client, _userdata, _flags, reason_code, _properties):
        outcome["refused"] = reason_code.is_failure
        answered.set()

    client.on_connect = on_connect
    client.connect("127.0.0.1", port, keepalive=10)
    client.loop_start()
    assert answered.wait(10), "no CONNACK"
    return client, outcome["refused"]


def _publish(port, username, password, sa, topic=TOPIC):
    """Publish one event at QoS 1 as ``username``; returns once the broker answered."""
    client, refused = _connect(port, username, password)
    assert not refused
    info = client.publish(topic.format(sa=sa), json.dumps({"sa_id": sa, "by": username}), qos=1)
    info.wait_for_publish(10)
    client.disconnect()
    client.loop_stop()


def test_anonymous_and_wrong_password_clients_are_refused(broker):
    for username, password in ((None, None), (RELAY, "not the password"), ("42", RELAY_PASSWORD)):
        client, refused = _connect(broker.port, username, password)
        client.loop_stop()
        assert refused, username


def test_a_subscriber_for_one_sa_reads_only_that_sas_events(broker):
    filters = ["abs/+/sa/42/#", "abs/+/sa/43/#", "abs/#", "#"]
    with (
        MqttSubscriber(broker.port, filters, username="42", password=USERS["42"]) as sa42,
        MqttSubscriber(broker.port, "abs/+/sa/43/#", username="43", password=USERS["43"]) as sa43,
        MqttSubscriber(broker.port, "#", username=RELAY, password=RELAY_PASSWORD) as relay_reader,
    ):
        for sa in (43, 42):
            _publish(broker.port, RELAY, RELAY_PASSWORD, sa)
        sa43.wait_for(1)
        # the wider filters are accepted, but deliver only what the user may read
        # (overlapping filters may each deliver a copy)
        assert {topic for topic, _payload in sa42.settle(quiet=0.5)} == {TOPIC.format(sa=42)}
        assert {topic for topic, _payload in sa43.settle(quiet=0.3)} == {TOPIC.format(sa=43)}
        assert relay_reader.settle(quiet=0.3) == [], "the relay writes; it reads nothing"


def test_a_subscriber_for_one_sa_reads_nothing_of_the_same_id_in_another_database(broker):
    with MqttSubscriber(broker.port, ["abs/+/sa/42/#", "#"], username="42", password=USERS["42"]) as sa42:
        _publish(broker.port, RELAY, RELAY_PASSWORD, 42, topic=OTHER_DATABASE_TOPIC)
        _publish(broker.port, RELAY, RELAY_PASSWORD, 42)
        sa42.wait_for(1)
        assert {topic for topic, _payload in sa42.settle(quiet=0.5)} == {TOPIC.format(sa=42)}


def test_an_sa_subscriber_cannot_publish_events(broker):
    with MqttSubscriber(broker.port, "abs/+/sa/42/#", username="42", password=USERS["42"]) as sa42:
        _publish(broker.port, "42", USERS["42"], 42)  # refused by the ACL
        _publish(broker.port, RELAY, RELAY_PASSWORD, 42)
        assert [payload["by"] for _topic, payload in sa42.settle(quiet=0.5)] == [RELAY]


def test_the_health_check_listener_reads_uptime_and_no_event(broker):
    with MqttSubscriber(broker.health_port, ["$SYS/broker/uptime", "abs/#"]) as health:
        _publish(broker.port, RELAY, RELAY_PASSWORD, 42)
        received = health.settle(quiet=0.5)
    assert {topic for topic, _payload in received} == {"$SYS/broker/uptime"}
