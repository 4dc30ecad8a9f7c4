"""The back office's analysis views: the figures they group, and each view opened in a browser."""

from odoo.tests import HttpCase, tagged

from .. import bootstrap
from .common import AbsGovernanceCase


class TestAssignmentAnalysisFigures(AbsGovernanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sa = cls.make_branch("Analysis Branch")
        cls.manager = cls.sa.sa_manager_id.person_partner_id
        cls.agent = cls.make_member(cls.sa).person_partner_id
        cls.kept = cls.make_customer(cls.sa, actor=cls.manager)
        cls.dropped = cls.make_customer(cls.sa, actor=cls.manager)
        Assignment = cls.env["ov.sa_customer_assignment"]
        Assignment._abs_reassign(cls.kept, cls.sa, cls.agent, cls.manager)
        Assignment._abs_reassign(cls.dropped, cls.sa, None, cls.manager)

    def count(self, domain, groupby):
        groups = self.env["ov.sa_customer_assignment"]._read_group(
            [("account_id", "=", self.sa.id), *domain], [groupby], ["__count"]
        )
        return {key.id if hasattr(key, "id") else key: count for key, count in groups}

    def test_active_customers_are_counted_assigned_or_unassigned(self):
        self.assertEqual(
            self.count([("state", "=", "active")], "assignment_status"), {"assigned": 1, "unassigned": 1}
        )

    def test_active_customers_are_counted_per_agent(self):
        self.assertEqual(self.count([("state", "=", "active")], "actor_id"), {self.agent.id: 1, False: 1})

    def test_clearing_the_agent_makes_the_customer_unassigned(self):
        assignment = self.active_assignment(self.kept, self.sa)
        assignment._abs_clear_actor()
        self.assertEqual(assignment.assignment_status, "unassigned")

    def test_each_reassignment_counts_once_in_its_month(self):
        months = self.count([("state", "=", "expired")], "date_to:month")
        self.assertEqual(sum(months.values()), 2)
        self.assertEqual(len(months), 1)


@tagged("post_install", "-at_install")
class TestAnalysisViewsTour(HttpCase):
    def test_admin_opens_every_analysis_view_from_the_governance_menu(self):
        env = self.env
        bootstrap.ensure_global_root(env)
        bootstrap.ensure_company_seeds(env)
        seed = env["ov.serviced_account"]._get_company_seed(env.company)
        Partner = env["res.partner"]
        manager = Partner.create({"name": "Tour Analysis Manager", "email": "analysis.manager@example.com"})
        sa = env["ov.serviced_account"]._abs_create_branch(
            {"name": "Tour Analysis Operations", "parent_id": seed.id}, manager
        )
        ana = Partner.create({"name": "Tour Analyst Ana", "email": "analysis.ana@example.com"})
        env["ov.membership"]._abs_enroll(sa, ana, "agent")
        Assignment = env["ov.sa_customer_assignment"]
        for name, new_actor in (("Tour Kept Customer", ana), ("Tour Dropped Customer", None)):
            customer = Partner._abs_create_governed_customer(
                sa,
                {"name": name, "email": f"{name.split()[1].lower()}@client.example.com"},
                manager,
                portal_access=False,
            )
            Assignment._abs_reassign(customer, sa, new_actor, manager)

        self.start_tour("/odoo", "abs_backoffice_analysis", login="admin")
