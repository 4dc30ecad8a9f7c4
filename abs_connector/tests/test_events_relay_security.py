import shutil
import tempfile
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import config, mute_logger

from .mqtt_broker import MosquittoBroker, make_throwaway_ca
from .test_events_relay import RELAY_LOGGER, RelayCase

RELAY_USER, RELAY_PASSWORD = "abs-relay", "relay-password-for-tests"
READER, READER_PASSWORD = "integration", "reader-password-for-tests"


class SecuredBrokerCase(RelayCase):
    """A broker that refuses anonymous clients; the relay writes, the test's reader reads."""

    @classmethod
    def acl(cls):
        return f"user {RELAY_USER}\ntopic write {cls.prefix}/#\nuser {READER}\ntopic read {cls.prefix}/#"

    @classmethod
    def relay_options(cls):
        return {"abs_mqtt_username": RELAY_USER, "abs_mqtt_password": RELAY_PASSWORD}

    @classmethod
    def subscriber_options(cls):
        return {"username": READER, "password": READER_PASSWORD}

    def assertPublishedOnlyWith(self, options):
        """A new customer's event reaches the reader with these relay settings, and stays
        queued (not failed, not lost) with a wrong password."""
        with (
            self.patch_config({**options, "abs_mqtt_password": "not the password"}),
            mute_logger(RELAY_LOGGER),
        ):
            customer = self.make_customer(self.tree.branch, self.tree.jean)
            self.publish_committed()
        queued = self.events_of(customer)
        self.assertEqual(queued.mapped("state"), ["pending"])
        self.assertEqual(queued.mapped("attempts"), [0], "a refused connection is not the event's fault")
        self.assertEqual(self.subscriber.settle(quiet=0.3), [])

        self.Outbox._cron_relay()  # the retry cron, now with the right password
        received = self.subscriber.wait_for(1)
        self.assertEqual([payload["id"] for _topic, payload in received], queued.mapped("event_uuid"))
        self.env.invalidate_all()
        self.assertEqual(queued.mapped("state"), ["sent"])

    def patch_config(self, options):
        return patch.dict(config.options, options)


@tagged("post_install", "-at_install", "abs_events")
class TestRelayWithPassword(SecuredBrokerCase):
    @classmethod
    def make_broker(cls):
        users = {RELAY_USER: RELAY_PASSWORD, READER: READER_PASSWORD}
        return MosquittoBroker(users=users, acl=cls.acl())

    def test_relay_signs_in_with_the_configured_username_and_password(self):
        self.assertPublishedOnlyWith({})


@tagged("post_install", "-at_install", "abs_events")
class TestRelayOverTls(SecuredBrokerCase):
    @classmethod
    def make_broker(cls):
        cls.ca_directory = tempfile.mkdtemp(prefix="abs-test-ca-")
        cls.addClassCleanup(shutil.rmtree, cls.ca_directory, ignore_errors=True)
        cls.ca_cert, cert, key = make_throwaway_ca(cls.ca_directory)
        users = {RELAY_USER: RELAY_PASSWORD, READER: READER_PASSWORD}
        return MosquittoBroker(users=users, acl=cls.acl(), tls=(cert, key))

    @classmethod
    def relay_options(cls):
        return {**super().relay_options(), "abs_mqtt_tls": "True", "abs_mqtt_tls_ca_certs": str(cls.ca_cert)}

    @classmethod
    def subscriber_options(cls):
        return {**super().subscriber_options(), "ca_certs": str(cls.ca_cert)}

    def test_relay_publishes_over_tls_verified_against_the_configured_ca(self):
        self.assertPublishedOnlyWith({})

    def test_relay_refuses_a_broker_it_cannot_verify_and_keeps_the_events(self):
        # the system CAs never signed the throwaway CA: no connection, nothing lost
        with self.patch_config({"abs_mqtt_tls_ca_certs": ""}), mute_logger(RELAY_LOGGER):
            customer = self.make_customer(self.tree.branch, self.tree.jean)
            self.publish_committed()
        self.assertEqual(self.events_of(customer).mapped("state"), ["pending"])
        self.assertEqual(self.subscriber.settle(quiet=0.3), [])
        self.Outbox._cron_relay()
        self.assertEqual(len(self.subscriber.wait_for(1)), 1)

    def test_relay_without_tls_cannot_talk_to_a_tls_listener(self):
        with self.patch_config({"abs_mqtt_tls": "False"}), mute_logger(RELAY_LOGGER):
            customer = self.make_customer(self.tree.branch, self.tree.jean)
            self.publish_committed()
        self.assertEqual(self.events_of(customer).mapped("state"), ["pending"])
        self.Outbox._cron_relay()
        self.assertEqual(len(self.subscriber.wait_for(1)), 1)
