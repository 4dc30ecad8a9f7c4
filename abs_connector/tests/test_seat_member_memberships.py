"""A seat member's memberships are found once per transaction, and stay live.

The seat-member record rules ask several times per request what the signed-in user's memberships
show them (the list's search, its count, the access check of its rows). The memberships are read
once per transaction, into the record cache, and every change made in the same transaction is
seen by the next question (docs/performance.md, "Seat users on Odoo's own screens").
"""

import re
from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError
from odoo.sql_db import Cursor
from odoo.tests import tagged

from .test_seat_member_rules import SeatMemberCase

_MEMBERSHIP_TABLE = re.compile(r"\bov_membership\b")


@tagged("post_install", "-at_install")
class TestSeatMemberMembershipsPerTransaction(SeatMemberCase):
    @contextmanager
    def membership_queries(self):
        """The queries on the membership table run inside the block (a list, filled on exit)."""
        queries, execute = [], Cursor.execute

        def counting(cursor, query, params=None, log_exceptions=True):
            text = query.code if hasattr(query, "code") else str(query)
            if _MEMBERSHIP_TABLE.search(text):
                queries.append(text)
            return execute(cursor, query, params, log_exceptions)

        with patch.object(Cursor, "execute", counting):
            yield queries

    def list_page(self, user):
        """The Contacts list's request as ``user``: a page and its bounded count."""
        return (
            self.env["res.partner"]
            .with_user(user)
            .web_search_read([("id", "in", self.governed.ids)], {"name": {}}, limit=2, count_limit=10001)
        )

    def test_a_list_request_reads_the_members_memberships_once(self):
        self.env.invalidate_all()  # what a new request's transaction starts with
        with self.membership_queries() as queries:
            result = self.list_page(self.sam_user)
        self.assertEqual(result["length"], 3)
        self.assertEqual(len(queries), 1, queries)

    def test_the_memberships_are_read_again_after_the_transaction_rolls_back(self):
        self.list_page(self.sam_user)
        with self.assertRaises(RuntimeError), self.env.cr.savepoint():
            self.make_member(self.other_sa, "staff", self.sam.person_partner_id)
            self.assertEqual(self.seen_by(self.sam_user, self.governed), self.governed)
            raise RuntimeError("the change rolls back")
        with self.membership_queries() as queries:
            seen = self.seen_by(self.sam_user, self.governed)
        self.assertEqual(seen, self.governed - self.elsewhere)
        self.assertEqual(len(queries), 1, "a rollback empties what the transaction had read")

    def test_two_users_in_one_transaction_never_share_an_answer(self):
        for _round in range(2):
            self.assertEqual(self.seen_by(self.ada_user, self.governed), self.adas_customer)
            self.assertEqual(self.seen_by(self.sam_user, self.governed), self.governed - self.elsewhere)
            admin = self.env.ref("base.user_admin")
            self.assertEqual(self.seen_by(admin, self.governed), self.governed)
        self.assertEqual(
            (self.adas_customer | self.bobs_customer).with_user(self.ada_user).mapped("abs_seat_visible"),
            [True, False],
        )
        self.assertEqual(
            (self.adas_customer | self.bobs_customer).with_user(self.sam_user).mapped("abs_seat_visible"),
            [True, True],
        )

    def test_membership_revoked_mid_transaction_hides_the_customers_at_once(self):
        self.assertEqual(self.seen_by(self.ada_user, self.governed), self.adas_customer)
        self.ada._abs_revoke()
        self.assertFalse(self.seen_by(self.ada_user, self.governed))
        with self.assertRaises(AccessError):
            self.adas_customer.with_user(self.ada_user).read(["name"])

    def test_membership_suspended_then_reinstated_mid_transaction_is_seen_at_once(self):
        self.assertEqual(len(self.seen_by(self.sam_user, self.governed)), 3)
        self.sam._abs_suspend()
        self.assertFalse(self.seen_by(self.sam_user, self.governed))
        self.sam._abs_reinstate()
        self.assertEqual(len(self.seen_by(self.sam_user, self.governed)), 3)

    def test_membership_ended_mid_transaction_hides_the_customers_at_once(self):
        self.assertEqual(len(self.seen_by(self.sam_user, self.governed)), 3)
        self.sam.effective_to = fields.Datetime.now() - timedelta(minutes=1)
        self.assertFalse(self.seen_by(self.sam_user, self.governed))

    def test_membership_created_mid_transaction_shows_its_customers_at_once(self):
        self.assertEqual(self.seen_by(self.sam_user, self.governed), self.governed - self.elsewhere)
        self.make_member(self.other_sa, "staff", self.sam.person_partner_id)
        self.assertEqual(self.seen_by(self.sam_user, self.governed), self.governed)

    def test_membership_deleted_mid_transaction_no_longer_shows_its_customers(self):
        extra = self.make_member(self.other_sa, "staff", self.sam.person_partner_id)
        self.assertEqual(self.seen_by(self.sam_user, self.governed), self.governed)
        extra.unlink()
        self.assertEqual(self.seen_by(self.sam_user, self.governed), self.governed - self.elsewhere)

    def test_scope_widened_mid_transaction_shows_the_sub_account_at_once(self):
        sub = self.make_branch("Seat Sub Branch Mid", parent=self.sa)
        below = self.make_customer(sub, name="Seat Customer Below Mid")
        self.assertFalse(self.seen_by(self.sam_user, below))
        self.sam.hierarchy_scope = "this_node_and_descendants"
        self.assertEqual(self.seen_by(self.sam_user, below), below)

    def test_account_archived_mid_transaction_hides_its_customers_at_once(self):
        self.assertEqual(len(self.seen_by(self.sam_user, self.governed)), 3)
        self.sa.action_set_inactive()
        self.assertFalse(self.seen_by(self.sam_user, self.governed))

    def test_user_made_governance_manager_mid_transaction_sees_everything_at_once(self):
        self.assertEqual(self.seen_by(self.sam_user, self.governed), self.governed - self.elsewhere)
        self.sam_user.groups_id = [(4, self.env.ref("abs_connector.group_abs_governance_manager").id)]
        self.assertEqual(self.seen_by(self.sam_user, self.governed), self.governed)

    def test_user_added_to_governance_managers_from_the_group_sees_everything_at_once(self):
        customer = self.bobs_customer.with_user(self.ada_user)
        self.assertFalse(customer.abs_seat_visible)
        managers = self.env.ref("abs_connector.group_abs_governance_manager")
        managers.users = [(4, self.ada_user.id)]
        self.assertTrue(customer.abs_seat_visible)
        self.assertEqual(self.seen_by(self.ada_user, self.governed), self.governed)

    def test_user_made_governance_manager_on_the_users_form_sees_everything_at_once(self):
        customer = self.bobs_customer.with_user(self.ada_user)
        self.assertFalse(customer.abs_seat_visible)
        managers = self.env.ref("abs_connector.group_abs_governance_manager")
        self.ada_user.write({f"in_group_{managers.id}": True})
        self.assertTrue(customer.abs_seat_visible)

    def test_user_given_another_person_mid_transaction_sees_as_that_person(self):
        self.assertEqual(self.seen_by(self.sam_user, self.governed), self.governed - self.elsewhere)
        self.sam_user.partner_id = self.ada.person_partner_id
        self.assertEqual(self.seen_by(self.sam_user, self.governed), self.adas_customer)

    def test_rows_of_a_members_page_are_not_tested_again_by_the_access_check(self):
        computed = []
        compute = type(self.env["res.partner"])._compute_abs_seat_visible

        def spy(records):
            computed.append(records.ids)
            return compute(records)

        with patch.object(type(self.env["res.partner"]), "_compute_abs_seat_visible", spy):
            result = self.list_page(self.sam_user)
            self.assertEqual(len(result["records"]), 2)
            self.assertEqual(computed, [], "the search under the rule already proved these rows")
            # a record no search of Sam's returned is still tested
            self.assertFalse(self.elsewhere.with_user(self.sam_user).abs_seat_visible)
            self.assertEqual(computed, [self.elsewhere.ids])

    def test_rows_found_without_the_seat_rule_are_not_noted_as_visible(self):
        self.env.ref("abs_connector.res_partner_rule_seat_member").active = False
        found = self.env["res.partner"].with_user(self.ada_user).search([("id", "in", self.governed.ids)])
        self.assertEqual(found, self.governed, "without the rule the search lets everything through")
        self.assertEqual(
            self.governed.with_user(self.ada_user).mapped("abs_seat_visible"), [True, False, False, False]
        )

    def test_rows_noted_by_a_search_are_not_kept_after_a_revocation(self):
        found = self.env["res.partner"].with_user(self.ada_user).search([("id", "in", self.governed.ids)])
        self.assertEqual(found, self.adas_customer)
        self.ada._abs_revoke()
        self.assertFalse(found.abs_seat_visible)
        with self.assertRaises(AccessError):
            found.read(["name"])

    def test_visible_field_read_before_a_revocation_is_not_kept_after_it(self):
        customer = self.adas_customer.with_user(self.ada_user)
        self.assertTrue(customer.abs_seat_visible)
        self.ada._abs_revoke()
        self.assertFalse(customer.abs_seat_visible)

    def test_visible_field_read_before_a_reassignment_is_not_kept_after_it(self):
        customer = self.bobs_customer.with_user(self.ada_user)
        self.assertFalse(customer.abs_seat_visible)
        self.env["ov.sa_customer_assignment"]._abs_reassign(
            self.bobs_customer, self.sa, self.ada.person_partner_id, self.sam.person_partner_id
        )
        self.assertTrue(customer.abs_seat_visible)
        self.assertTrue(customer.read(["name"]))
