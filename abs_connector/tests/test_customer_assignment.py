from unittest.mock import patch

from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..exceptions import GovernanceConflict
from .common import AbsSaTreeCase, AbsSaTreeCustomerCase


@tagged("post_install", "-at_install", "abs_governance")
class TestGovernedCustomerLifecycle(AbsSaTreeCase):
    def test_create_governed_customer_stamps_and_assigns_seed002_stage1(self):
        jean, branch = self.tree.jean, self.tree.branch
        marie = self.env["res.partner"]._abs_create_governed_customer(
            branch, {"name": "Marie Dupont", "email": "marie@client.com", "phone": "+228 90 000 001"}, jean
        )
        self.assertEqual(marie.x_sa_id, branch)
        self.assertEqual(marie.x_actor_id, jean)
        self.assertEqual(marie.x_assigned_employee_id, self.tree.jean_membership.employee_id)
        assignment = marie.assignment_ids
        self.assertEqual(len(assignment), 1)
        self.assertEqual(
            (assignment.account_id, assignment.actor_id, assignment.assigned_by_id), (branch, jean, jean)
        )
        self.assertEqual(assignment.state, "active")
        self.assertTrue(assignment.date_from)
        self.assertFalse(assignment.date_to)
        portal_user = marie.with_context(active_test=False).user_ids
        self.assertEqual(len(portal_user), 1, "a portal user is invited (Stage 1)")
        self.assertTrue(portal_user.share)
        self.assertEqual(portal_user.login, "marie@client.com")
        created = self.events("customer.created", marie)
        self.assertEqual(len(created), 1)
        self.assertEqual(self.event_data(created)["assignment_id"], assignment.id)

    def test_customer_created_by_finance_starts_unassigned(self):
        finance = self.make_member(self.tree.branch, "finance")
        with self.assertRaises(AccessError):
            self.make_customer(self.tree.branch, finance)
        customer = self.make_customer(self.tree.branch, None)
        self.assertFalse(self.active_assignment(customer, self.tree.branch).actor_id)

    def test_duplicate_email_in_the_same_account_is_a_conflict(self):
        self.make_customer(self.tree.branch, self.tree.jean, email="dup@client.com")
        with self.assertRaises(GovernanceConflict):
            self.make_customer(self.tree.branch, self.tree.kwame, email=" DUP@client.com ")
        other = self.make_customer(self.tree.sub_branch, None, email="dup@client.com")
        self.assertTrue(other, "another account may have its own customer with that address")

    def test_governance_fields_cannot_be_passed(self):
        count = self.env["res.partner"].search_count([])
        with self.assertRaisesRegex(ValidationError, "x_sa_id"):
            self.make_customer(self.tree.branch, self.tree.jean, x_sa_id=self.tree.sub_branch.id)
        self.assertEqual(self.env["res.partner"].search_count([]), count, "nothing created")

    def test_creation_is_one_transaction(self):
        # The event is queued last: if it fails, neither the partner nor its assignment remain.
        partners = self.env["res.partner"].with_context(active_test=False).search_count([])
        assignments = self.env["ov.sa_customer_assignment"].search_count([])

        class OutboxUnavailable(Exception):
            pass

        def broken_emit(*args, **kwargs):
            raise OutboxUnavailable()

        with (
            patch.object(type(self.env["abs.event.outbox"]), "_emit", broken_emit),
            self.assertRaises(OutboxUnavailable),
            self.env.cr.savepoint(),
        ):
            self.make_customer(self.tree.branch, self.tree.jean)
        self.assertEqual(self.env["res.partner"].with_context(active_test=False).search_count([]), partners)
        self.assertEqual(self.env["ov.sa_customer_assignment"].search_count([]), assignments)

    def test_update_by_an_agent_who_cannot_see_it_is_not_found(self):
        marie = self.make_customer(self.tree.branch, self.tree.jean)
        with self.assertRaises(MissingError):
            marie._abs_update_governed_customer({"phone": "1"}, self.tree.branch, self.tree.kwame)
        self.assertNotEqual(marie.phone, "1")
        marie._abs_update_governed_customer(
            {"phone": "+228 90 000 002", "city": "Lomé"}, self.tree.branch, self.tree.jean
        )
        self.assertEqual(marie.city, "Lomé")
        updated = self.events("customer.updated", marie)
        self.assertEqual(self.event_data(updated)["changed"], {"phone": "+228 90 000 002", "city": "Lomé"})

    def test_viewer_cannot_update(self):
        marie = self.make_customer(self.tree.branch, self.tree.jean)
        viewer = self.make_member(self.tree.branch, "viewer")
        with self.assertRaises(AccessError):
            marie._abs_update_governed_customer({"phone": "1"}, self.tree.branch, viewer.person_partner_id)

    def test_archive_keeps_assignment_history_seed002_stage6(self):
        marie = self.make_customer(self.tree.branch, self.tree.jean, portal_access=True)
        portal_user = marie.user_ids
        self.assertTrue(portal_user)
        marie._abs_archive_governed_customer(self.tree.branch, self.tree.alice)
        self.assertFalse(marie.active)
        self.assertFalse(portal_user.active, "portal user archived too")
        assignment = self.active_assignment(marie, self.tree.branch)
        self.assertEqual(assignment.state, "active", "assignment preserved for audit")
        self.assertFalse(
            self.env["res.partner"]._abs_visible_customers(
                self.tree.branch, self.tree.alice, "read_customers", marie.ids
            )
        )
        self.assertEqual(len(self.events("customer.archived", marie)), 1)
        marie._abs_unarchive_governed_customer(self.tree.branch, self.tree.alice)
        self.assertTrue(marie.active)


@tagged("post_install", "-at_install", "abs_governance")
class TestCustomerAssignment(AbsSaTreeCustomerCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Assignment = cls.env["ov.sa_customer_assignment"]

    def test_one_active_assignment_per_customer_and_account_in_the_database(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.env.cr.savepoint():
            self.env.cr.execute(
                "INSERT INTO ov_sa_customer_assignment (account_id, partner_id, state, date_from) "
                "VALUES (%s, %s, 'active', now())",
                (self.tree.branch.id, self.marie.id),
            )

    def test_expired_rows_do_not_block_a_new_active_one(self):
        self.env.cr.execute(
            "INSERT INTO ov_sa_customer_assignment (account_id, partner_id, state, date_from, date_to) "
            "VALUES (%s, %s, 'expired', now(), now()), (%s, %s, 'expired', now(), now())",
            (self.tree.branch.id, self.marie.id, self.tree.branch.id, self.marie.id),
        )

    def test_second_active_assignment_is_refused_with_a_message(self):
        with self.assertRaisesRegex(ValidationError, "already has an active assignment"):
            self.Assignment.create({"account_id": self.tree.branch.id, "partner_id": self.marie.id})

    def test_reassign_expires_the_old_row_and_opens_a_new_one(self):
        old = self.active_assignment(self.marie, self.tree.branch)
        new = self.Assignment._abs_reassign(self.marie, self.tree.branch, self.tree.kwame, self.tree.alice)
        self.assertEqual(old.state, "expired")
        self.assertTrue(old.date_to)
        self.assertEqual(old.actor_id, self.tree.jean, "history keeps who it was")
        self.assertEqual(
            (new.state, new.actor_id, new.assigned_by_id), ("active", self.tree.kwame, self.tree.alice)
        )
        self.assertEqual(new.date_from, old.date_to)
        self.assertEqual(self.marie.x_actor_id, self.tree.kwame)
        self.assertEqual(self.marie.x_assigned_employee_id, self.tree.kwame_membership.employee_id)
        self.assertEqual(self.marie.assignment_ids, old | new)
        event = self.events("customer.assigned", self.marie)
        self.assertEqual(len(event), 1)
        data = self.event_data(event)
        self.assertEqual(
            (data["from_actor_id"], data["to_actor_id"]), (self.tree.jean.id, self.tree.kwame.id)
        )

    def test_reassign_syncs_the_salesperson_when_the_employee_has_a_user(self):
        user = self.env["res.users"].create({"name": "Kwame U", "login": "kwame.user@example.com"})
        self.tree.kwame_membership.employee_id.user_id = user
        self.Assignment._abs_reassign(self.marie, self.tree.branch, self.tree.kwame, self.tree.alice)
        self.assertEqual(self.marie.user_id, user)

    def test_reassign_several_customers_at_once(self):
        others = self.make_customer(self.tree.branch, self.tree.jean) | self.make_customer(self.tree.branch)
        new = self.Assignment._abs_reassign(
            self.marie | others, self.tree.branch, self.tree.kwame, self.tree.alice
        )
        self.assertEqual(len(new), 3)
        self.assertEqual(set(new.mapped("actor_id").ids), {self.tree.kwame.id})

    def test_reassign_to_nobody_leaves_the_customer_unassigned(self):
        new = self.Assignment._abs_reassign(self.marie, self.tree.branch, None, self.tree.alice)
        self.assertFalse(new.actor_id)
        self.assertFalse(self.marie.x_actor_id)

    def test_agent_cannot_reassign(self):
        with self.assertRaises(AccessError):
            self.Assignment._abs_reassign(self.marie, self.tree.branch, self.tree.jean, self.tree.kwame)
        self.assertEqual(self.active_assignment(self.marie, self.tree.branch).actor_id, self.tree.jean)

    def test_reassign_to_a_non_member_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "cannot be assigned customers"):
            self.Assignment._abs_reassign(self.marie, self.tree.branch, self.make_person(), self.tree.alice)
        viewer = self.make_member(self.tree.branch, "viewer")
        with self.assertRaisesRegex(ValidationError, "cannot be assigned customers"):
            self.Assignment._abs_reassign(
                self.marie, self.tree.branch, viewer.person_partner_id, self.tree.alice
            )

    def test_reassign_a_customer_of_another_account_is_refused(self):
        stranger = self.make_customer(self.tree.sub_branch)
        with self.assertRaisesRegex(ValidationError, "is not a customer of"):
            self.Assignment._abs_reassign(stranger, self.tree.branch, self.tree.kwame, self.tree.alice)

    def test_reassign_to_the_same_actor_is_a_conflict(self):
        with self.assertRaises(GovernanceConflict):
            self.Assignment._abs_reassign(self.marie, self.tree.branch, self.tree.jean, self.tree.alice)

    def test_history_is_never_deleted(self):
        old = self.active_assignment(self.marie, self.tree.branch)
        self.Assignment._abs_reassign(self.marie, self.tree.branch, self.tree.kwame, self.tree.alice)
        with self.assertRaisesRegex(UserError, "never deleted"):
            old.unlink()
        with self.assertRaisesRegex(UserError, "never deleted"):
            self.active_assignment(self.marie, self.tree.branch).unlink()

    def test_expired_rows_are_read_only(self):
        old = self.active_assignment(self.marie, self.tree.branch)
        self.Assignment._abs_reassign(self.marie, self.tree.branch, self.tree.kwame, self.tree.alice)
        with self.assertRaisesRegex(UserError, "history"):
            old.actor_id = self.tree.kwame

    def test_active_rows_keep_customer_and_account(self):
        with self.assertRaisesRegex(UserError, "cannot change"):
            self.active_assignment(self.marie, self.tree.branch).account_id = self.tree.sub_branch

    def test_expired_row_needs_an_end_date(self):
        with self.assertRaisesRegex(ValidationError, "records when it ended"):
            self.active_assignment(self.marie, self.tree.branch).state = "expired"

    def test_orders_inherit_the_customer_stamps(self):
        order = self.env["sale.order"].create({"partner_id": self.marie.id})
        self.assertEqual((order.x_sa_id, order.x_actor_id), (self.tree.branch, self.tree.jean))
        explicit = self.env["sale.order"].create(
            {"partner_id": self.marie.id, "x_sa_id": self.tree.sub_branch.id}
        )
        self.assertEqual(explicit.x_sa_id, self.tree.sub_branch)
        self.assertFalse(explicit.x_actor_id)
