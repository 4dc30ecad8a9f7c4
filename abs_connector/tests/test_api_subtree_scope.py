"""Members whose hierarchy scope covers sub-accounts act, from the parent's X-SA-ID, on the
customers they see there; rows and events belong to the customer's own sub-account."""

from odoo.tests import tagged

from .api_common import AbsApiCase


@tagged("post_install", "-at_install")
class TestApiSubtreeScope(AbsApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sub = cls.tree.sub_branch
        cls.regional = cls.make_member(
            cls.sa, "staff", cls.make_person("Regional Manager"), hierarchy_scope="this_node_and_descendants"
        ).person_partner_id
        cls.sub_agent = cls.make_member(cls.sub, "agent", cls.make_person("Lome Agent")).person_partner_id
        cls.sub_agent_2 = cls.make_member(cls.sub, "agent", cls.make_person("Lome Agent 2")).person_partner_id

    def setUp(self):
        super().setUp()
        self.customer_ = self.customer(actor=self.sub_agent, sa=self.sub, name="Lome Customer")
        self.row = self.active_assignment(self.customer_, self.sub)

    def assert_event_in_sub_account(self, event_type):
        event = self.events(event_type, self.customer_)[-1:]
        self.assertEqual(len(event), 1, event_type)
        self.assertEqual(event.sa_ref, self.sub.id, "topic of the customer's own SA")
        return self.event_data(event)

    def test_subtree_manager_assigns_sub_account_customer_from_the_parent_sa(self):
        status, body = self.api(
            "POST",
            f"/api/contacts/{self.customer_.id}/assign",
            {"employee_id": self.employee_of(self.sub_agent_2).id},
            person=self.regional,
            sa=self.sa,
        )

        self.assertEqual(status, 200, body)
        new_row = self.active_assignment(self.customer_, self.sub)
        self.assertEqual(
            (new_row.account_id, new_row.actor_id, new_row.assigned_by_id),
            (self.sub, self.sub_agent_2, self.regional),
        )
        self.assertFalse(self.active_assignment(self.customer_, self.sa), "no row in the parent SA")
        self.assertEqual((body["assignment_id"], body["previous_assignment_id"]), (new_row.id, self.row.id))
        data = self.assert_event_in_sub_account("customer.assigned")
        self.assertEqual((data["assignment_id"], data["previous_assignment_id"]), (new_row.id, self.row.id))

    def test_subtree_manager_updates_sub_account_customer_from_the_parent_sa(self):
        status, body = self.api(
            "PUT",
            f"/api/contacts/{self.customer_.id}",
            {"phone": "+228 77"},
            person=self.regional,
            sa=self.sa,
        )

        self.assertEqual(status, 200, body)
        self.assertEqual(
            (body["phone"], body["assignment_id"], body["sa_id"]), ("+228 77", self.row.id, self.sub.id)
        )
        self.assert_event_in_sub_account("customer.updated")

    def test_subtree_manager_reads_sub_account_customer_with_its_own_assignment_id(self):
        status, body = self.api("GET", f"/api/contacts/{self.customer_.id}", person=self.regional, sa=self.sa)

        self.assertEqual(status, 200, body)
        self.assertEqual(
            (body["assignment_id"], body["sa_id"], body["actor_id"]),
            (self.row.id, self.sub.id, self.sub_agent.id),
        )
        _status, listed = self.api("GET", "/api/contacts", person=self.regional, sa=self.sa)
        self.assertIn(body, listed["items"])

    def test_subtree_manager_archives_sub_account_customer_with_its_own_assignment_id(self):
        status, body = self.api(
            "DELETE", f"/api/contacts/{self.customer_.id}", person=self.regional, sa=self.sa
        )

        self.assertEqual(status, 200, body)
        self.assertFalse(self.customer_.active)
        data = self.assert_event_in_sub_account("customer.archived")
        self.assertEqual(data["assignment_id"], self.row.id)

    def test_explainer_says_the_customer_is_acted_on_in_its_sub_account(self):
        status, body = self.api(
            "GET",
            f"/api/contacts/{self.customer_.id}/access",
            person=self.regional,
            sa=self.sa,
            params={"person_id": self.regional.id},
        )

        self.assertEqual(status, 200, body)
        self.assertTrue(body["visible"])
        self.assertEqual(body["assignment_id"], self.row.id)
        self.assertIn("sub-account", body["reason"])
        self.assertIn(self.sub.name, body["reason"])

    def test_member_of_the_parent_only_still_gets_404_for_sub_account_customers(self):
        self.assertError(
            self.api(
                "PUT",
                f"/api/contacts/{self.customer_.id}",
                {"phone": "+228 78"},
                person=self.alice,
                sa=self.sa,
            ),
            404,
        )
