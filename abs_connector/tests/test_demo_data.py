from odoo.tests import tagged

from ..demo_data import AGENT_PASSWORD, CUSTOMERS, DEMO_SA_NAME, MANAGER_PASSWORD, create_demo_data
from .common import AbsGovernanceCase


@tagged("post_install", "-at_install", "abs_governance")
class TestDemoData(AbsGovernanceCase):
    """./dev run promises a branch SA, a manager, two agents and assigned customers."""

    def _demo_sa(self):
        return self.env["ov.serviced_account"].search([("name", "=", DEMO_SA_NAME)])

    def test_demo_branch_sits_under_the_main_company_seed_with_its_manager(self):
        create_demo_data(self.env)
        sa = self._demo_sa()
        self.assertEqual(len(sa), 1)
        self.assertEqual(
            sa.parent_id, self.env["ov.serviced_account"]._get_company_seed(self.env.ref("base.main_company"))
        )
        self.assertEqual(sa.sa_manager_id.person_partner_id.email, "alice@example.com")
        self.assertEqual(sa.sa_manager_id.role_code, "staff")

    def test_demo_agents_can_log_in_with_the_printed_passwords(self):
        create_demo_data(self.env)
        Employee = self.env["abs.employee"]
        for login in ("jean@example.com", "kwame@example.com"):
            self.assertTrue(Employee._authenticate(login, AGENT_PASSWORD), login)
        self.assertTrue(Employee._authenticate("alice@example.com", MANAGER_PASSWORD))
        self.assertFalse(Employee._authenticate("jean@example.com", "wrong-password"))

    def test_demo_customers_have_stamps_and_assignments_one_left_unassigned(self):
        create_demo_data(self.env)
        sa = self._demo_sa()
        active = self.env["ov.sa_customer_assignment"].search(
            [("account_id", "=", sa.id), ("state", "=", "active")]
        )
        self.assertEqual(len(active), len(CUSTOMERS))
        self.assertEqual(len(active.filtered(lambda a: not a.actor_id)), 1)
        self.assertEqual(set(active.partner_id.mapped("x_sa_id").ids), {sa.id})
        marie = active.partner_id.filtered(lambda p: p.name == "Marie Dupont")
        self.assertEqual(self.active_assignment(marie, sa).actor_id.email, "jean@example.com")

    def test_demo_data_is_created_once(self):
        create_demo_data(self.env)
        create_demo_data(self.env)
        self.assertEqual(len(self._demo_sa()), 1)
