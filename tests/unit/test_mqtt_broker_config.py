"""The docker-compose Mosquitto refuses anonymous clients and confines each user by an ACL.

Read statically (no Docker daemon); tests/e2e/test_mqtt_broker_acl.py runs the same files
with Debian's mosquitto on loopback.
"""

import configparser
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BROKER_DIR = REPO / "docker" / "mosquitto"


def _directives(path):
    # as Mosquitto reads them: a comment is a whole line starting with '#'
    lines = [line.strip() for line in path.read_text().splitlines()]
    return [line.split(None, 1) for line in lines if line and not line.startswith("#")]


def _listeners():
    """``{port: {directive: value}}`` of mosquitto.conf, plus the global part under None."""
    sections, current = {None: {}}, None
    for name, *value in _directives(BROKER_DIR / "mosquitto.conf"):
        if name == "listener":
            current = value[0].split()[0]
            sections[current] = {"bind": value[0].split()[1:]}
        else:
            sections[current][name] = value[0] if value else ""
    return sections


def test_client_listener_requires_a_password_and_applies_the_acl():
    sections = _listeners()
    assert sections[None]["per_listener_settings"] == "true"
    clients = sections["1883"]
    assert clients["allow_anonymous"] == "false"
    assert clients["password_file"] == "/mosquitto/config/passwd"
    assert clients["acl_file"] == "/mosquitto/config/acl"


def test_broker_lets_the_relay_keep_a_thousand_publishes_in_flight():
    assert _listeners()[None]["max_inflight_messages"] == "1000"


def test_anonymous_health_check_listener_is_loopback_and_reads_only_uptime():
    health = _listeners()["1880"]
    assert health["bind"] == ["127.0.0.1"]
    assert health["acl_file"] == "/mosquitto/config/acl-healthcheck"
    assert _directives(BROKER_DIR / "acl-healthcheck") == [["topic", "read $SYS/broker/uptime"]]


def test_acl_lets_the_relay_write_and_each_sa_user_read_only_its_own_topics():
    rules = [" ".join(rule) for rule in _directives(BROKER_DIR / "acl")]
    assert rules == ["user abs-relay", "topic write abs/#", "pattern read abs/abs/sa/%u/#"]


def test_compose_mounts_the_broker_config_and_checks_health_on_the_loopback_listener():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    mosquitto = compose["services"]["mosquitto"]
    assert "./docker/mosquitto:/mosquitto/config" in mosquitto["volumes"]
    assert "-p 1880" in mosquitto["healthcheck"]["test"][1]
    assert mosquitto["ports"] == ["127.0.0.1:1883:1883"]


def test_password_file_is_never_committed():
    assert "/docker/mosquitto/passwd" in (REPO / ".gitignore").read_text().splitlines()
    assert not (BROKER_DIR / "passwd").exists()


def test_relay_user_of_odoo_conf_is_the_one_the_acl_lets_write():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(REPO / "odoo.conf")
    assert parser["options"]["abs_mqtt_username"] == "abs-relay"
    assert parser["options"]["abs_mqtt_password"] == ""
