"""The main back-office path in a real (headless Chromium) browser."""

from odoo.tests import HttpCase, tagged

from .. import bootstrap
from .common import AbsGovernanceCase


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


@tagged("post_install", "-at_install")
class TestBackOfficeArchiveAndEditTours(HttpCase, AbsGovernanceCase):
    """Archive/unarchive of a governed customer from Contacts and the membership form, in a
    browser; the database and the events checked after each tour."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sa = cls.make_branch("Tour Edit Branch", manager=cls.make_person("Tour Edit Manager"))
        cls.agent = cls.make_member(cls.sa, "agent", cls.make_person("Tour Edit Agent"))

    def test_admin_archives_and_restores_a_portal_customer_from_contacts(self):
        customer = self.make_customer(self.sa, self.agent, portal_access=True, name="Tour Archive Customer")
        portal_users = customer.with_context(active_test=False).user_ids
        self.assertTrue(portal_users and all(portal_users.mapped("active")), "precondition: a portal user")

        self.start_tour("/odoo/contacts", "abs_backoffice_archive_customer", login="admin")
        self.env.invalidate_all()
        self.assertFalse(customer.active)
        self.assertFalse(any(portal_users.mapped("active")), "the portal user is archived with it")
        self.assertEqual(len(self.events("customer.archived", customer)), 1)
        self.assertEqual(self.active_assignment(customer, self.sa).actor_id, self.agent.person_partner_id)

        self.start_tour("/odoo/contacts", "abs_backoffice_unarchive_customer", login="admin")
        self.env.invalidate_all()
        self.assertTrue(customer.active)
        self.assertTrue(all(portal_users.mapped("active")), "the portal user is restored")
        restored = self.events("customer.updated", customer)
        self.assertEqual(self.event_data(restored[-1]), {"changed": {"active": True}})

    def test_admin_edits_a_membership_and_a_refused_edit_changes_nothing(self):
        manager = self.sa.sa_manager_id
        self.start_tour(
            "/odoo/action-abs_connector.ov_membership_action", "abs_backoffice_edit_membership", login="admin"
        )
        self.env.invalidate_all()
        self.assertEqual((self.agent.role_code, self.agent.scope_policy), ("staff", "assigned_only"))
        updated = self.events("membership.updated", self.agent)
        self.assertEqual(len(updated), 1)
        self.assertEqual(sorted(self.event_data(updated[0])["changed"]), ["role_code", "scope_policy"])
        self.assertEqual(manager.role_code, "staff", "the refused edit changed nothing")
        self.assertFalse(self.events("membership.updated", manager), "and published nothing")
