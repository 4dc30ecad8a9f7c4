"""The relay against a real Mosquitto started by the tests (never a mock).

The registry is put in test mode (as HttpCase does) so the relay's own
cursors share the test transaction; ``cr.postcommit.run()`` plays the part of
a real commit.
"""

import uuid
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import config, mute_logger

from ..governance import events
from .common import AbsGovernanceCase
from .mqtt_broker import MosquittoBroker, MqttSubscriber
from .test_events_outbox import RequestFailed

RELAY_LOGGER = "odoo.addons.abs_connector.models.abs_mqtt_relay"


class RelayCase(AbsGovernanceCase):
    """A broker, relay settings pointing at it, and helpers to commit and listen."""

    deny_publish = ()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.prefix = f"abs-test/{uuid.uuid4().hex[:8]}"
        cls.broker = cls.make_broker()
        cls.addClassCleanup(cls.broker.cleanup)
        cls.broker.start()
        cls.startClassPatcher(
            patch.dict(
                config.options,
                {
                    "abs_mqtt_host": "127.0.0.1",
                    "abs_mqtt_port": str(cls.broker.port),
                    "abs_mqtt_topic_prefix": cls.prefix,
                    "abs_mqtt_client_id": "abs-test-relay",
                    "abs_mqtt_connect_timeout": "2",
                    "abs_mqtt_ack_timeout": "5",
                    "abs_mqtt_username": "",
                    "abs_mqtt_password": "",
                    **cls.relay_options(),
                },
            )
        )
        cls.registry.enter_test_mode(cls.cr)
        cls.addClassCleanup(cls.registry.leave_test_mode)
        cls.Outbox = cls.env["abs.event.outbox"]
        cls.tree = cls.make_sa_tree()

    @classmethod
    def make_broker(cls):
        return MosquittoBroker(deny_publish=[p.format(prefix=cls.prefix) for p in cls.deny_publish])

    @classmethod
    def relay_options(cls):
        """odoo.conf keys of the relay for this class's broker."""
        return {}

    @classmethod
    def subscriber_options(cls):
        """How the test's subscriber connects to this class's broker."""
        return {}

    def setUp(self):
        super().setUp()
        self.publish_committed()  # events of setUpClass are not this test's business
        self.subscriber = self.listen()

    def listen(self):
        subscriber = MqttSubscriber(self.broker.port, f"{self.prefix}/#", **self.subscriber_options())
        subscriber.__enter__()
        self.addCleanup(subscriber.__exit__, None, None, None)
        return subscriber

    def publish_committed(self):
        """What a real commit does: flush, then run the after-commit hooks."""
        self.env.flush_all()
        self.env.cr.postcommit.run()
        self.env.invalidate_all()

    def events_of(self, subject):
        return self.Outbox.search(
            [("subject_model", "=", subject._name), ("subject_id", "=", subject.id)], order="id"
        )

    def assertValidEvent(self, topic, payload):
        self.assertEqual(events.schema_errors(payload), [], payload)
        self.assertEqual(topic, events.build_topic(self.prefix, payload["sa_id"], payload["type"]))


@tagged("post_install", "-at_install", "abs_events")
class TestRelayDelivery(RelayCase):
    def test_lifecycle_events_arrive_with_payloads_that_pass_their_schema(self):
        tree = self.tree
        customer = self.make_customer(tree.branch, tree.jean)
        customer._abs_update_governed_customer({"city": "Lomé"}, tree.branch, tree.jean)
        self.env["ov.sa_customer_assignment"]._abs_reassign(customer, tree.branch, tree.kwame, tree.alice)
        tree.kwame_membership._abs_revoke(tree.alice)
        customer._abs_archive_governed_customer(tree.branch, tree.alice)
        newcomer = self.make_member(tree.branch, "agent")
        queued = self.Outbox.search([("state", "=", "pending")], order="id")
        self.publish_committed()

        received = self.subscriber.wait_for(len(queued))
        self.assertEqual(sorted(p["id"] for _t, p in received), sorted(queued.mapped("event_uuid")))
        # Across subjects the relay may interleave; one subject's events keep their order.
        subject = {"model": "res.partner", "id": customer.id}
        customer_events = [p["id"] for _t, p in received if p["subject"] == subject]
        self.assertEqual(customer_events, self.events_of(customer).mapped("event_uuid"))
        for topic, payload in received:
            with self.subTest(event=payload["type"]):
                self.assertValidEvent(topic, payload)
        by_type = {payload["type"]: payload for _topic, payload in received}
        for required in (
            "customer.created",
            "customer.updated",
            "customer.assigned",
            "customer.unassigned",
            "customer.archived",
            "membership.enrolled",
            "membership.revoked",
        ):
            self.assertIn(required, by_type)
        self.assertEqual(
            by_type["customer.unassigned"]["subject"], {"model": "res.partner", "id": customer.id}
        )
        self.assertEqual(
            by_type["membership.enrolled"]["subject"], {"model": "ov.membership", "id": newcomer.id}
        )
        self.assertEqual(set(queued.mapped("state")), {"sent"})
        self.assertTrue(all(queued.mapped("sent_at")))

    def test_rolled_back_change_publishes_nothing(self):
        with self.assertRaises(RequestFailed), self.registry.cursor() as cr:
            env = self.env(cr=cr)
            env["res.partner"]._abs_create_governed_customer(
                self.tree.branch.with_env(env),
                {"name": "Rolled Back"},
                self.tree.jean.with_env(env),
                portal_access=False,
            )
            raise RequestFailed
        self.publish_committed()
        self.env["abs.event.outbox"]._cron_relay()
        # A committed change published afterwards proves the pipe works and bounds the wait.
        marker = self.make_customer(self.tree.branch, self.tree.jean, name="Committed Marker")
        self.publish_committed()
        received = self.subscriber.wait_for(1)
        self.assertEqual(
            [payload["data"]["name"] for _t, payload in self.subscriber.settle(quiet=0.3)], [marker.name]
        )
        self.assertFalse(self.Outbox.search([("payload", "ilike", "Rolled Back")]))
        self.assertEqual(len(received), 1)

    def test_broker_outage_delays_five_changes_then_they_arrive_in_order_exactly_once(self):
        customer = self.make_customer(self.tree.branch, self.tree.jean)
        self.publish_committed()
        self.subscriber.wait_for(1)
        self.broker.stop()
        phones = [f"+228 90 000 10{i}" for i in range(5)]
        with mute_logger(RELAY_LOGGER):
            for phone in phones:  # five requests, each committed while the broker is down
                customer._abs_update_governed_customer({"phone": phone}, self.tree.branch, self.tree.jean)
                self.publish_committed()
        queued = self.events("customer.updated", customer)
        self.assertEqual(queued.mapped("state"), ["pending"] * 5)
        self.assertEqual(queued.mapped("attempts"), [0] * 5, "an outage is not the events' fault")

        self.broker.start()
        subscriber = self.listen()
        self.Outbox._cron_relay()  # the retry cron after the broker came back
        received = subscriber.wait_for(5)
        self.assertEqual([payload["data"]["changed"]["phone"] for _t, payload in received], phones)
        self.assertEqual([payload["id"] for _t, payload in received], queued.mapped("event_uuid"))
        self.Outbox._cron_relay()  # nothing left: a second run publishes nothing again
        self.assertEqual(len(subscriber.settle(quiet=0.5)), 5)
        self.env.invalidate_all()
        self.assertEqual(queued.mapped("state"), ["sent"] * 5)

    def test_restart_between_commit_and_publish_loses_nothing(self):
        customer = self.make_customer(self.tree.branch, self.tree.jean)
        self.env.flush_all()
        # The process dies right after COMMIT: its after-commit hook never runs
        # (it lived only in that process's memory); the row is in the database.
        self.env.cr.postcommit.clear()
        self.env.invalidate_all()
        self.assertEqual(self.subscriber.settle(quiet=0.3), [])
        # The restarted server's cron runs with a fresh cursor and environment.
        with self.registry.cursor() as cr:
            self.env(cr=cr)["abs.event.outbox"]._cron_relay()
        received = self.subscriber.wait_for(1)
        self.assertEqual([payload["subject"]["id"] for _t, payload in received], [customer.id])
        self.assertEqual(self.events("customer.created", customer).state, "sent")

    def test_later_event_of_a_customer_waits_for_its_earlier_unsent_event(self):
        first, other = (self.make_customer(self.tree.branch, self.tree.jean) for _ in range(2))
        first._abs_update_governed_customer({"city": "Kara"}, self.tree.branch, self.tree.jean)
        created, updated = self.events("customer.created", first), self.events("customer.updated", first)
        # The first event of `first` is backing off after a failure.
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE abs_event_outbox SET attempts = 1, "
            "next_attempt_at = (now() AT TIME ZONE 'UTC') + interval '1 hour' WHERE id = %s",
            [created.id],
        )
        self.Outbox._cron_relay()
        self.assertEqual([p["subject"]["id"] for _t, p in self.subscriber.settle(quiet=0.5)], [other.id])
        self.env.invalidate_all()
        self.assertEqual((created.state, updated.state), ("pending", "pending"))
        # Its back-off elapses: both go out, in the order they happened.
        self.env.cr.execute("UPDATE abs_event_outbox SET next_attempt_at = NULL WHERE id = %s", [created.id])
        self.Outbox._cron_relay()
        received = self.subscriber.wait_for(3)
        self.assertEqual([p["id"] for _t, p in received[1:]], [created.event_uuid, updated.event_uuid])


@tagged("post_install", "-at_install", "abs_events")
class TestRelayRefusedEvents(RelayCase):
    # The broker refuses customer.archived with a real PUBACK reason code (ACL).
    deny_publish = ("{prefix}/sa/+/customer.archived",)

    def test_refused_event_backs_off_is_parked_after_n_failures_and_retry_delivers_it(self):
        ICP = self.env["ir.config_parameter"].sudo()
        ICP.set_param("abs_connector.event_max_attempts", "2")
        ICP.set_param("abs_connector.event_retry_base", "60")
        customer = self.make_customer(self.tree.branch, self.tree.jean)
        customer._abs_archive_governed_customer(self.tree.branch, self.tree.alice)
        archived = self.events("customer.archived", customer)
        with mute_logger("odoo.addons.abs_connector.models.abs_event_outbox"):
            self.publish_committed()
        self.assertEqual(archived.state, "pending")
        self.assertEqual(archived.attempts, 1)
        self.assertIn("Not authorized", archived.last_error)
        self.env.cr.execute(
            "SELECT next_attempt_at - (now() AT TIME ZONE 'UTC') FROM abs_event_outbox " "WHERE id = %s",
            [archived.id],
        )
        self.assertAlmostEqual(self.env.cr.fetchone()[0].total_seconds(), 60, delta=5)

        # Back-off elapsed, refused again: parked, visible in the back office.
        self.env.cr.execute("UPDATE abs_event_outbox SET next_attempt_at = NULL WHERE id = %s", [archived.id])
        with mute_logger("odoo.addons.abs_connector.models.abs_event_outbox"):
            self.Outbox._cron_relay()
        self.env.invalidate_all()
        self.assertEqual((archived.state, archived.attempts), ("failed", 2))
        self.assertIn(archived, self.Outbox.search([("state", "=", "failed")]))

        # A later change of the same customer waits behind the parked event.
        customer._abs_unarchive_governed_customer(self.tree.branch, self.tree.alice)
        later = self.events("customer.updated", customer)
        self.publish_committed()
        self.assertEqual(later.state, "pending")

        # The cause is fixed (ACL lifted), an operator presses Retry: both arrive, in order.
        port = self.broker.port
        self.broker.stop()
        fixed = MosquittoBroker(port=port)
        self.addCleanup(fixed.cleanup)
        fixed.start()
        subscriber = MqttSubscriber(port, f"{self.prefix}/#")
        with subscriber:
            archived.action_retry()
            self.publish_committed()
            received = subscriber.wait_for(2)
        self.assertEqual([p["id"] for _t, p in received], [archived.event_uuid, later.event_uuid])
        self.assertEqual((archived.state, later.state), ("sent", "sent"))
