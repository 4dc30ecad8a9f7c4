import threading
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.sql_db import db_connect
from odoo.tests import tagged
from odoo.tools import SQL

from .. import backfill
from ..exceptions import GovernanceConflict
from ..governance import sync, visibility
from .common import AbsGovernanceCase

BACKFILL_LOGGER = "odoo.addons.abs_connector.backfill"


class StampedCustomersCase(AbsGovernanceCase):
    """A branch with an agent, and customers stamped the V2 way."""

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

    def stamped_with_a_user_elsewhere(self, name, login, actor=None):
        """A customer stamped in the branch whose user works in another company (Odoo refuses to
        give such a partner a company its user does not work in)."""
        customer = self.stamped(name, self.branch, actor)
        other = self.env["res.company"].create({"name": f"{name} Elsewhere Ltd"})
        self.env["res.users"].create(
            {
                "name": name,
                "login": login,
                "partner_id": customer.id,
                "company_id": other.id,
                "company_ids": [(6, 0, other.ids)],
            }
        )
        return customer

    def drop_stamp_foreign_key(self, column):
        """Stamp columns without their foreign key, as some V2 databases have them
        (DDL is transactional: the test's rollback restores it)."""
        self.env.cr.execute(f"ALTER TABLE res_partner DROP CONSTRAINT IF EXISTS res_partner_{column}_fkey")

    def assignments_of(self, partners):
        return self.Assignment.search([("partner_id", "in", partners.ids)])


@tagged("post_install", "-at_install")
class TestBackfill(StampedCustomersCase):
    """V3 assignments backfilled from V2 stamps (migration 18.0.1.1.0, API, wizard)."""

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

    def test_a_backfilled_customer_belongs_to_its_accounts_company_and_only_the_run_company(self):
        here = self.stamped("Here", self.branch, self.agent)
        company = self.env["res.company"].create({"name": "Backfill Elsewhere Ltd"})
        elsewhere_sa = self.make_branch(
            "Backfill Elsewhere", parent=self.env["ov.serviced_account"]._get_company_seed(company)
        )
        elsewhere = self.stamped("Elsewhere", elsewhere_sa)
        self.assertFalse((here | elsewhere).company_id)

        backfill.run(self.env, company_id=self.branch.company_id.id)

        self.assertEqual(here.company_id, self.branch.company_id)
        self.assertFalse(elsewhere.company_id, "not a customer of the company the run was for")
        backfill.run(self.env)
        self.assertEqual(elsewhere.company_id, company)

    def test_a_backfilled_company_customer_gives_its_company_to_its_contacts_not_to_other_companies_users(
        self,
    ):
        firm = self.stamped("Firm", self.branch, self.agent, is_company=True)
        contact = self.env["res.partner"].create({"name": "Firm Buyer", "parent_id": firm.id})
        with_user = self.stamped_with_a_user_elsewhere("Has A User", "has.a.user@example.com", self.agent)
        self.assertFalse((firm | contact).company_id)

        backfill.run(self.env)

        self.assertEqual(firm.company_id, self.branch.company_id)
        self.assertEqual(
            contact.company_id, self.branch.company_id, "its contacts follow, as Odoo's write does"
        )
        self.assertFalse(with_user.company_id, "its user would lose their own partner")

    def test_up_to_a_batch_of_customers_get_their_company_in_the_runs_own_transaction(self):
        customers = self.stamped("Batch One", self.branch) | self.stamped("Batch Two", self.branch)
        cron = self.env.ref(backfill.COMPANY_CRON)

        with patch.object(backfill, "COMPANY_BATCH_SIZE", 2):
            report = backfill.run(self.env)

        self.assertFalse(report["companies_deferred"])
        self.assertEqual(customers.company_id, self.branch.company_id)
        self.assertFalse(cron.active, "nothing left for the scheduled action")

    def test_more_customers_than_a_batch_get_their_company_from_the_scheduled_action_a_batch_at_a_time(self):
        customers = self.env["res.partner"].concat(
            *(self.stamped(f"Later {index}", self.branch) for index in range(5))
        )
        with_user = self.stamped_with_a_user_elsewhere("Later With A User", "later.with.a.user@example.com")
        cron = self.env.ref(backfill.COMPANY_CRON)

        with patch.object(backfill, "COMPANY_BATCH_SIZE", 2):
            report = backfill.run(self.env)
            self.assertTrue(report["companies_deferred"])
            self.assertFalse((customers | with_user).company_id, "left to the scheduled action")
            self.assertTrue(cron.active)
            self.assertIn(cron, self.env["ir.cron.trigger"].search([]).cron_id, "asked to run now")
            self.run_cron_job(cron)

        self.assertEqual(customers.company_id, self.branch.company_id)
        self.assertFalse(with_user.company_id, "its user would lose their own partner; and it ends")
        progress = self.env["ir.cron.progress"].search([("cron_id", "=", cron.id)], order="id")
        self.assertEqual(progress.mapped("done"), [2, 2, 1])
        self.assertEqual(progress.mapped("remaining"), [3, 1, 0])
        self.assertFalse(cron.active, "it turns itself off when no customer is left")

    def run_cron_job(self, cron):
        """``cron`` as Odoo's scheduler runs it: its batches, their progress, its deactivation."""
        self.env.flush_all()
        self.registry.enter_test_mode(self.cr)
        try:
            job = {**cron.read(load=None)[0], "done": 0, "remaining": 0, "timed_out_counter": 0}
            self.registry["ir.cron"]._process_job(self.registry.db_name, self.registry.cursor(), job)
        finally:
            self.registry.leave_test_mode()
        self.env.invalidate_all()

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

    def test_sample_is_the_lowest_ids_of_each_outcome_up_to_the_requested_size(self):
        customers = self.env["res.partner"].concat(
            *(self.stamped(f"Many {index}", self.branch, self.agent) for index in range(5))
        )
        closed = self.make_branch("Closed For Sample")
        skipped = self.env["res.partner"].concat(
            *(self.stamped(f"Skipped {index}", closed) for index in range(4))
        )
        closed.action_set_inactive()
        report = backfill.plan(self.env, sample_size=3)
        self.assertEqual(report["would_create"], 5)
        self.assertEqual([row["partner_id"] for row in report["sample"]], sorted(customers.ids)[:3])
        self.assertEqual([row["partner_id"] for row in report["skipped_sample"]], sorted(skipped.ids)[:3])

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
class TestBulkBackfill(StampedCustomersCase):
    """A large backfill (an upgrade) loads in bulk: same rows, same schema afterwards."""

    def schema(self):
        """Indexes, foreign keys (with their validation) and triggers of the assignment table."""
        cr = self.env.cr
        cr.execute(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = 'ov_sa_customer_assignment'::regclass ORDER BY 1"
        )
        indexes = cr.fetchall()
        cr.execute(
            "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
            "WHERE conrelid = 'ov_sa_customer_assignment'::regclass ORDER BY 1"
        )
        constraints = cr.fetchall()
        cr.execute(
            "SELECT tgname, tgenabled FROM pg_trigger "
            "WHERE tgrelid = 'ov_sa_customer_assignment'::regclass AND NOT tgisinternal ORDER BY 1"
        )
        return indexes, constraints, cr.fetchall()

    def compacted_horizon(self):
        return self.env["abs.contact.change"]._abs_compacted_horizon()

    def logged_partner_ids(self):
        self.env.cr.execute("SELECT DISTINCT partner_id FROM abs_contact_change WHERE partner_id IS NOT NULL")
        return {row[0] for row in self.env.cr.fetchall()}

    def test_bulk_run_creates_the_rows_of_a_row_by_row_run_and_restores_the_schema(self):
        assigned = self.stamped("Bulk assigned", self.branch, self.agent)
        unassigned = self.stamped("Bulk unassigned", self.branch)
        # already in their account's company: no later write of the partners fills their rows
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_partner SET company_id = %s WHERE id = ANY(%s)",
            [self.branch.company_id.id, (assigned | unassigned).ids],
        )
        self.env.invalidate_all()
        before = self.schema()

        report = backfill.run(self.env, bulk=True)

        self.assertEqual((report["created"], report["conflicts"]), (2, 0))
        self.assertRecordValues(
            self.assignments_of(assigned | unassigned).sorted(lambda a: a.partner_id.id),
            [
                {
                    "partner_id": assigned.id,
                    "actor_id": self.agent.id,
                    "assignment_status": "assigned",
                    "state": "active",
                    "date_from": assigned.create_date,
                    "company_id": self.branch.company_id.id,
                },
                {
                    "partner_id": unassigned.id,
                    "actor_id": False,
                    "assignment_status": "unassigned",
                    "state": "active",
                    "date_from": unassigned.create_date,
                    "company_id": self.branch.company_id.id,
                },
            ],
        )
        self.env.cr.execute(
            """
            SELECT count(*) FROM ov_sa_customer_assignment a JOIN res_partner p ON p.id = a.partner_id
             WHERE a.partner_id = ANY(%s)
               AND (a.abs_sort_name, a.abs_customer_active, a.abs_customer_company_id, a.abs_customer_share)
                   IS DISTINCT FROM (p.complete_name, p.active, p.company_id, p.partner_share)
            """,
            [(assigned | unassigned).ids],
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0, "the insert gives its rows what its triggers would")
        self.assertEqual(self.schema(), before)
        self.assertEqual(backfill.run(self.env, bulk=True)["created"], 0)

    def test_bulk_run_changes_nothing_when_a_customer_it_could_not_see_assigned_is_active_already(self):
        raced = self.stamped("Raced", self.branch, self.agent)
        waiting = self.stamped("Waiting", self.branch)
        backfill.run(self.env)
        self.env.cr.execute("DELETE FROM ov_sa_customer_assignment WHERE partner_id = %s", [waiting.id])
        self.env.invalidate_all()
        before = self.schema()
        classified = backfill._classified_stamps

        def snapshot_before_the_other_commit(env, company_id):
            # raced's row committed after this run's snapshot: its classification cannot see it
            return SQL(
                """SELECT seen.partner_id, seen.account_id, seen.actor_id, seen.sort_name,
                          seen.customer_active, seen.customer_company_id, seen.customer_share,
                          seen.company_id, seen.date_from,
                          CASE WHEN seen.outcome = %s THEN %s ELSE seen.outcome END AS outcome
                     FROM (%s) seen""",
                backfill.ALREADY_PRESENT,
                backfill.CREATE,
                classified(env, company_id),
            )

        with (
            patch.object(backfill, "_classified_stamps", snapshot_before_the_other_commit),
            self.assertRaises(GovernanceConflict) as refused,
            self.env.cr.savepoint(),
        ):
            backfill.run(self.env, bulk=True)

        self.assertIn("Run it again", str(refused.exception))
        self.assertNotIn(str(raced.id), str(refused.exception))
        self.env.invalidate_all()
        self.assertEqual(len(self.assignments_of(raced)), 1)
        self.assertFalse(self.assignments_of(waiting))
        self.assertEqual(self.schema(), before)

    def test_bulk_run_expires_every_sync_cursor_issued_before_it_instead_of_logging_each_customer(self):
        changes = self.env["abs.contact.change"]
        earlier = sync.Cursor(1, self.branch.id, "f", sync.MODE_DELTA, changes._abs_horizon())
        customer = self.stamped("Bulk logged", self.branch, self.agent)

        with patch.object(backfill, "BULK_MIN_ROWS", 1):
            self.assertEqual(backfill.run(self.env)["created"], 1)

        self.assertNotIn(customer.id, self.logged_partner_ids())
        self.assertEqual(sync.reset_reason(earlier, "f", self.compacted_horizon(), False), sync.RESET_EXPIRED)

    def test_small_run_logs_each_customer_and_keeps_cursors(self):
        horizon = self.compacted_horizon()
        customer = self.stamped("Row by row", self.branch, self.agent)

        backfill.run(self.env)

        self.assertIn(customer.id, self.logged_partner_ids())
        self.assertEqual(self.compacted_horizon(), horizon)

    def test_bulk_run_loads_row_by_row_when_another_transaction_keeps_a_table_locked(self):
        customer = self.stamped("Waited for", self.branch, self.agent)
        horizon = self.compacted_horizon()
        other = db_connect(self.env.cr.dbname).cursor()
        try:
            other.execute("LOCK TABLE res_company IN ACCESS SHARE MODE")
            with (
                patch.object(backfill, "BULK_LOCK_TIMEOUT", "50ms"),
                self.assertLogs(BACKFILL_LOGGER, "WARNING") as logs,
            ):
                report = backfill.run(self.env, bulk=True)
        finally:
            other.rollback()
            other.close()

        self.assertEqual(report["created"], 1)
        self.assertIn("row by row", logs.output[0])
        self.assertIn(customer.id, self.logged_partner_ids())
        self.assertEqual(self.compacted_horizon(), horizon)

    def test_bulk_run_loads_row_by_row_when_a_request_would_deadlock_with_its_locks(self):
        customer = self.stamped("Deadlocked", self.branch, self.agent)
        other = db_connect(self.env.cr.dbname).cursor()
        # A request that holds a table the load locks late (res_partner), then reads one it
        # locks early (the assignments): each waits on the other until PostgreSQL breaks it.
        request_read = threading.Timer(0.3, other.execute, ["SELECT count(*) FROM ov_sa_customer_assignment"])
        try:
            other.execute("LOCK TABLE res_partner IN ACCESS SHARE MODE")
            request_read.start()
            with (
                patch.object(backfill, "BULK_LOCK_TIMEOUT", "10s"),
                self.assertLogs(BACKFILL_LOGGER, "WARNING") as logs,
            ):
                report = backfill.run(self.env, bulk=True)
            request_read.join(10)
        finally:
            request_read.cancel()
            other.rollback()
            other.close()

        self.assertEqual(report["created"], 1)
        self.assertIn("row by row", logs.output[0])
        self.assertTrue(self.active_assignment(customer, self.branch))


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
