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
        the broker acknowledges, and released by its commit. Rounds overlap:
        the next batch is locked and sent while the PUBACKs of the previous one
        are on their way, so neither the database nor the broker waits for the
        other. Never raises for a broker problem — the events simply stay queued.
        """
        try:
            settings = self._settings()
        except events.EventError as exc:
            _logger.error("MQTT relay disabled, its settings are unusable: %s", exc)
            return 0
        if not settings.configured or not self.env["abs.event.outbox"]._has_publishable():
            return 0
        deadline = time.monotonic() + time_budget
        try:
            with MqttPublisher(settings) as publisher:
                _BROKER_HEALTH.up(settings)
                return self._abs_publish_rounds(publisher, settings, deadline)
        except BrokerUnavailable as exc:
            _BROKER_HEALTH.down(exc)
        return 0

    def _abs_publish_rounds(self, publisher, settings, deadline):
        # One test cursor serves every "transaction" of a test: rounds cannot overlap there.
        overlap = not self.env.registry.in_test_mode()
        published, in_flight, current = 0, None, None
        try:
            while publisher.connected and time.monotonic() <= deadline:
                if not overlap:
                    published += _finish(in_flight)
                    in_flight = None
                current = _Round(self.env, publisher, settings, _ids(in_flight))
                previous, in_flight = in_flight, current.if_any()
                published += _finish(previous)
                if in_flight is None and previous is None:
                    break  # nothing left to publish
                # An empty round after a full one: the acknowledged events may have
                # unblocked later events of their subjects, so look again.
            return published + _finish(in_flight)
        finally:
            for round_ in (in_flight, current):
                _close(round_)


def _ids(round_):
    return round_.ids if round_ is not None else ()


def _finish(round_):
    return round_.finish() if round_ is not None else 0


def _close(round_):
    if round_ is not None:
        round_.close()


class _Round:
    """One batch of events: its own transaction, its locked rows, the broker's answer."""

    def __init__(self, env, publisher, settings, exclude_ids):
        self.publisher = publisher
        self.settings = settings
        self.cr = env.registry.cursor()
        self.closed = False
        try:
            _relay_transaction(self.cr)
            self.outbox = env(cr=self.cr)["abs.event.outbox"]
            self.rows, self.batch = self.outbox._relay_send(publisher, settings, exclude_ids)
        except Exception:
            self.close()
            raise
        self.ids = [row["id"] for row in self.rows]

    def if_any(self):
        """This round if it locked events; else None, its cursor given back."""
        if self.rows:
            return self
        self.close()
        return None

    def finish(self):
        """Wait for the PUBACKs, record them and commit; returns how many were acknowledged."""
        try:
            acked = self.outbox._relay_record(self.rows, self.publisher.settle(self.batch), self.settings)
            # The relay's own cursor, not a request's: its commit releases the round's row locks.
            self.cr.commit()  # pylint: disable=invalid-commit
            return acked
        finally:
            self.close()

    def close(self):
        """Roll back whatever was not committed (locks released) and give the cursor back."""
        if not self.closed:
            self.closed = True
            self.cr.close()


def _relay_transaction(cr):
    """Run this relay transaction in READ COMMITTED, without waiting for its commit to be flushed.

    Under Odoo's REPEATABLE READ, ``FOR UPDATE`` fails with a serialization
    error when another relay marked a row sent after this transaction's
    snapshot; under READ COMMITTED PostgreSQL re-checks that row instead and
    skips it. A relay transaction only records what the broker acknowledged:
    if a database crash lost its commit, the events would be published again
    (at least once, and consumers de-duplicate by event id), never lost, so it
    does not wait for the write-ahead log to reach the disk. A test cursor
    shares the test's transaction and keeps its settings.
    """
    if not isinstance(cr, TestCursor):
        cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        cr.execute("SET LOCAL synchronous_commit = off")


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
