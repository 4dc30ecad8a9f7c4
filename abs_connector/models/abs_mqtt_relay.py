import gc
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager

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
            with _older_objects_spared(), MqttPublisher(settings) as publisher:
                _BROKER_HEALTH.up(settings)
                return self._abs_publish_rounds(publisher, settings, deadline)
        except BrokerUnavailable as exc:
            _BROKER_HEALTH.down(exc)
        return 0

    def _abs_publish_rounds(self, publisher, settings, deadline):
        # One test cursor serves every "transaction" of a test: rounds cannot overlap there.
        overlap = not self.env.registry.in_test_mode()
        with _Pipeline(self.env, publisher, settings, overlap) as pipeline:
            return pipeline.run(deadline)


class _Pipeline:
    """Publishes round after round, the database work of one round beside the wire work of another.

    The calling thread only talks to the broker; a thread of its own locks the
    next round and records the previous one (psycopg2 lets other threads run
    while PostgreSQL works). A round's PUBACKs have all arrived once a window's
    worth of the next round is sent (the broker acknowledges in order), so the
    database records it and locks the round after while the rest goes out.
    The database thread runs its tasks in order: a round is committed before the
    one that may hold the next events of its subjects is locked.

    Without ``overlap`` (tests) every step runs in turn in the calling thread,
    each round recorded before the next is locked.
    """

    def __init__(self, env, publisher, settings, overlap):
        self.env = env
        self.publisher = publisher
        self.settings = settings
        self.overlap = overlap
        self.opened = []  # every round, so that none is left open on the way out
        self.recorded = []  # futures of the acknowledged counts not added up yet
        self.acked = 0
        self.database = _database_thread(env.cr.dbname) if overlap else _InTurn()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        # Rounds are closed once the database thread is done with them.
        self.database.shutdown(wait=True)
        for round_ in self.opened:
            round_.close()
        return False

    def run(self, deadline):
        """Publish until nothing is left or ``deadline`` passed; returns how many were acknowledged."""
        in_flight, upcoming = None, self._open(())
        while self.publisher.connected and time.monotonic() <= deadline:
            current = self._wait(upcoming)
            self._add_up_recorded()
            if current.rows:
                upcoming = self._publish(current, in_flight)
                in_flight = current if self.overlap else None
            elif in_flight is not None:
                # The events just acknowledged may unblock later events of their subjects.
                self._record(in_flight)
                in_flight, upcoming = None, self._open(())
            else:
                break  # nothing left to publish
        if in_flight is not None:
            self._record(in_flight)
        for recorded in self.recorded:
            self.acked += self._wait(recorded)
        return self.acked

    def _add_up_recorded(self):
        """Count the rounds recorded so far; a recording that failed stops the drain here."""
        while self.recorded and self.recorded[0].done():
            self.acked += self.recorded.pop(0).result()

    def _publish(self, current, in_flight):
        """Send ``current``, record ``in_flight`` on the way; returns the future of the next round."""
        head = min(self.publisher.window, len(current.messages)) if self.overlap else len(current.messages)
        current.batch = self.publisher.send(current.messages[:head])
        if in_flight is not None:
            self._record(in_flight)
        if not self.overlap:
            self._record(current)
            return self._open(())
        upcoming = self._open(current.ids)
        self.publisher.send(current.messages[head:], current.batch)
        return upcoming

    def _open(self, exclude_ids):
        return self.database.submit(self._open_round, exclude_ids)

    def _open_round(self, exclude_ids):
        round_ = _Round(self.env, self.settings)
        self.opened = [*(opened for opened in self.opened if not opened.closed), round_]
        round_.lock(exclude_ids)
        if not round_.rows:
            round_.close()
        return round_

    def _record(self, round_):
        outcome = self.publisher.settle(round_.batch)
        self.recorded.append(self.database.submit(round_.record, outcome))

    def _wait(self, future):
        """The result of a database task, reading PUBACKs while it runs (they keep the connection alive)."""
        while not future.done():
            wait([future], timeout=0.05)
            self.publisher.poll()
        return future.result()


def _database_thread(dbname):
    return ThreadPoolExecutor(1, "abs-event-relay-db", initializer=_name_thread, initargs=(dbname,))


def _name_thread(dbname):
    threading.current_thread().dbname = dbname  # Odoo's log lines name the database


class _InTurn:
    """The executor of tests: runs each task at once, in the calling thread."""

    def submit(self, task, *args):
        future = Future()
        try:
            future.set_result(task(*args))
        except Exception as exc:  # handed over as a real executor would
            future.set_exception(exc)
        return future

    def shutdown(self, wait=True):
        pass


class _Round:
    """One batch of events: its own transaction, its locked rows, the broker's answer.

    Opened, locked, recorded and committed by the database thread; the calling
    thread only reads its messages and sets its batch in between.
    """

    def __init__(self, env, settings):
        self.settings = settings
        self.cr = env.registry.cursor()
        self.closed = False
        self.outbox = env(cr=self.cr)["abs.event.outbox"]
        self.rows, self.messages, self.ids, self.batch = [], [], [], None

    def lock(self, exclude_ids):
        _relay_transaction(self.cr)
        self.rows, self.messages = self.outbox._relay_batch(self.settings, exclude_ids)
        self.ids = [row["id"] for row in self.rows]

    def record(self, outcome):
        """Record the broker's answer and commit; returns how many were acknowledged."""
        try:
            acked = self.outbox._relay_record(self.rows, outcome, self.settings)
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
            # Rows and payloads go with the round: a long drain keeps no more than two in memory.
            self.rows, self.messages, self.batch = [], [], None


@contextmanager
def _older_objects_spared():
    """Keep the garbage collector's sweeps during a drain to the objects the drain creates.

    Publishing one event allocates some twenty short-lived containers (paho's
    message, its condition and lock, a reason code, properties), and every few
    thousand of those Python sweeps every object of the process, the whole Odoo
    registry included: about an eighth of the relay's CPU. What exists before
    the drain is frozen (left out of every sweep) and unfrozen after it, so a
    cycle among older objects is found by the first sweep after the drain
    instead of during it. Two drains at once only unfreeze early.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


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
