"""A membership that ends (effective_to passed) or loses the right to hold customers releases
them exactly as revocation does; suspension keeps them. Observed over the REST API."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .api_common import AbsApiCase


@tagged("post_install", "-at_install")
class TestApiMembershipEnd(AbsApiCase):
    def setUp(self):
        super().setUp()
        self.marie = self.customer(actor=self.jean, name="Marie Ended", email="marie.ended@example.com")
        self.assignment = self.active_assignment(self.marie, self.sa)

    def visible_ids(self, person):
        status, body = self.api("GET", "/api/contacts", person=person, sa=self.sa, params={"limit": 200})
        self.assertEqual(status, 200, body)
        return {item["id"] for item in body["items"]}

    def end_jean_membership(self):
        self.tree.jean_membership.effective_to = fields.Datetime.now() - timedelta(minutes=1)

    def assert_released_like_a_revocation(self, reason):
        self.marie.invalidate_recordset()
        self.assignment.invalidate_recordset()
        self.assertEqual(self.active_assignment(self.marie, self.sa), self.assignment, "same row, kept")
        self.assertEqual((self.assignment.state, self.assignment.actor_id.id), ("active", False))
        self.assertEqual((self.marie.x_actor_id.id, self.marie.x_assigned_employee_id.id), (False, False))
        events = self.events("customer.unassigned", self.marie)
        self.assertEqual(len(events), 1)
        data = self.event_data(events)
        self.assertEqual(
            (data["reason"], data["from_actor_id"], data["assignment_id"], data["membership_id"]),
            (reason, self.jean.id, self.assignment.id, self.tree.jean_membership.id),
        )

    def test_ended_membership_releases_its_customers_at_the_next_request_of_anyone(self):
        self.assertNotIn(self.marie.id, self.visible_ids(self.kwame))
        self.end_jean_membership()

        self.assertIn(self.marie.id, self.visible_ids(self.kwame), "unassigned: other agents see it")

        self.assert_released_like_a_revocation("membership_expired")
        self.visible_ids(self.kwame)
        self.assertEqual(len(self.events("customer.unassigned", self.marie)), 1, "released once")

    def test_no_request_acts_on_an_ended_membership(self):
        self.end_jean_membership()
        for method, path, body in (
            ("GET", "/api/contacts", None),
            ("POST", "/api/contacts", {"name": "Too Late"}),
            ("PUT", f"/api/contacts/{self.marie.id}", {"phone": "+228 3"}),
        ):
            with self.subTest(method=method):
                self.assertError(self.api(method, path, body, person=self.jean, sa=self.sa), 403)
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Too Late")]))

    def test_cron_releases_ended_memberships_when_nobody_calls_the_api(self):
        self.end_jean_membership()
        self.env.ref("abs_connector.ir_cron_abs_release_lapsed_memberships").method_direct_trigger()
        self.assert_released_like_a_revocation("membership_expired")

    def test_role_change_to_one_without_customers_releases_them(self):
        self.tree.jean_membership.write({"role_code": "viewer"})

        self.assert_released_like_a_revocation("role_changed")
        self.assertIn(self.marie.id, self.visible_ids(self.kwame))

    def test_role_change_between_roles_that_hold_customers_keeps_them(self):
        self.tree.jean_membership.write({"role_code": "staff"})
        self.assignment.invalidate_recordset()
        self.assertEqual(self.assignment.actor_id, self.jean)
        self.assertFalse(self.events("customer.unassigned", self.marie))

    def test_suspension_keeps_the_customers_visible_to_staff_not_to_other_agents(self):
        self.tree.jean_membership.action_suspend()

        self.assignment.invalidate_recordset()
        self.assertEqual(self.assignment.actor_id, self.jean)
        self.assertFalse(self.events("customer.unassigned", self.marie))
        self.assertIn(self.marie.id, self.visible_ids(self.alice))
        self.assertNotIn(self.marie.id, self.visible_ids(self.kwame))
        self.assertError(self.api("GET", "/api/contacts", person=self.jean, sa=self.sa), 403)

    def test_ended_suspended_membership_releases_its_customers(self):
        self.tree.jean_membership.action_suspend()
        self.end_jean_membership()
        self.assertIn(self.marie.id, self.visible_ids(self.kwame))
        self.assert_released_like_a_revocation("membership_expired")
