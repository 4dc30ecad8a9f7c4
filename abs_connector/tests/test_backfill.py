from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .. import backfill
from ..governance import visibility
from .common import AbsGovernanceCase

BACKFILL_LOGGER = "odoo.addons.abs_connector.backfill"


@tagged("post_install", "-at_install")
class TestBackfill(AbsGovernanceCase):
    """V3 assignments backfilled from V2 stamps (migration 18.0.1.1.0, API, wizard)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Assignment = cls.env["ov.sa_customer_assignment"]
        cls.branch = cls.make_branch("North")
        cls.agent = cls.make_member(cls.branch, "agent").person_partner_id

    # ---- helpers ----

    def stamped(self, name, sa, actor=None, **vals):
        """A customer as V2 left it: stamps written straight to the table, no assignment."""
        partner = self.env["res.partner"].create({"name": name, **vals})
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_partner SET x_sa_id = %s, x_actor_id = %s WHERE id = %s",
            [sa if isinstance(sa, int) else sa.id, actor.id if actor else None, partner.id],
        )
        partner.invalidate_recordset(["x_sa_id", "x_actor_id"])
        return partner

    def drop_stamp_foreign_key(self, column):
        """Stamp columns without their foreign key, as some V2 databases have them
        (DDL is transactional: the test's rollback restores it)."""
        self.env.cr.execute(f"ALTER TABLE res_partner DROP CONSTRAINT IF EXISTS res_partner_{column}_fkey")

    def assignments_of(self, partners):
        return self.Assignment.search([("partner_id", "in", partners.ids)])

    # ---- what a run creates ----

    def test_run_gives_each_stamped_customer_one_active_assignment_with_the_stamped_actor(self):
        first = self.stamped("First", self.branch, self.agent)
        second = self.stamped("Second", self.branch, self.agent)

        report = backfill.run(self.env)

        self.assertEqual(report["created"], 2)
        self.assertEqual(report["would_create"], 2)
        self.assertFalse(report["dry_run"])
        rows = self.assignments_of(first | second).sorted(lambda a: a.partner_id.id)
        self.assertRecordValues(
            rows,
            [
                {
                    "partner_id": partner.id,
                    "account_id": self.branch.id,
                    "actor_id": self.agent.id,
                    "state": "active",
                    "date_to": False,
                    "assigned_by_id": False,
                    "date_from": partner.create_date,
                    "company_id": self.branch.company_id.id,
                }
                for partner in (first | second).sorted("id")
            ],
        )

    def test_null_actor_stamp_gives_an_unassigned_customer(self):
        customer = self.stamped("Nobody's", self.branch)
        backfill.run(self.env)
        self.assertRecordValues(self.assignments_of(customer), [{"actor_id": False, "state": "active"}])

    def test_archived_customer_keeps_its_history_and_is_backfilled(self):
        customer = self.stamped("Archived", self.branch, self.agent, active=False)
        backfill.run(self.env)
        self.assertEqual(len(self.assignments_of(customer)), 1)

    def test_backfilled_customer_is_visible_to_the_agent_through_the_v3_domain(self):
        customer = self.stamped("Visible", self.branch, self.agent)
        ctx = self.env["ov.membership"]._abs_access_context(self.agent, self.branch)
        domain = visibility.customer_domain(ctx)
        self.assertNotIn(customer, self.env["res.partner"].search(domain))
        backfill.run(self.env)
        self.assertIn(customer, self.env["res.partner"].search(domain))

    def test_second_run_creates_nothing(self):
        self.stamped("Once", self.branch, self.agent)
        self.assertEqual(backfill.run(self.env)["created"], 1)
        count = self.Assignment.search_count([])

        report = backfill.run(self.env)

        self.assertEqual((report["created"], report["would_create"]), (0, 0))
        self.assertEqual(report["already_present"], 1)
        self.assertEqual(self.Assignment.search_count([]), count)

    def test_customer_already_known_to_v3_is_left_alone_even_if_only_as_history(self):
        governed = self.make_customer(self.branch, self.agent)
        other = self.make_member(self.branch, "agent").person_partner_id
        self.Assignment._abs_reassign(
            governed, self.branch, other, self.branch.sa_manager_id.person_partner_id
        )
        history = self.assignments_of(governed)
        self.assertEqual(sorted(history.mapped("state")), ["active", "expired"])

        report = backfill.run(self.env)

        self.assertEqual(report["created"], 0)
        self.assertEqual(self.assignments_of(governed), history)

    # ---- what a run skips and reports ----

    def test_stamp_on_an_inactive_sa_is_skipped_and_reported(self):
        closed = self.make_branch("Closed")
        customer = self.stamped("In closed", closed, self.agent)
        closed.action_set_inactive()

        with self.assertLogs(BACKFILL_LOGGER, "WARNING") as logs:
            report = backfill.run(self.env)

        self.assertEqual(report["skipped"], {"missing_sa": 0, "inactive_sa": 1, "missing_actor": 0})
        self.assertEqual(report["created"], 0)
        self.assertFalse(self.assignments_of(customer))
        self.assertEqual(report["skipped_sample"][0]["partner_id"], customer.id)
        self.assertEqual(report["skipped_sample"][0]["reason"], "inactive_sa")
        self.assertIn(f"partner {customer.id} -> SA {closed.id} (inactive_sa)", logs.output[0])

    def test_stamp_on_a_deleted_sa_is_skipped_and_reported(self):
        self.drop_stamp_foreign_key("x_sa_id")
        self.env.cr.execute("SELECT MAX(id) + 100 FROM ov_serviced_account")
        ghost_sa = self.env.cr.fetchone()[0]
        customer = self.stamped("Orphan", ghost_sa, self.agent)
        fine = self.stamped("Fine", self.branch, self.agent)

        with self.assertLogs(BACKFILL_LOGGER, "WARNING"):
            report = backfill.run(self.env)

        self.assertEqual(report["skipped"]["missing_sa"], 1)
        self.assertEqual(report["created"], 1)
        self.assertFalse(self.assignments_of(customer))
        self.assertEqual(len(self.assignments_of(fine)), 1)
        row = report["skipped_sample"][0]
        self.assertEqual(
            (row["partner_id"], row["account_id"], row["account_name"], row["reason"]),
            (customer.id, ghost_sa, None, "missing_sa"),
        )

    def test_stamp_on_a_deleted_actor_is_skipped_and_reported(self):
        self.drop_stamp_foreign_key("x_actor_id")
        gone = self.env["res.partner"].create({"name": "Gone Agent"})
        customer = self.stamped("Agentless", self.branch, gone)
        self.env.cr.execute("DELETE FROM res_partner WHERE id = %s", [gone.id])

        with self.assertLogs(BACKFILL_LOGGER, "WARNING"):
            report = backfill.run(self.env)

        self.assertEqual(report["skipped"]["missing_actor"], 1)
        self.assertFalse(self.assignments_of(customer))
        # The stamp is kept for the operator to fix.
        self.env.cr.execute("SELECT x_actor_id FROM res_partner WHERE id = %s", [customer.id])
        self.assertEqual(self.env.cr.fetchone()[0], gone.id)

    # ---- dry run ----

    def test_dry_run_answers_counts_and_sample_and_changes_nothing(self):
        assigned = self.stamped("Assigned", self.branch, self.agent)
        unassigned = self.stamped("Unassigned", self.branch)
        closed = self.make_branch("Closed For Dry Run")
        self.stamped("Skipped", closed, self.agent)
        closed.action_set_inactive()
        count = self.Assignment.search_count([])

        report = backfill.plan(self.env)

        self.assertTrue(report["dry_run"])
        self.assertEqual((report["would_create"], report["created"]), (2, 0))
        self.assertEqual(report["skipped_total"], 1)
        self.assertEqual(self.Assignment.search_count([]), count)
        self.assertEqual(
            report["sample"],
            [
                {
                    "partner_id": assigned.id,
                    "partner_name": "Assigned",
                    "account_id": self.branch.id,
                    "account_name": "North",
                    "actor_id": self.agent.id,
                },
                {
                    "partner_id": unassigned.id,
                    "partner_name": "Unassigned",
                    "account_id": self.branch.id,
                    "account_name": "North",
                    "actor_id": None,
                },
            ],
        )
        # What the dry run announced is exactly what the run does.
        with self.assertLogs(BACKFILL_LOGGER, "WARNING"):
            self.assertEqual(backfill.run(self.env)["created"], report["would_create"])

    def test_sample_is_limited_to_the_requested_size(self):
        for index in range(5):
            self.stamped(f"Many {index}", self.branch, self.agent)
        report = backfill.plan(self.env, sample_size=3)
        self.assertEqual(report["would_create"], 5)
        self.assertEqual(len(report["sample"]), 3)

    # ---- company scope ----

    def test_company_scope_touches_only_stamps_on_that_companys_accounts(self):
        company_b = self.env["res.company"].create({"name": "Backfill Company B"})
        seed_b = self.env["ov.serviced_account"]._get_company_seed(company_b)
        branch_b = self.make_branch("South B", parent=seed_b)
        here = self.stamped("Here", self.branch, self.agent)
        there = self.stamped("There", branch_b)

        report = backfill.run(self.env, company_id=company_b.id)

        self.assertEqual((report["company_id"], report["created"]), (company_b.id, 1))
        self.assertFalse(self.assignments_of(here))
        self.assertEqual(self.assignments_of(there).company_id, company_b)

    def test_unknown_or_malformed_company_is_refused_and_nothing_changes(self):
        self.stamped("Waiting", self.branch, self.agent)
        count = self.Assignment.search_count([])
        for bad in (999999, "1", True):
            with self.subTest(company_id=bad), self.assertRaises(UserError):
                backfill.run(self.env, company_id=bad)
        self.assertEqual(self.Assignment.search_count([]), count)

    # ---- set-based ----

    def test_run_costs_the_same_queries_for_ten_or_a_hundred_customers(self):
        def queries_for(count, prefix):
            for index in range(count):
                self.stamped(f"{prefix} {index}", self.branch, self.agent if index % 2 else None)
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            report = backfill.run(self.env)
            self.assertEqual(report["created"], count)
            return self.env.cr.sql_log_count - before

        self.assertEqual(queries_for(10, "Small"), queries_for(100, "Large"))


@tagged("post_install", "-at_install")
class TestBackfillWizard(AbsGovernanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.branch = cls.make_branch("Wizard Branch")
        cls.manager_user = cls.env["res.users"].create(
            {
                "name": "Gov Manager",
                "login": "gov.manager.backfill",
                "groups_id": [(6, 0, [cls.env.ref("abs_connector.group_abs_governance_manager").id])],
            }
        )
        cls.plain_user = cls.env["res.users"].create(
            {
                "name": "Gov User",
                "login": "gov.user.backfill",
                "groups_id": [(6, 0, [cls.env.ref("abs_connector.group_abs_governance_user").id])],
            }
        )

    def _stamp(self, name):
        partner = self.env["res.partner"].create({"name": name})
        self.env.flush_all()
        self.env.cr.execute("UPDATE res_partner SET x_sa_id = %s WHERE id = %s", [self.branch.id, partner.id])
        partner.invalidate_recordset(["x_sa_id"])
        return partner

    def test_manager_dry_runs_then_runs_the_backfill_from_the_wizard(self):
        customer = self._stamp("From Wizard")
        wizard = self.env["abs.backfill.wizard"].with_user(self.manager_user).create({})

        action = wizard.action_dry_run()

        self.assertEqual(action["res_id"], wizard.id)
        self.assertRecordValues(wizard, [{"state": "planned", "would_create": 1, "created": 0}])
        self.assertIn(f"From Wizard (id {customer.id})", wizard.sample)
        self.assertFalse(self.env["ov.sa_customer_assignment"].search([("partner_id", "=", customer.id)]))

        wizard.action_run()

        self.assertRecordValues(wizard, [{"state": "done", "created": 1}])
        self.assertTrue(self.env["ov.sa_customer_assignment"].search([("partner_id", "=", customer.id)]))

    def test_wizard_is_for_governance_managers_only(self):
        self._stamp("Not For Users")
        with self.assertRaises(AccessError):
            self.env["abs.backfill.wizard"].with_user(self.plain_user).create({}).action_run()
