from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import AbsGovernanceCase


@tagged("post_install", "-at_install", "abs_governance")
class TestServicedAccountTree(AbsGovernanceCase):
    def test_there_is_exactly_one_global_root(self):
        SA = self.env["ov.serviced_account"]
        self.assertEqual(SA.search_count([("is_global_root", "=", True)]), 1)
        self.assertEqual(SA._get_global_root(), self.root)
        with self.assertRaisesRegex(ValidationError, "only one"):
            SA.create({"name": "Second root", "partner_id": self.root.partner_id.id, "is_global_root": True})

    def test_second_global_root_is_refused_by_the_database(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.env.cr.savepoint():
            self.env.cr.execute(
                "INSERT INTO ov_serviced_account (name, partner_id, account_class, company_id, state, "
                "is_global_root, is_seed) VALUES ('Root 2', %s, 'OVAC', %s, 'active', true, false)",
                (self.root.partner_id.id, self.company.id),
            )

    def test_each_company_has_exactly_one_seed_under_the_root(self):
        for company in self.env["res.company"].search([]):
            seeds = self.env["ov.serviced_account"].search(
                [("is_seed", "=", True), ("source_company_id", "=", company.id)]
            )
            self.assertEqual(len(seeds), 1, company.name)
            self.assertEqual(seeds.parent_id, self.root)
            self.assertEqual(seeds.company_id, company)

    def test_company_created_later_gets_its_seed(self):
        company = self.env["res.company"].create({"name": "Company Created Later"})
        seed = self.env["ov.serviced_account"]._get_company_seed(company)
        self.assertTrue(seed.is_seed)
        self.assertEqual(seed.parent_id, self.root)
        self.assertEqual(seed.company_id, company)
        self.assertEqual(seed.partner_id, company.partner_id)
        self.assertEqual(seed.name, "Company Created Later")

    def test_second_seed_for_a_company_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "already has its seed"):
            self.env["ov.serviced_account"].create(
                {
                    "name": "Another seed",
                    "partner_id": self.company.partner_id.id,
                    "is_seed": True,
                    "source_company_id": self.company.id,
                    "company_id": self.company.id,
                    "parent_id": self.root.id,
                }
            )

    def test_seed_must_belong_to_its_source_company(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        with self.assertRaisesRegex(ValidationError, "must belong to that company"):
            self.env["ov.serviced_account"]._get_company_seed(other).write({"company_id": self.company.id})

    def test_branch_without_parent_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "needs a parent"):
            self.env["ov.serviced_account"].create(
                {
                    "name": "Orphan",
                    "partner_id": self.make_person().id,
                    "initial_manager_partner_id": self.make_person().id,
                }
            )

    def test_branch_without_manager_at_creation_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "needs a manager when it is created"):
            self.env["ov.serviced_account"].create(
                {
                    "name": "Unmanaged",
                    "partner_id": self.make_person().id,
                    "parent_id": self.seed.id,
                }
            )

    def test_branch_manager_cannot_be_removed(self):
        branch = self.make_branch("Managed")
        with self.assertRaisesRegex(ValidationError, "needs a manager"):
            branch.sa_manager_id = False

    def test_manager_must_be_a_member_of_the_same_account(self):
        branch = self.make_branch("One")
        other = self.make_branch("Two")
        with self.assertRaisesRegex(ValidationError, "one of its own members"):
            branch.sa_manager_id = other.sa_manager_id

    def test_create_branch_enrolls_the_initial_admin_as_staff_manager(self):
        alice = self.make_person("Alice")
        branch = self.env["ov.serviced_account"]._abs_create_branch(
            {"name": "Togo Field Operations", "parent_id": self.seed.id}, alice
        )
        self.assertEqual(branch.state, "active")
        self.assertEqual(branch.account_class, "EXTC")
        self.assertEqual(branch.company_id, self.seed.company_id)
        self.assertEqual(branch.sa_manager_id.person_partner_id, alice)
        self.assertEqual(branch.sa_manager_id.role_code, "staff")
        self.assertFalse(branch.sa_manager_id.manager_member_id)
        self.assertTrue(branch.partner_id.is_company)
        self.assertEqual(branch.partner_id.name, "Togo Field Operations")
        self.assertEqual(len(self.events("service_account.created", branch)), 1)

    def test_create_branch_under_an_inactive_parent_is_refused(self):
        parent = self.make_branch("Closed")
        parent.action_set_inactive()
        with self.assertRaisesRegex(ValidationError, "inactive"):
            self.make_branch("Child", parent=parent)

    def test_agent_cannot_create_a_branch(self):
        branch = self.make_branch("Parent")
        agent = self.make_member(branch, "agent")
        with self.assertRaises(AccessError):
            self.env["ov.serviced_account"]._abs_create_branch(
                {"name": "Sneaky", "parent_id": branch.id}, self.make_person(), agent.person_partner_id
            )

    def test_admin_member_can_create_a_branch(self):
        branch = self.make_branch("Parent")
        admin = self.make_member(branch, "admin")
        child = self.env["ov.serviced_account"]._abs_create_branch(
            {"name": "Child", "parent_id": branch.id}, self.make_person(), admin.person_partner_id
        )
        self.assertEqual(child.parent_id, branch)

    def test_child_company_must_equal_parent_company(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        with self.assertRaisesRegex(ValidationError, "must belong to its parent's company"):
            self.make_branch("Cross", company_id=other.id)

    def test_seed_under_root_may_be_of_another_company(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        seed = self.env["ov.serviced_account"]._get_company_seed(other)
        self.assertNotEqual(seed.company_id, self.root.company_id)
        self.assertEqual(seed.parent_id, self.root)

    def test_parent_company_change_breaking_children_is_refused(self):
        branch = self.make_branch("Parent")
        self.make_branch("Child", parent=branch)
        other = self.env["res.company"].create({"name": "Other Co"})
        with self.assertRaisesRegex(ValidationError, "parent's company"):
            branch.company_id = other

    def test_cycles_are_refused(self):
        a = self.make_branch("A")
        b = self.make_branch("B", parent=a)
        with self.assertRaisesRegex(ValidationError, "own ancestor"):
            a.parent_id = b

    def test_parent_path_follows_the_tree(self):
        a = self.make_branch("A")
        b = self.make_branch("B", parent=a)
        self.assertTrue(b.parent_path.startswith(a.parent_path))
        self.assertTrue(a.parent_path.startswith(self.seed.parent_path))
        self.assertTrue(self.seed.parent_path.startswith(self.root.parent_path))

    def test_root_and_seed_cannot_be_deleted(self):
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            self.root.unlink()
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            self.seed.unlink()

    def test_root_and_seed_flags_are_fixed(self):
        branch = self.make_branch("Plain")
        with self.assertRaisesRegex(UserError, "fixed when it is created"):
            branch.is_seed = True
        with self.assertRaisesRegex(UserError, "fixed when it is created"):
            self.seed.write({"source_company_id": False})

    def test_root_cannot_have_a_parent(self):
        with self.assertRaisesRegex(ValidationError, "cannot have a parent|own ancestor"):
            self.root.parent_id = self.seed

    def test_counts_for_smart_buttons(self):
        tree = self.make_sa_tree()
        self.make_customer(tree.branch, tree.jean)
        self.assertEqual(tree.branch.member_count, 3)
        self.assertEqual(tree.branch.customer_count, 1)
        self.assertEqual(tree.branch.child_count, 1)
