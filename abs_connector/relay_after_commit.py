"""Publishing after commit: one background thread per process drains the outbox.

Plain Python beside the models: the relay model (``models/abs_mqtt_relay.py``)
owns what one drain does; this module owns when it runs and in which thread.
``schedule_relay`` is the ``cr.postcommit`` callback the outbox registers
(docs/adr/0007-events-outbox.md).
"""

import logging
import os
import threading

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tools import config

_logger = logging.getLogger(__name__)


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
    registry shares one cursor between threads, so the drain runs inline; in a
    process that stops after init (install, upgrade) nothing starts.
    """

    def _relay_after_commit():
        try:
            if Registry(dbname).in_test_mode():
                drain_database(dbname)
            elif not config["stop_after_init"]:
                _WAKER.request(dbname)
            # else: an install or upgrade run exits right after; a thread would race the
            # shutdown that closes its cursor. The server's retry cron publishes instead.
        except Exception:
            _logger.exception("Could not start the MQTT relay for %s; the retry cron will publish", dbname)

    return _relay_after_commit
