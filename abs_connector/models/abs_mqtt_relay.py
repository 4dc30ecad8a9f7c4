import logging
import time

from odoo import api, models
from odoo.sql_db import TestCursor
from odoo.tools import config

from ..elevation import elevate
from ..governance import events
from ..governance.relay import BrokerUnavailable, MqttPublisher

_logger = logging.getLogger(__name__)

# A system parameter ``abs_connector.<key without "abs_">`` overrides the
# odoo.conf key of the same name (tests, operations without a restart).
PARAM_PREFIX = "abs_connector."


class AbsMqttRelay(models.AbstractModel):
    """Publishes the outbox to MQTT: settings, the drain loop, broker health.

    The row work (locking, marking) lives on ``abs.event.outbox``; the wire
    work (paho, QoS 1, PUBACKs) in ``governance/relay.py``.
    """

    _name = "abs.mqtt.relay"
    _description = "MQTT event relay"

    @api.model
    def _setting(self, key):
        override = self._get_param(PARAM_PREFIX + key.removeprefix("abs_"))
        if override not in (None, False, ""):
            return override
        return config.get(key)

    @api.model
    def _get_param(self, name):
        params = elevate(self.env["ir.config_parameter"], "broker settings, whoever triggers the relay")
        return params.get_param(name)

    @api.model
    def _settings(self):
        """:class:`governance.events.RelaySettings`; raises EventError naming a bad key."""
        return events.parse_settings(self._setting, self.env.cr.dbname)

    @api.model
    def _topic_prefix(self):
        try:
            return self._settings().topic_prefix
        except events.EventError:
            return events.default_topic_prefix(self.env.cr.dbname)

    @api.model
    def _drain(self, time_budget=30.0):
        """Publish every due event, round after round, until none is left or the
        time budget is spent. Returns how many events the broker acknowledged.

        Each round runs in its own transaction: its row locks are held while
        the broker acknowledges and released by its commit. Never raises for a
        broker problem — the events simply stay queued.
        """
        try:
            settings = self._settings()
        except events.EventError as exc:
            _logger.error("MQTT relay disabled, its settings are unusable: %s", exc)
            return 0
        if not settings.configured or not self.env["abs.event.outbox"]._has_publishable():
            return 0
        deadline = time.monotonic() + time_budget
        published = 0
        try:
            with MqttPublisher(settings) as publisher:
                _BROKER_HEALTH.up(settings)
                while True:
                    with self.env.registry.cursor() as cr:
                        _read_committed(cr)
                        outbox = self.env(cr=cr)["abs.event.outbox"]
                        selected, acked = outbox._relay_round(publisher, settings)
                    published += acked
                    if not selected or not publisher.connected or time.monotonic() > deadline:
                        break
        except BrokerUnavailable as exc:
            _BROKER_HEALTH.down(exc)
        return published


def _read_committed(cr):
    """Run this relay transaction in READ COMMITTED.

    Under Odoo's REPEATABLE READ, ``FOR UPDATE`` fails with a serialization
    error when another relay marked a row sent after this transaction's
    snapshot; under READ COMMITTED PostgreSQL re-checks that row instead and
    skips it. A test cursor shares the test's transaction and keeps its level.
    """
    if not isinstance(cr, TestCursor):
        cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")


class _BrokerHealth:
    """Logs an outage once when it starts and once when it ends, not every attempt."""

    def __init__(self):
        self._down_since = None

    def down(self, exc):
        if self._down_since is None:
            self._down_since = time.monotonic()
            _logger.warning("MQTT broker unavailable, events stay in the outbox: %s", exc)
        else:
            _logger.debug("MQTT broker still unavailable: %s", exc)

    def up(self, settings):
        if self._down_since is not None:
            _logger.info(
                "MQTT broker %s:%s reachable again after %.0fs; publishing the backlog",
                settings.host,
                settings.port,
                time.monotonic() - self._down_since,
            )
            self._down_since = None


_BROKER_HEALTH = _BrokerHealth()
