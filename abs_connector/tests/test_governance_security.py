from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import AbsSaTreeCustomerCase


@tagged("post_install", "-at_install", "abs_governance")
class TestGovernanceAccessRights(AbsSaTreeCustomerCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env["res.company"].create({"name": "OV2"})
        cls.other_branch = cls.make_branch(
            "OV2 Branch", parent=cls.env["ov.serviced_account"]._get_company_seed(cls.other_company)
        )

        def user(login, groups, companies=None):
            companies = companies or cls.company
            return cls.env["res.users"].create(
                {
                    "name": login,
                    "login": login,
                    "company_id": companies[0].id,
                    "company_ids": [(6, 0, companies.ids)],
                    "groups_id": [(6, 0, [cls.env.ref(g).id for g in groups])],
                }
            )

        cls.reader = user("gov.reader", ["abs_connector.group_abs_governance_user"])
        cls.manager = user("gov.manager", ["abs_connector.group_abs_governance_manager"])
        cls.ov2_manager = user(
            "ov2.manager", ["abs_connector.group_abs_governance_manager"], cls.other_company
        )

    def test_governance_user_reads_but_does_not_change(self):
        branch = self.tree.branch.with_user(self.reader)
        self.assertEqual(branch.name, "Togo Field Operations")
        self.assertTrue(branch.membership_ids)
        self.assertTrue(self.env["ov.sa_customer_assignment"].with_user(self.reader).search_count([]))
        with self.assertRaises(AccessError):
            branch.write({"notes": "changed"})
        with self.assertRaises(AccessError):
            self.tree.jean_membership.with_user(self.reader).action_suspend()
        self.assertEqual(self.tree.jean_membership.membership_state, "active")

    def test_governance_manager_manages(self):
        self.tree.branch.with_user(self.manager).write({"notes": "reviewed"})
        self.assertEqual(self.tree.branch.notes, "reviewed")
        membership = (
            self.env["ov.membership"]
            .with_user(self.manager)
            ._abs_enroll(self.tree.branch, self.make_person(), "agent")
        )
        self.assertEqual(membership.create_uid, self.manager)

    def test_nobody_deletes_assignment_history(self):
        assignment = self.active_assignment(self.marie, self.tree.branch)
        with self.assertRaises(AccessError):
            assignment.with_user(self.manager).unlink()

    def test_accounts_of_another_company_are_invisible(self):
        SA = self.env["ov.serviced_account"]
        self.assertNotIn(self.other_branch, SA.with_user(self.manager).search([]))
        self.assertIn(self.tree.branch, SA.with_user(self.manager).search([]))
        self.assertNotIn(self.tree.branch, SA.with_user(self.ov2_manager).search([]))
        self.assertIn(self.other_branch, SA.with_user(self.ov2_manager).search([]))
        Membership = self.env["ov.membership"]
        self.assertNotIn(self.tree.jean_membership, Membership.with_user(self.ov2_manager).search([]))

    def test_password_hash_is_not_readable_by_governance_managers(self):
        employee = self.tree.jean_membership.employee_id
        employee._abs_set_password("correct horse battery")
        with self.assertRaises(AccessError):
            employee.with_user(self.manager).read(["password_hash"])

    def test_whether_an_agent_has_activated_their_account_is_for_governance_users_only(self):
        plain = self.make_user("plain.identity.reader", "base.group_user")
        employee = self.tree.jean_membership.employee_id
        employee._abs_set_password("correct horse battery")
        with self.assertRaises(AccessError):
            employee.with_user(plain).read(["has_password"])
        self.assertTrue(employee.with_user(self.reader).has_password)
