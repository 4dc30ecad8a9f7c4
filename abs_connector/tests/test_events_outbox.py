"""The outbox: events written in the same transaction as the change, payloads
that match their published schema, back office retry, vacuum, settings."""

import json
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import config, mute_logger

from ..governance import events
from .common import AbsGovernanceCase


class RequestFailed(Exception):
    """The rest of a request failing after the governed change was made."""


@tagged("post_install", "-at_install", "abs_events")
class TestEventOutbox(AbsGovernanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # No broker: the outbox must work (and nothing fail) without one.
        cls.startClassPatcher(patch.dict(config.options, {"abs_mqtt_host": ""}))
        cls.tree = cls.make_sa_tree()
        cls.Outbox = cls.env["abs.event.outbox"]

    def _outbox_rows_in_db(self, event_uuid):
        """What the database holds right now, bypassing the ORM cache."""
        self.env.flush_all()
        self.env.cr.execute("SELECT state, payload FROM abs_event_outbox WHERE event_uuid = %s", [event_uuid])
        return self.env.cr.fetchall()

    def test_customer_creation_writes_its_event_in_the_same_transaction(self):
        customer = self.make_customer(self.tree.branch, self.tree.jean)
        event = self.events("customer.created", customer)
        self.assertEqual(len(event), 1)
        # The row is in this very transaction (no commit happened), pending.
        rows = self._outbox_rows_in_db(event.event_uuid)
        self.assertEqual(len(rows), 1)
        state, payload = rows[0]
        self.assertEqual(state, "pending")
        envelope = json.loads(payload)
        self.assertEqual(events.schema_errors(envelope), [])
        self.assertEqual(envelope["sa_id"], self.tree.branch.id)
        self.assertEqual(envelope["subject"], {"model": "res.partner", "id": customer.id})
        self.assertEqual(envelope["actor"]["partner_id"], self.tree.jean.id)
        self.assertEqual(envelope["actor"]["employee_id"], self.tree.jean_membership.employee_id.id)
        self.assertEqual(envelope["data"]["name"], customer.name)

    def test_change_rolled_back_to_a_savepoint_leaves_no_event(self):
        before = self.Outbox.search_count([])
        with self.assertRaises(RequestFailed), self.env.cr.savepoint():
            self.make_customer(self.tree.branch, self.tree.jean, name="Never Committed")
            self.assertEqual(self.Outbox.search_count([]), before + 1)
            raise RequestFailed
        self.env.invalidate_all()
        self.assertEqual(self.Outbox.search_count([]), before)

    def test_every_lifecycle_method_emits_an_event_that_passes_its_schema(self):
        tree = self.tree
        customer = self.make_customer(tree.branch, tree.jean)
        customer._abs_update_governed_customer(
            {"phone": "+228 90 000 002", "city": "Lomé"}, tree.branch, tree.jean
        )
        product = self.env["product.product"].create({"name": "Outbox Lamp", "list_price": 10.0})
        Order = self.env["sale.order"]
        order = Order._abs_create_quotation(tree.branch, customer, [(product.id, 1)], tree.jean)
        order._abs_confirm(tree.branch, tree.alice)
        order._abs_create_invoice(tree.branch, tree.alice)
        Order._abs_create_quotation(tree.branch, customer, [(product.id, 2)], tree.jean)._abs_cancel(
            tree.branch, tree.jean
        )
        self.env["ov.sa_customer_assignment"]._abs_reassign(customer, tree.branch, tree.kwame, tree.alice)
        tree.kwame_membership._abs_revoke(tree.alice)
        customer._abs_archive_governed_customer(tree.branch, tree.alice)
        tree.jean_membership._abs_suspend(tree.alice)
        tree.jean_membership._abs_reinstate(tree.alice)
        tree.jean_membership.write({"scope_policy": "assigned_only"})
        tree.sub_branch.write({"name": "Lomé Team (renamed)"})
        tree.sub_branch.action_set_inactive()
        self.make_customer(tree.branch, tree.alice)._abs_erase_governed_customer(tree.branch, tree.alice)
        emitted = self.Outbox.search([("subject_id", "!=", 0)], order="id")
        types = set(emitted.mapped("event_type"))
        self.assertLessEqual(set(events.EVENT_TYPES), types, "each type is emitted by a lifecycle method")
        for event in emitted:
            with self.subTest(event=event.event_type):
                self.assertEqual(events.schema_errors(json.loads(event.payload)), [])
        assigned = json.loads(self.events("customer.assigned", customer).payload)
        self.assertEqual(assigned["data"]["from_actor_id"], tree.jean.id)
        self.assertEqual(assigned["data"]["to_actor_id"], tree.kwame.id)
        self.assertEqual(assigned["actor"]["partner_id"], tree.alice.id)
        updated = json.loads(self.events("customer.updated", customer).payload)
        self.assertEqual(updated["data"]["changed"], {"phone": "+228 90 000 002", "city": "Lomé"})

    def test_emit_refuses_a_payload_that_breaks_its_schema_and_writes_nothing(self):
        customer = self.make_customer(self.tree.branch, self.tree.jean)
        before = self.Outbox.search_count([])
        with self.assertRaisesRegex(ValueError, "to_actor_id"):
            self.Outbox._emit(
                "customer.assigned",
                self.tree.branch,
                customer,
                self.tree.alice,
                {"from_actor_id": self.tree.jean.id},
            )
        with self.assertRaisesRegex(ValueError, "subject.model"):
            self.Outbox._emit(
                "membership.revoked", self.tree.branch, customer, None, {"membership_state": "revoked"}
            )
        with self.assertRaisesRegex(ValueError, "Unknown event type"):
            self.Outbox._emit("customer.deleted", self.tree.branch, customer)
        with self.assertRaisesRegex(ValueError, "Service Account"):
            self.Outbox._emit("customer.archived", self.env["ov.serviced_account"], customer)
        self.assertEqual(self.Outbox.search_count([]), before)

    def test_emit_never_writes_secrets_into_the_payload(self):
        customer = self.make_customer(self.tree.branch, self.tree.jean)
        event = self.Outbox._emit(
            "customer.updated",
            self.tree.branch,
            customer,
            self.tree.jean,
            {
                "changed": {"phone": "1", "password": "hunter2"},
                "api_key": "k",
                "access_token": "t",
            },
        )
        self.assertNotIn("hunter2", event.payload)
        self.assertEqual(json.loads(event.payload)["data"], {"changed": {"phone": "1"}})

    def test_system_action_has_an_empty_actor(self):
        customer = self.make_customer(self.tree.branch, self.tree.jean)
        event = self.Outbox._emit("customer.archived", self.tree.branch, customer, None, {})
        self.assertEqual(json.loads(event.payload)["actor"], {"partner_id": None, "employee_id": None})

    def test_one_relay_callback_per_transaction_however_many_events(self):
        postcommit = self.env.cr.postcommit
        postcommit.clear()  # a fresh transaction (setUp restores the previous state afterwards)
        self.make_customer(self.tree.branch, self.tree.jean)
        self.make_customer(self.tree.branch, self.tree.jean)
        self.assertEqual(len(postcommit._funcs), 1)
        self.assertTrue(postcommit.data.get("abs_event_relay"))

    def test_without_broker_events_accumulate_and_after_commit_nothing_fails(self):
        customer = self.make_customer(self.tree.branch, self.tree.jean)
        self.env.flush_all()
        self.env.cr.postcommit.run()  # what a real commit does next: no broker, no error
        self.assertEqual(self.env["abs.mqtt.relay"]._drain(), 0)
        self.env.invalidate_all()
        self.assertEqual(self.events("customer.created", customer).state, "pending")

    def test_system_parameter_overrides_odoo_conf_and_bad_value_names_the_key(self):
        relay = self.env["abs.mqtt.relay"]
        self.assertEqual(relay._settings().topic_prefix, f"abs/{self.env.cr.dbname}")
        ICP = self.env["ir.config_parameter"].sudo()
        ICP.set_param("abs_connector.mqtt_topic_prefix", "tenant-7/abs/")
        self.assertEqual(relay._settings().topic_prefix, "tenant-7/abs")
        customer = self.make_customer(self.tree.branch, self.tree.jean)
        event = self.events("customer.created", customer)
        self.assertEqual(event.topic, f"tenant-7/abs/sa/{self.tree.branch.id}/customer.created")
        ICP.set_param("abs_connector.mqtt_host", "127.0.0.1")
        ICP.set_param("abs_connector.mqtt_port", "eighty")
        with self.assertRaisesRegex(events.EventError, "abs_mqtt_port"):
            relay._settings()
        # The relay logs the unusable setting and keeps the events; it never raises.
        with mute_logger("odoo.addons.abs_connector.models.abs_mqtt_relay"):
            self.assertEqual(relay._drain(), 0)
        self.assertEqual(event.state, "pending")

    # ---- back office ----

    def _park(self, event, attempts=8, error="broker refused the message: Not authorized"):
        self.env.cr.execute(
            "UPDATE abs_event_outbox SET state = 'failed', attempts = %s, last_error = %s WHERE id = %s",
            [attempts, error, event.id],
        )
        event.invalidate_recordset()

    def test_retry_puts_a_parked_event_back_in_the_queue(self):
        customer = self.make_customer(self.tree.branch, self.tree.jean)
        event = self.events("customer.created", customer)
        self._park(event)
        event.action_retry()
        self.assertRecordValues(event, [{"state": "pending", "attempts": 0, "next_attempt_at": False}])

    def test_retry_refuses_events_that_are_not_failed(self):
        customer = self.make_customer(self.tree.branch, self.tree.jean)
        with self.assertRaisesRegex(UserError, "Only failed events"):
            self.events("customer.created", customer).action_retry()

    def test_governance_user_cannot_see_or_retry_events(self):
        customer = self.make_customer(self.tree.branch, self.tree.jean)
        event = self.events("customer.created", customer)
        self._park(event)
        user = new_test_user(self.env, "abs_events_viewer", groups="abs_connector.group_abs_governance_user")
        with self.assertRaises(AccessError):
            event.with_user(user).read(["payload"])
        manager = new_test_user(
            self.env, "abs_events_manager", groups="abs_connector.group_abs_governance_manager"
        )
        event.with_user(manager).action_retry()
        self.assertEqual(event.state, "pending")

    def test_vacuum_deletes_only_sent_events_older_than_the_retention(self):
        customers = [self.make_customer(self.tree.branch, self.tree.jean) for _ in range(4)]
        old_sent, new_sent, old_pending, old_failed = (self.events("customer.created", c) for c in customers)
        now = fields.Datetime.now()
        for event, state, sent_at in (
            (old_sent, "sent", now - timedelta(days=31)),
            (new_sent, "sent", now - timedelta(days=29)),
            (old_pending, "pending", None),
            (old_failed, "failed", None),
        ):
            self.env.cr.execute(
                "UPDATE abs_event_outbox SET state = %s, sent_at = %s, occurred_at = %s " "WHERE id = %s",
                [state, sent_at, now - timedelta(days=60), event.id],
            )
        self.env["ir.config_parameter"].sudo().set_param("abs_connector.event_retention_days", "30")
        self.assertEqual(self.Outbox._cron_vacuum(), 1)
        self.assertFalse(old_sent.exists())
        kept = new_sent | old_pending | old_failed
        self.assertEqual(kept.exists(), kept)

    def test_back_office_lists_failed_events_under_the_governance_menu(self):
        menu = self.env.ref("abs_connector.abs_event_outbox_menu")
        self.assertEqual(menu.parent_id, self.env.ref("abs_connector.abs_governance_menu_root"))
        action = self.env.ref("abs_connector.abs_event_outbox_action")
        self.assertEqual(menu.action, action)
        self.assertIn("search_default_filter_failed", action.context)
        views = self.Outbox.get_views([(False, "list"), (False, "form"), (False, "search")])["views"]
        self.assertIn('name="action_retry"', views["list"]["arch"])
        self.assertIn('name="action_retry"', views["form"]["arch"])
        self.assertIn('name="filter_failed"', views["search"]["arch"])

    def test_crons_are_installed_and_active(self):
        relay_cron = self.env.ref("abs_connector.ir_cron_abs_event_relay")
        vacuum_cron = self.env.ref("abs_connector.ir_cron_abs_event_vacuum")
        self.assertTrue(relay_cron.active and vacuum_cron.active)
        self.assertEqual((relay_cron.interval_number, relay_cron.interval_type), (1, "minutes"))
        # The crons' code runs without a broker and without error.
        relay_cron.method_direct_trigger()
        vacuum_cron.method_direct_trigger()
