import logging
import os
import threading
import time

from odoo import SUPERUSER_ID, api, models
from odoo.modules.registry import Registry
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


# ----------------------------------------------------------------------
# After-commit publishing
# ----------------------------------------------------------------------


def drain_database(dbname, time_budget=30.0):
    """Drain one database's outbox with a cursor of its own."""
    registry = Registry(dbname)
    if "abs.mqtt.relay" not in registry:
        return 0
    with registry.cursor() as cr:
        return api.Environment(cr, SUPERUSER_ID, {})["abs.mqtt.relay"]._drain(time_budget=time_budget)


class _RelayWaker:
    """One background thread per process that drains the databases it is asked to.

    Requests coalesce: a burst of commits causes one drain, not one per commit.
    The request that committed only sets a flag, so a slow or absent broker
    never slows it down; whatever the thread cannot publish the cron will.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._wanted = set()
        self._thread = None

    def request(self, dbname):
        with self._lock:
            self._wanted.add(dbname)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="abs-event-relay", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self):
        while True:
            self._wake.wait()
            self._wake.clear()
            with self._lock:
                wanted, self._wanted = self._wanted, set()
            for dbname in wanted:
                threading.current_thread().dbname = dbname
                try:
                    drain_database(dbname)
                except Exception:
                    _logger.exception("MQTT relay failed on %s; the retry cron will publish", dbname)

    def reset_after_fork(self):
        # A forked worker inherits neither the thread nor a usable lock state.
        self.__init__()


_WAKER = _RelayWaker()
os.register_at_fork(after_in_child=_WAKER.reset_after_fork)


def schedule_relay(dbname):
    """The cr.postcommit callback that publishes a database's new events.

    It can never raise into the request that committed. In test mode the
    registry shares one cursor between threads, so the drain runs inline.
    """

    def _relay_after_commit():
        try:
            if Registry(dbname).in_test_mode():
                drain_database(dbname)
            else:
                _WAKER.request(dbname)
        except Exception:
            _logger.exception("Could not start the MQTT relay for %s; the retry cron will publish", dbname)

    return _relay_after_commit
