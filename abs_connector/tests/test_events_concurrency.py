"""Several relays at once, on real separate database connections.

These tests need committed rows that two connections can see and lock, so
they write their own events through their own cursors, commit them, and
delete them afterwards. The test transaction itself is left untouched.
"""

import socket
import threading
import time
import uuid
from contextlib import closing
from unittest.mock import patch

from psycopg2 import OperationalError

from odoo import SUPERUSER_ID, api, fields
from odoo.modules.registry import DummyRLock, Registry
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, tagged
from odoo.tools import config, mute_logger

from ..governance import events
from ..governance.relay import MqttPublisher
from ..relay_after_commit import drain_database, schedule_relay
from .mqtt_broker import MosquittoBroker, MqttSubscriber

# Subject ids far above anything a test database holds: these rows never
# collide with real customers, and cleanup finds exactly them.
SUBJECT_BASE = 2_000_000_000
RELAY_LOGGER = "odoo.addons.abs_connector.models.abs_mqtt_relay"


@tagged("post_install", "-at_install", "abs_events")
class TestConcurrentRelays(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.prefix = f"abs-test/{uuid.uuid4().hex[:8]}"
        cls.broker = MosquittoBroker()
        cls.addClassCleanup(cls.broker.cleanup)
        cls.broker.start()
        cls.settings = {
            "abs_mqtt_host": "127.0.0.1",
            "abs_mqtt_port": str(cls.broker.port),
            "abs_mqtt_topic_prefix": cls.prefix,
            "abs_mqtt_connect_timeout": "2",
            "abs_event_batch_size": "7",  # many small rounds: many chances to collide
        }
        cls.startClassPatcher(patch.dict(config.options, cls.settings))
        # The test runner holds Registry._lock for the whole run (server.run ->
        # preload_registries) and every new Environment takes it, so relay
        # threads would wait forever; a serving Odoo does not hold it. HttpCase
        # swaps the lock the same way when it enters test mode.
        cls.startClassPatcher(patch.object(Registry, "_lock", DummyRLock()))
        cls.dbname = cls.env.cr.dbname

    def setUp(self):
        super().setUp()
        self.addCleanup(self._delete_own_rows)

    def _cursor(self):
        return db_connect(self.dbname).cursor()

    def _delete_own_rows(self):
        with closing(self._cursor()) as cr:
            cr.execute("DELETE FROM abs_event_outbox WHERE subject_id >= %s", [SUBJECT_BASE])
            # Its own connection, not the test's: the rows it removes were committed.
            cr.commit()  # pylint: disable=invalid-commit

    def _commit_backlog(self, subjects, per_subject):
        """Commit ``subjects * per_subject`` events, interleaved like real traffic."""
        with closing(self._cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            vals = []
            for seq in range(per_subject):
                for subject in range(subjects):
                    envelope = events.build_envelope(
                        "customer.updated",
                        1,
                        "res.partner",
                        SUBJECT_BASE + subject,
                        data={"changed": {"ref": f"{subject}:{seq}"}},
                    )
                    vals.append(
                        {
                            "event_uuid": envelope["id"],
                            "event_type": "customer.updated",
                            "sa_ref": 1,
                            "subject_model": "res.partner",
                            "subject_id": SUBJECT_BASE + subject,
                            "occurred_at": fields.Datetime.now(),
                            "payload": events.encode(envelope).decode(),
                        }
                    )
            env["abs.event.outbox"].create(vals)
            # Other connections (the relays) must see these rows.
            cr.commit()  # pylint: disable=invalid-commit
        return len(vals)

    def _states(self):
        with closing(self._cursor()) as cr:
            cr.execute(
                "SELECT state, count(*) FROM abs_event_outbox WHERE subject_id >= %s GROUP BY state",
                [SUBJECT_BASE],
            )
            return dict(cr.fetchall())

    def assertEachSubjectInOrder(self, received):
        """Each subject's events (``ref`` "subject:sequence") arrived in the order they were written."""
        by_subject = {}
        for _topic, payload in received:
            subject, seq = payload["data"]["changed"]["ref"].split(":")
            by_subject.setdefault(subject, []).append(int(seq))
        for subject, sequence in by_subject.items():
            self.assertEqual(sequence, sorted(sequence), f"subject {subject} out of order")

    def test_a_second_relay_skips_events_locked_by_the_first_and_their_successors(self):
        self._commit_backlog(subjects=5, per_subject=3)
        with closing(self._cursor()) as cr_a, closing(self._cursor()) as cr_b:
            outbox_a = api.Environment(cr_a, SUPERUSER_ID, {})["abs.event.outbox"]
            outbox_b = api.Environment(cr_b, SUPERUSER_ID, {})["abs.event.outbox"]
            own_a = [row for row in outbox_a._lock_publishable(1000) if self._is_own(cr_a, row["id"])]
            # Relay A holds the oldest event of each of the 5 subjects.
            self.assertEqual(len(own_a), 5)
            # Without SKIP LOCKED, B would wait for A: make that an error, not a hang.
            cr_b.execute("SET lock_timeout = '2s'")
            started = time.monotonic()
            locked_b = [row for row in outbox_b._lock_publishable(1000) if self._is_own(cr_b, row["id"])]
            self.assertLess(time.monotonic() - started, 2, "SKIP LOCKED: relay B does not wait for A")
            # B gets neither A's events nor the later events of the same subjects.
            self.assertEqual(locked_b, [])
            cr_a.rollback()
            # Once A is gone (crashed before marking anything), B takes over the heads.
            taken_over = [r for r in outbox_b._lock_publishable(1000) if self._is_own(cr_b, r["id"])]
            self.assertEqual(len(taken_over), 5)
            cr_b.rollback()

    def _is_own(self, cr, event_id):
        cr.execute("SELECT subject_id >= %s FROM abs_event_outbox WHERE id = %s", [SUBJECT_BASE, event_id])
        return cr.fetchone()[0]

    def test_two_relays_draining_together_publish_each_event_once_in_subject_order(self):
        total = self._commit_backlog(subjects=20, per_subject=10)
        with MqttSubscriber(self.broker.port, f"{self.prefix}/#") as subscriber:
            barrier = threading.Barrier(2)
            errors = []

            def relay():
                try:
                    barrier.wait()
                    drain_database(self.dbname)
                except Exception as exc:  # reported by the assertion below
                    errors.append(exc)

            threads = [threading.Thread(target=relay) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            # Anything a relay left (e.g. it found nothing to lock while the other
            # held everything) is picked up by the next run, as the cron would.
            drain_database(self.dbname)
            received = subscriber.wait_for(total, timeout=30)
            received = [p for p in subscriber.settle(quiet=0.5) if p[1]["subject"]["id"] >= SUBJECT_BASE]
        self.assertEqual(errors, [])
        ids = [payload["id"] for _t, payload in received]
        self.assertEqual(len(ids), total)
        self.assertEqual(len(set(ids)), total, "no event is published twice")
        self.assertEachSubjectInOrder(received)
        self.assertEqual(self._states(), {"sent": total})

    def test_a_round_larger_than_the_brokers_window_goes_out_whole_each_subject_in_order(self):
        # The broker lets 5 messages wait for their PUBACK at once (its MQTT 5 receive
        # maximum) and a round holds 40 events: each round is sent in two parts, the
        # previous round recorded and the next one locked in between.
        total = self._commit_backlog(subjects=60, per_subject=4)  # 60 heads: full rounds of 40
        broker = MosquittoBroker(
            config="listener {port} 127.0.0.1\nallow_anonymous true\nmax_inflight_messages 5\n"
        )
        self.addCleanup(broker.cleanup)
        broker.start()
        sends = []
        send = MqttPublisher.send

        def recorded_send(publisher, messages, batch=None):
            sends.append((len(messages), batch is not None, publisher.window))
            return send(publisher, messages, batch)

        small_window = {"abs_mqtt_port": str(broker.port), "abs_event_batch_size": "40"}
        with (
            patch.dict(config.options, small_window),
            patch.object(MqttPublisher, "send", recorded_send),
            MqttSubscriber(broker.port, f"{self.prefix}/#") as subscriber,
        ):
            published = drain_database(self.dbname)
            subscriber.wait_for(total, timeout=30)
            received = [p for p in subscriber.settle(quiet=0.5) if p[1]["subject"]["id"] >= SUBJECT_BASE]
        self.assertIn((5, False, 5), sends, "a round's first window")
        self.assertIn((35, True, 5), sends, "the rest of the same round")
        self.assertGreaterEqual(published, total)
        self.assertEqual(self._states(), {"sent": total})
        self.assertEqual(len({payload["id"] for _t, payload in received}), total, "each event once")
        self.assertEachSubjectInOrder(received)

    def test_a_round_that_cannot_be_recorded_stops_the_drain_and_its_events_are_published_again(self):
        total = self._commit_backlog(subjects=60, per_subject=2)
        outbox_class = type(self.env["abs.event.outbox"])
        failure = OperationalError("the database went away while recording a round")
        with (
            patch.dict(config.options, {"abs_event_batch_size": "20"}),
            patch.object(outbox_class, "_relay_record", side_effect=failure),
            self.assertRaises(OperationalError),
        ):
            drain_database(self.dbname)
        self.assertEqual(self._states(), {"pending": total}, "nothing marked sent, nothing lost")
        with patch.dict(config.options, {"abs_event_batch_size": "20"}):
            drain_database(self.dbname)
        self.assertEqual(self._states(), {"sent": total})

    def test_after_commit_hook_returns_at_once_even_if_the_broker_never_answers(self):
        self._commit_backlog(subjects=1, per_subject=1)
        # A "broker" that accepts TCP connections and then never says a word.
        with socket.socket() as tarpit:
            tarpit.bind(("127.0.0.1", 0))
            tarpit.listen(8)
            tarpit.settimeout(10)
            silent = {
                "abs_mqtt_port": str(tarpit.getsockname()[1]),
                "abs_mqtt_connect_timeout": "3",
                # a running server, not this test run's install-and-stop process
                "stop_after_init": False,
            }
            with patch.dict(config.options, silent), mute_logger(RELAY_LOGGER):
                started = time.monotonic()
                schedule_relay(self.dbname)()  # what cr.commit() runs in the request
                self.assertLess(time.monotonic() - started, 0.5, "the request is not held up by the broker")
                connection, _address = tarpit.accept()  # the relay did try, in the background
                connection.close()
                time.sleep(3.5)  # let the background relay give up before the settings are restored
        self.assertEqual(self._states(), {"pending": 1}, "nothing lost: the event waits for the cron")

    def test_broker_restart_mid_drain_loses_nothing_and_keeps_each_subject_in_order(self):
        total = self._commit_backlog(subjects=400, per_subject=5)
        # A broker that keeps the durable subscriber's session and queue across its restart.
        broker = MosquittoBroker(persistence=True)
        self.addCleanup(broker.cleanup)
        broker.start()
        restarted = {"abs_mqtt_port": str(broker.port), "abs_event_retry_base": "1"}
        with (
            patch.dict(config.options, restarted),
            MqttSubscriber(
                broker.port, f"{self.prefix}/#", durable=True, client_id=uuid.uuid4().hex
            ) as subscriber,
            mute_logger(RELAY_LOGGER),
        ):
            relay = threading.Thread(target=drain_database, args=(self.dbname,))
            relay.start()
            subscriber.wait_for(20, timeout=30)
            broker.stop()  # while batches are in flight
            time.sleep(0.3)
            broker.start()
            relay.join(timeout=60)
            deadline = time.monotonic() + 60
            while self._states().get("sent", 0) < total and time.monotonic() < deadline:
                time.sleep(1.1)  # the retry delay of the events the restart cut off
                drain_database(self.dbname)
            subscriber.wait_for(total, timeout=30)
            received = [p for p in subscriber.settle(quiet=0.5) if p[1]["subject"]["id"] >= SUBJECT_BASE]
        self.assertEqual(self._states(), {"sent": total}, "every event marked sent once acknowledged")
        with closing(self._cursor()) as cr:
            cr.execute(
                "SELECT count(*) FROM abs_event_outbox WHERE subject_id >= %s AND attempts > 0",
                [SUBJECT_BASE],
            )
            self.assertGreater(cr.fetchone()[0], 0, "the restart cut off events in flight")
        self.assertEqual(len({payload["id"] for _t, payload in received}), total, "nothing lost")
        # QoS 1 may repeat an event whose PUBACK the restart cut off, never overtake it.
        self.assertEachSubjectInOrder(received)
