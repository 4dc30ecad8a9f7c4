from odoo.tests import tagged

from .. import bootstrap
from .common import AbsGovernanceCase


@tagged("post_install", "-at_install")
class TestBootstrap(AbsGovernanceCase):
    """The global root and company seeds, as the install hook and migrations build them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.SA = cls.env["ov.serviced_account"].with_context(active_test=False)

    # ---- helpers: put the database in an older version's state (rolled back after each test) ----

    def _delete_root(self):
        """What a database before 18.0.1.1.1 looks like: no root, seeds at the top."""
        root = self.SA._get_global_root()
        self.env.flush_all()
        self.env.cr.execute("UPDATE ov_serviced_account SET parent_id = NULL WHERE parent_id = %s", [root.id])
        self.env.cr.execute("DELETE FROM ov_serviced_account WHERE id = %s", [root.id])
        self._fix_parent_paths()

    def _delete_seed(self, company):
        """What a database before 18.0.1.0.2 looks like for ``company``: no seed."""
        seed = self.SA._get_company_seed(company)
        self.env.flush_all()
        self.env.cr.execute("UPDATE ov_serviced_account SET parent_id = NULL WHERE parent_id = %s", [seed.id])
        self.env.cr.execute("DELETE FROM ov_serviced_account WHERE id = %s", [seed.id])
        self._fix_parent_paths()

    def _fix_parent_paths(self):
        self.env.cr.execute("""
            WITH RECURSIVE tree(id, path) AS (
                SELECT id, id || '/' FROM ov_serviced_account WHERE parent_id IS NULL
                UNION ALL
                SELECT c.id, tree.path || c.id || '/'
                  FROM ov_serviced_account c JOIN tree ON c.parent_id = tree.id
            )
            UPDATE ov_serviced_account sa SET parent_path = tree.path FROM tree WHERE tree.id = sa.id
        """)
        self.env.invalidate_all()

    def assertSeedOf(self, company, root):
        seed = self.SA._get_company_seed(company)
        self.assertEqual(len(seed), 1)
        self.assertRecordValues(
            seed,
            [
                {
                    "name": company.name,
                    "is_seed": True,
                    "is_global_root": False,
                    "source_company_id": company.id,
                    "company_id": company.id,
                    "partner_id": company.partner_id.id,
                    "parent_id": root.id,
                    "state": "active",
                    "account_class": "OVAC",
                }
            ],
        )
        self.assertEqual(seed.parent_path, f"{root.parent_path}{seed.id}/")
        return seed

    # ---- the installed state ----

    def test_install_leaves_one_root_and_one_seed_per_company_under_it(self):
        roots = self.SA.search([("is_global_root", "=", True)])
        self.assertEqual(len(roots), 1)
        self.assertRecordValues(
            roots,
            [
                {
                    "name": bootstrap.GLOBAL_ROOT_NAME,
                    "parent_id": False,
                    "source_company_id": False,
                    "company_id": self.env.ref("base.main_company").id,
                    "is_seed": False,
                    "state": "active",
                }
            ],
        )
        for company in self.env["res.company"].search([]):
            self.assertSeedOf(company, roots)

    # ---- ensure_global_root ----

    def test_ensure_global_root_twice_returns_the_same_root_and_creates_nothing(self):
        accounts, partners = self.SA.search_count([]), self.env["res.partner"].search_count([])
        first = bootstrap.ensure_global_root(self.env)
        second = bootstrap.ensure_global_root(self.env)
        self.assertEqual(first, second)
        self.assertEqual(first, self.root)
        self.assertEqual(self.SA.search_count([]), accounts)
        self.assertEqual(self.env["res.partner"].search_count([]), partners)

    def test_missing_root_is_created_and_every_seed_moves_under_it(self):
        company_b = self.env["res.company"].create({"name": "Bootstrap Company B"})
        self._delete_root()
        self.assertFalse(self.SA._get_global_root())
        self.assertFalse(self.seed.parent_id)

        root = bootstrap.ensure_global_root(self.env)

        self.assertTrue(root.is_global_root)
        self.assertEqual(root.parent_path, f"{root.id}/")
        self.assertEqual(root.partner_id.name, bootstrap.GLOBAL_ROOT_NAME)
        self.assertTrue(root.partner_id.is_company)
        self.assertSeedOf(self.company, root)
        self.assertSeedOf(company_b, root)

    def test_moving_seeds_under_a_new_root_rewrites_the_whole_subtree_path(self):
        branch = self.make_branch("Deep Branch")
        leaf = self.make_branch("Leaf", parent=branch)
        self._delete_root()
        self.assertEqual(leaf.parent_path, f"{self.seed.id}/{branch.id}/{leaf.id}/")

        root = bootstrap.ensure_global_root(self.env)

        self.assertEqual(leaf.parent_path, f"{root.id}/{self.seed.id}/{branch.id}/{leaf.id}/")

    # ---- ensure_company_seeds ----

    def test_ensure_company_seeds_creates_nothing_when_every_company_has_its_seed(self):
        before = self.SA.search_count([])
        self.assertFalse(bootstrap.ensure_company_seeds(self.env))
        self.assertEqual(self.SA.search_count([]), before)

    def test_new_company_gets_its_seed_under_the_root_at_creation(self):
        company = self.env["res.company"].create({"name": "Created Later Ltd"})
        self.assertSeedOf(company, self.root)

    def test_missing_seed_is_created_under_the_existing_root(self):
        company_b = self.env["res.company"].create({"name": "Seedless Company"})
        self._delete_seed(company_b)
        created = bootstrap.ensure_company_seeds(self.env)
        self.assertEqual(created.source_company_id, company_b)
        self.assertSeedOf(company_b, self.root)

    def test_seed_created_before_the_root_exists_has_no_parent_until_the_root_adopts_it(self):
        # Upgrading from 18.0.1.0.1 runs 18.0.1.0.2 (seeds) before 18.0.1.1.1 (root).
        self._delete_root()
        self._delete_seed(self.company)

        created = bootstrap.ensure_company_seeds(self.env)

        self.assertEqual(created.source_company_id, self.company)
        self.assertFalse(created.parent_id)
        self.assertEqual(created.parent_path, f"{created.id}/")
        root = bootstrap.ensure_global_root(self.env)
        self.assertSeedOf(self.company, root)

    def test_parentless_branch_is_attached_to_the_seed_of_its_company(self):
        # V2 databases have branches at the top of the tree: there were no seeds.
        branch = self.make_branch("V2 Branch")
        leaf = self.make_branch("V2 Leaf", parent=branch)
        self.env.flush_all()
        self.env.cr.execute("UPDATE ov_serviced_account SET parent_id = NULL WHERE id = %s", [branch.id])
        self._fix_parent_paths()
        self.assertEqual(leaf.parent_path, f"{branch.id}/{leaf.id}/")

        bootstrap.ensure_company_seeds(self.env)

        self.assertEqual(branch.parent_id, self.seed)
        self.assertEqual(leaf.parent_id, branch)
        self.assertEqual(leaf.parent_path, f"{self.seed.parent_path}{branch.id}/{leaf.id}/")

    def test_seed_of_an_archived_company_is_created_too(self):
        company = self.env["res.company"].create({"name": "Dormant Company"})
        self._delete_seed(company)
        company.active = False
        bootstrap.ensure_company_seeds(self.env)
        self.assertSeedOf(company, self.root)

    def test_inactive_root_is_reused_not_duplicated(self):
        self.root.action_set_inactive()
        self.assertEqual(bootstrap.ensure_global_root(self.env), self.root)
        self.assertEqual(self.SA.search_count([("is_global_root", "=", True)]), 1)
