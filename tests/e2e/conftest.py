"""Fixtures for end-to-end tests: a real Mosquitto and a real Odoo on loopback.

Run through ``./dev test`` (layer e2e), which provides ODOO_PATH, the
dependency template database and PostgreSQL. Run directly, a missing piece
fails with a message rather than skipping silently.
"""

import os

import pytest
from odoo_server import OdooServer
from services import SmtpSink, start_mosquitto


def _require_environment():
    missing = [name for name in ("ODOO_PATH", "ABS_TEMPLATE_DB") if not os.environ.get(name)]
    if missing:
        pytest.fail(
            f"e2e tests need {', '.join(missing)}: run them with ./dev test --only e2e", pytrace=False
        )


@pytest.fixture(scope="session")
def mqtt_broker():
    broker = start_mosquitto()
    yield broker
    broker.cleanup()


@pytest.fixture(scope="session")
def smtp_sink():
    """The mail server of the session's Odoo: every mail it sends ends up here."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def odoo_server(mqtt_broker, smtp_sink):
    """One Odoo server for the session: base_url, db, api_key, connect(), restart()."""
    _require_environment()
    server = OdooServer(
        f"abs_e2e_{os.getpid()}",
        mqtt_port=mqtt_broker.port,
        extra_config={"smtp_server": "127.0.0.1", "smtp_port": str(smtp_sink.port)},
    )
    server.create().start()
    yield server
    server.drop()


@pytest.fixture(scope="session")
def topology():
    """Two prefork Odoo nodes behind nginx, their own PostgreSQL and an authenticating broker."""
    _require_environment()
    from topology import start_topology, stop_topology

    started = start_topology()
    yield started
    stop_topology(started)
