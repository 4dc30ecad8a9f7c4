"""The main back-office path in a real (headless Chromium) browser."""

from odoo.tests import HttpCase, tagged

from .. import bootstrap


@tagged("post_install", "-at_install")
class TestBackOfficeTour(HttpCase):
    def test_admin_enrolls_agent_and_reassigns_customer_in_browser(self):
        env = self.env
        bootstrap.ensure_global_root(env)
        bootstrap.ensure_company_seeds(env)
        seed = env["ov.serviced_account"]._get_company_seed(env.company)
        Partner = env["res.partner"]
        manager = Partner.create({"name": "Tour Manager", "email": "tour.manager@example.com"})
        sa = env["ov.serviced_account"]._abs_create_branch(
            {"name": "Tour Field Operations", "parent_id": seed.id}, manager
        )
        jean = Partner.create({"name": "Tour Agent Jean", "email": "tour.jean@example.com"})
        marie = Partner._abs_create_governed_customer(
            sa,
            {"name": "Tour Customer Marie", "email": "tour.marie@client.example.com"},
            manager,
            portal_access=False,
        )
        first_assignment = env["ov.sa_customer_assignment"].search(
            [("partner_id", "=", marie.id), ("account_id", "=", sa.id), ("state", "=", "active")]
        )
        self.assertEqual(first_assignment.actor_id, manager, "precondition: the creator holds the customer")

        self.start_tour("/odoo", "abs_backoffice_enroll_and_reassign", login="admin")

        membership = env["ov.membership"]._get_live_membership(jean, sa)
        self.assertEqual(membership.role_code, "agent", "the admin enrolled Jean as an agent")
        self.assertEqual(membership.employee_id.partner_id, jean, "Jean got a free-seat identity")

        first_assignment.invalidate_recordset()
        self.assertEqual(first_assignment.state, "expired", "the old assignment is history")
        self.assertTrue(first_assignment.date_to)
        current = env["ov.sa_customer_assignment"].search(
            [("partner_id", "=", marie.id), ("account_id", "=", sa.id), ("state", "=", "active")]
        )
        self.assertEqual(current.actor_id, jean, "Marie is now Jean's customer")
        self.assertEqual(current.assigned_by_id, env.ref("base.user_admin").partner_id)
        marie.invalidate_recordset()
        self.assertEqual(marie.x_actor_id, jean)
        self.assertEqual(marie.x_assigned_employee_id, membership.employee_id)
