from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import AbsGovernanceCase


@tagged("post_install", "-at_install")
class TestServiceAccountArchival(AbsGovernanceCase):
    """Archiving a Service Account never leaves its sub-accounts reachable."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tree = cls.make_sa_tree()
        cls.sub_agent = cls.make_member(cls.tree.sub_branch, "agent").person_partner_id
        cls.customer = cls.make_customer(cls.tree.sub_branch, cls.sub_agent)

    def access(self, person, sa):
        return self.env["ov.membership"]._abs_access_context(person, sa)

    def test_archiving_an_account_with_active_sub_accounts_alone_is_refused_and_changes_nothing(self):
        events_before = len(self.events("service_account.archived"))
        with self.assertRaisesRegex(UserError, "Lomé Team"):
            self.tree.branch.write({"state": "inactive"})
        self.assertEqual(self.tree.branch.state, "active")
        self.assertEqual(len(self.events("service_account.archived")), events_before)

    def test_archive_button_asks_to_confirm_the_subtree_then_archives_it_all(self):
        action = self.tree.branch.action_set_inactive()
        self.assertEqual(action["res_model"], "abs.archive.service.account.wizard")
        self.assertEqual(self.tree.branch.state, "active", "nothing is archived before confirming")
        wizard = Form(self.env[action["res_model"]].with_context(**action["context"])).save()
        self.assertEqual(wizard.account_ids, self.tree.branch | self.tree.sub_branch)
        self.assertEqual(wizard.customer_count, 1)

        wizard.action_archive()

        self.assertEqual((self.tree.branch | self.tree.sub_branch).mapped("state"), ["inactive"] * 2)
        for sa in (self.tree.branch, self.tree.sub_branch):
            self.assertEqual(len(self.events("service_account.archived", sa)), 1)
        self.assertIsNone(self.access(self.sub_agent, self.tree.sub_branch))
        self.assertIsNone(self.access(self.tree.alice, self.tree.branch))
        self.assertTrue(self.active_assignment(self.customer, self.tree.sub_branch), "customers keep history")

    def test_archiving_a_leaf_account_is_immediate_and_publishes_its_event(self):
        self.assertTrue(self.tree.sub_branch.action_set_inactive())
        self.assertEqual(self.tree.sub_branch.state, "inactive")
        event = self.events("service_account.archived", self.tree.sub_branch)
        self.assertEqual(self.event_data(event), {"name": "Lomé Team", "parent_id": self.tree.branch.id})
        self.assertIsNone(self.access(self.sub_agent, self.tree.sub_branch))

    def test_the_root_and_company_seeds_cannot_be_archived(self):
        for sa in (self.root, self.seed):
            with self.assertRaises(UserError):
                sa.write({"state": "inactive"})

    def test_a_sub_account_cannot_be_reactivated_under_an_archived_parent(self):
        (self.tree.branch | self.tree.sub_branch).write({"state": "inactive"})
        with self.assertRaisesRegex(UserError, "reactivate Togo Field Operations first"):
            self.tree.sub_branch.action_set_active()
        self.tree.branch.action_set_active()
        self.tree.sub_branch.action_set_active()
        self.assertEqual(self.tree.sub_branch.state, "active")
