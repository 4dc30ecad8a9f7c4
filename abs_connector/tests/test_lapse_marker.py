"""The request gate asks one table whether a membership ended (docs/adr/0015-lapse-marker.md):
every way a settled membership could hold customers again clears its marker, so the customers
of an ended membership are still released at the next request of anyone."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged
from odoo.tools import SQL

from .. import backfill
from ..hooks import uninstall_hook
from .api_common import AbsApiCase


@tagged("post_install", "-at_install", "abs_api")
class TestLapseMarker(AbsApiCase):
    def setUp(self):
        super().setUp()
        self.marie = self.customer(actor=self.jean, name="Marie Lapsing", email="marie.lapsing@example.com")
        self.membership = self.tree.jean_membership

    # ---- helpers ----

    def settled(self, membership=None):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT abs_lapse_settled FROM ov_membership WHERE id = %s", [(membership or self.membership).id]
        )
        return self.env.cr.fetchone()[0]

    def lapse_by_time(self, membership=None):
        """``effective_to`` passes as time does: in SQL, without the ORM's write (which releases)."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE ov_membership SET effective_to = %s WHERE id = %s",
            [fields.Datetime.now() - timedelta(minutes=1), (membership or self.membership).id],
        )
        self.env.invalidate_all()

    def request_by_kwame(self):
        status, body = self.api("GET", "/api/contacts", person=self.kwame, sa=self.sa, params={"limit": 200})
        self.assertEqual(status, 200, body)
        return {item["id"] for item in body["items"]}

    def actor_of(self, customer):
        self.env.invalidate_all()
        return self.active_assignment(customer, self.sa).actor_id

    def settle_jean(self):
        self.lapse_by_time()
        self.request_by_kwame()
        self.assertTrue(self.settled(), "the request dealt with the ended membership")
        self.assertFalse(self.actor_of(self.marie))

    def insert_row(self, customer, actor):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE ov_sa_customer_assignment SET state = 'expired', date_to = now() "
            "WHERE partner_id = %s AND state = 'active'",
            [customer.id],
        )
        self.env.cr.execute(
            "INSERT INTO ov_sa_customer_assignment (account_id, partner_id, actor_id, state, date_from) "
            "VALUES (%s, %s, %s, 'active', now())",
            [self.sa.id, customer.id, actor.id or None],
        )
        self.env.invalidate_all()

    # ---- the gate ----

    def test_a_membership_ended_by_time_is_released_at_the_next_request_and_settled(self):
        self.assertFalse(self.settled())
        self.lapse_by_time()
        self.assertFalse(self.settled())

        self.assertIn(self.marie.id, self.request_by_kwame(), "unassigned: other agents see it")
        self.assertFalse(self.actor_of(self.marie))
        self.assertTrue(self.settled())
        self.assertEqual(len(self.events("customer.unassigned", self.marie)), 1)

        self.request_by_kwame()
        self.assertEqual(len(self.events("customer.unassigned", self.marie)), 1, "released once")

    def test_a_live_membership_is_never_settled(self):
        self.membership.effective_to = fields.Datetime.now() + timedelta(days=1)
        self.request_by_kwame()
        self.assertFalse(self.settled())
        self.assertEqual(self.actor_of(self.marie), self.jean)

    def test_an_ended_membership_without_customers_is_settled_too(self):
        other = self.make_member(self.sa, "agent")
        self.lapse_by_time(other)
        self.request_by_kwame()
        self.assertTrue(self.settled(other))

    def test_the_cron_settles_what_it_released(self):
        self.lapse_by_time()
        self.env.ref("abs_connector.ir_cron_abs_release_lapsed_memberships").method_direct_trigger()
        self.assertTrue(self.settled())
        self.assertFalse(self.actor_of(self.marie))

    # ---- what clears the marker ----

    def test_an_active_row_inserted_for_a_settled_person_is_released_at_the_next_request(self):
        self.settle_jean()
        lucie = self.customer(name="Lucie Late")
        self.insert_row(lucie, self.jean)  # as the backfill or any SQL would
        self.assertFalse(self.settled())

        self.assertIn(lucie.id, self.request_by_kwame())
        self.assertFalse(self.actor_of(lucie))
        self.assertTrue(self.settled())

    def test_a_bulk_backfill_that_stamps_a_settled_person_is_released_at_the_next_request(self):
        self.settle_jean()
        ines = self.env["res.partner"].create({"name": "Ines Stamped"})
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_partner SET x_sa_id = %s, x_actor_id = %s WHERE id = %s",
            [self.sa.id, self.jean.id, ines.id],
        )
        self.env.invalidate_all()

        # the bulk load switches the insert trigger off and unsettles every membership instead
        self.assertEqual(backfill.run(self.env, bulk=True)["created"], 1)
        self.assertFalse(self.settled())

        self.assertIn(ines.id, self.request_by_kwame())
        self.assertFalse(self.actor_of(ines))
        self.assertTrue(self.settled())

    def test_a_row_inserted_without_an_actor_keeps_the_marker(self):
        self.settle_jean()
        self.insert_row(self.customer(name="Nobody's"), self.env["res.partner"])
        self.assertTrue(self.settled())

    def test_a_row_given_to_a_settled_person_in_place_is_released_at_the_next_request(self):
        self.settle_jean()
        self.env.cr.execute(
            "UPDATE ov_sa_customer_assignment SET actor_id = %s WHERE partner_id = %s AND state = 'active'",
            [self.jean.id, self.marie.id],
        )
        self.assertFalse(self.settled())

        self.request_by_kwame()
        self.assertFalse(self.actor_of(self.marie))
        self.assertTrue(self.settled())

    def test_a_new_end_date_clears_the_marker_whoever_writes_it(self):
        for write in (
            lambda when: self.env.cr.execute(
                "UPDATE ov_membership SET effective_to = %s WHERE id = %s", [when, self.membership.id]
            ),
            lambda when: self.membership._write({"effective_to": when}),  # the ORM's own UPDATE
        ):
            self.settle_jean()
            write(fields.Datetime.now() - timedelta(minutes=5))
            self.assertFalse(self.settled())

    def test_state_scope_and_person_changes_clear_the_marker(self):
        for column, value in (
            ("membership_state", "suspended"),
            ("hierarchy_scope", "this_node_and_descendants"),
            ("person_partner_id", self.kwame.id),
        ):
            with self.subTest(column=column):
                self.settle_jean()
                self.env.cr.execute(
                    SQL(
                        "UPDATE ov_membership SET %s = %s WHERE id = %s",
                        SQL.identifier(column),
                        value,
                        self.membership.id,
                    )
                )
                self.assertFalse(self.settled())
                self.env.cr.execute(
                    "UPDATE ov_membership SET membership_state = 'active', "
                    "hierarchy_scope = 'this_node_only', person_partner_id = %s WHERE id = %s",
                    [self.jean.id, self.membership.id],
                )

    def test_other_writes_keep_the_marker(self):
        self.settle_jean()
        self.membership.write({"role_code": "staff"})
        self.env.cr.execute(
            "UPDATE ov_sa_customer_assignment SET note = 'touched' WHERE partner_id = %s", [self.marie.id]
        )
        self.assertTrue(self.settled())

    def test_an_account_moved_in_the_tree_clears_the_subtree_memberships_only(self):
        self.settle_jean()
        subtree = self.make_member(self.sa, "agent", hierarchy_scope="this_node_and_descendants")
        self.lapse_by_time(subtree)
        self.request_by_kwame()
        self.assertTrue(self.settled(subtree))

        self.tree.sub_branch.write({"parent_id": self.tree.seed.id})
        self.assertFalse(self.settled(subtree))
        self.assertTrue(self.settled(), "a membership of its own account only is not concerned")

    # ---- uninstall ----

    def test_uninstall_drops_its_functions_and_triggers(self):
        uninstall_hook(self.env)  # rolled back with the test transaction
        self.env.cr.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'abs_lapse_%%' AND NOT tgisinternal"
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.env.cr.execute("SELECT count(*) FROM pg_proc WHERE proname LIKE 'abs_lapse_%%'")
        self.assertEqual(self.env.cr.fetchone()[0], 0)
