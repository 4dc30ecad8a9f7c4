import re

from odoo.exceptions import MissingError
from odoo.tests import tagged

from ..governance import visibility
from .common import AbsGovernanceCase, AbsSaTreeCustomerCase


@tagged("post_install", "-at_install", "abs_governance")
class TestCustomerVisibility(AbsGovernanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tree = t = cls.make_sa_tree()
        cls.jeans = cls.make_customer(t.branch, t.jean, name="Jean's customer")
        cls.kwames = cls.make_customer(t.branch, t.kwame, name="Kwame's customer")
        cls.unassigned = cls.make_customer(t.branch, None, name="Unassigned customer")
        cls.sub_customer = cls.make_customer(t.sub_branch, None, name="Sub-branch customer")
        cls.other_branch = cls.make_branch("Elsewhere")
        cls.elsewhere = cls.make_customer(cls.other_branch, None, name="Elsewhere customer")
        cls.Partner = cls.env["res.partner"]
        cls.Membership = cls.env["ov.membership"]

    def visible(self, person, sa):
        ctx = self.Membership._abs_access_context(person, sa)
        return self.Partner.search(visibility.customer_domain(ctx))

    def test_agent_sees_own_and_unassigned_customers(self):
        self.assertEqual(self.visible(self.tree.jean, self.tree.branch), self.jeans | self.unassigned)

    def test_agent_cannot_read_customer_of_other_agent(self):
        self.assertNotIn(self.kwames, self.visible(self.tree.jean, self.tree.branch))

    def test_staff_sees_the_whole_account(self):
        self.assertEqual(
            self.visible(self.tree.alice, self.tree.branch), self.jeans | self.kwames | self.unassigned
        )

    def test_assigned_only_override_hides_unassigned(self):
        self.tree.jean_membership.scope_policy = "assigned_only"
        self.assertEqual(self.visible(self.tree.jean, self.tree.branch), self.jeans)

    def test_agent_cannot_read_customer_of_other_sa(self):
        self.assertNotIn(self.elsewhere, self.visible(self.tree.jean, self.tree.branch))
        self.assertFalse(self.visible(self.tree.jean, self.other_branch), "no membership there")

    def test_this_node_only_excludes_sub_accounts(self):
        self.assertNotIn(self.sub_customer, self.visible(self.tree.alice, self.tree.branch))
        self.assertFalse(self.visible(self.tree.alice, self.tree.sub_branch))

    def test_descendants_scope_covers_sub_accounts(self):
        self.tree.alice_membership.hierarchy_scope = "this_node_and_descendants"
        self.assertEqual(
            self.visible(self.tree.alice, self.tree.branch),
            self.jeans | self.kwames | self.unassigned | self.sub_customer,
        )
        ctx = self.Membership._abs_access_context(self.tree.alice, self.tree.sub_branch)
        self.assertEqual(ctx.membership_id, self.tree.alice_membership.id, "inherited from the ancestor")
        self.assertEqual(self.visible(self.tree.alice, self.tree.sub_branch), self.sub_customer)
        self.assertNotIn(self.elsewhere, self.visible(self.tree.alice, self.tree.branch))

    def test_suspended_or_revoked_member_sees_nothing(self):
        self.tree.jean_membership.action_suspend()
        self.assertFalse(self.visible(self.tree.jean, self.tree.branch))

    def test_inactive_account_grants_nothing(self):
        # the branch has a sub-account: archiving asks to confirm the whole subtree
        action = self.tree.branch.action_set_inactive()
        self.env[action["res_model"]].with_context(**action["context"]).create({}).action_archive()
        self.assertFalse(self.visible(self.tree.alice, self.tree.branch))

    def test_archived_customers_are_not_listed(self):
        self.jeans._abs_archive_governed_customer(self.tree.branch, self.tree.alice)
        self.assertEqual(self.visible(self.tree.jean, self.tree.branch), self.unassigned)

    def test_customer_domain_compiles_to_a_subselect_not_an_id_list(self):
        ctx = self.Membership._abs_access_context(self.tree.jean, self.tree.branch)
        query = self.Partner._search(visibility.customer_domain(ctx))
        sql = query.select()
        code, params = sql.code, sql.params
        self.assertIn('"ov_sa_customer_assignment"', code)
        self.assertRegex(code, r"IN \(\s*SELECT", "a sub-select on the assignment table")
        customer_ids = {c.id for c in (self.jeans, self.kwames, self.unassigned, self.sub_customer)}
        self.assertFalse(
            customer_ids & {p for p in params if isinstance(p, int)} - {self.tree.jean.id},
            "no customer id is passed as a literal",
        )
        self.assertFalse(re.search(r"IN \(%s(, %s)+\)", code), "no literal id list")
        self.assertFalse(any(isinstance(p, tuple | list) and len(p) > 1 for p in params))


@tagged("post_install", "-at_install", "abs_governance")
class TestStampVisibility(AbsGovernanceCase):
    def test_orders_follow_the_stamp_policy(self):
        tree = self.make_sa_tree()
        jeans = self.make_customer(tree.branch, tree.jean)
        kwames = self.make_customer(tree.branch, tree.kwame)
        order_j = self.env["sale.order"].create({"partner_id": jeans.id})
        order_k = self.env["sale.order"].create({"partner_id": kwames.id})
        Membership = self.env["ov.membership"]
        jean_ctx = Membership._abs_access_context(tree.jean, tree.branch)
        alice_ctx = Membership._abs_access_context(tree.alice, tree.branch)
        orders = self.env["sale.order"].search(visibility.stamp_domain(jean_ctx))
        self.assertIn(order_j, orders)
        self.assertNotIn(order_k, orders)
        self.assertEqual(self.env["sale.order"].search(visibility.stamp_domain(alice_ctx)), order_j | order_k)
        viewer = self.make_member(tree.branch, "viewer")
        viewer_ctx = Membership._abs_access_context(viewer.person_partner_id, tree.branch)
        self.assertFalse(
            self.env["account.move"].search(visibility.stamp_domain(viewer_ctx, "read_invoices"))
        )


@tagged("post_install", "-at_install", "abs_governance")
class TestAccessExplainer(AbsSaTreeCustomerCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.SA = cls.env["ov.serviced_account"]

    def test_explains_visible_through_own_assignment(self):
        answer = self.SA._abs_explain_access(self.tree.jean, self.tree.branch, self.marie)
        self.assertTrue(answer["visible"])
        self.assertEqual(answer["membership_id"], self.tree.jean_membership.id)
        self.assertEqual(answer["role_code"], "agent")
        self.assertEqual(answer["policy"], "assigned_plus_unassigned")
        self.assertEqual(answer["hierarchy_scope"], "this_node_only")
        self.assertEqual(answer["assignment_id"], self.active_assignment(self.marie, self.tree.branch).id)
        self.assertEqual(answer["actor_id"], self.tree.jean.id)
        self.assertIn("assigned to them", answer["reason"])

    def test_explains_not_visible_assigned_to_someone_else(self):
        answer = self.SA._abs_explain_access(self.tree.kwame, self.tree.branch, self.marie)
        self.assertFalse(answer["visible"])
        self.assertIn("assigned to Jean Kofi", answer["reason"])
        self.assertEqual(answer["actor_id"], self.tree.jean.id)

    def test_explainer_answers_about_a_non_member_like_an_unknown_person(self):
        with self.assertRaisesRegex(MissingError, "Person not found"):
            self.SA._abs_explain_access(self.make_person("Stranger"), self.tree.branch, self.marie)

    def test_a_member_of_a_parent_account_without_a_say_here_is_unknown_like_a_missing_person(self):
        # A member of the parent account (this node only) never had authority in the sub-account:
        # its staff learn nothing of them, not even their name.
        with self.assertRaisesRegex(MissingError, "Person not found"):
            self.SA._abs_explain_access(self.tree.alice, self.tree.sub_branch, self.marie)

    def test_explains_a_former_parent_member_whose_scope_covered_the_sub_account(self):
        membership = self.tree.kwame_membership
        membership.write({"hierarchy_scope": "this_node_and_descendants"})
        membership._abs_revoke()
        answer = self.SA._abs_explain_access(self.tree.kwame, self.tree.sub_branch, self.marie)
        self.assertFalse(answer["visible"])
        self.assertIn("has no membership", answer["reason"])

    def test_explains_revoked_membership(self):
        self.tree.kwame_membership._abs_revoke()
        answer = self.SA._abs_explain_access(self.tree.kwame, self.tree.branch, self.marie)
        self.assertFalse(answer["visible"])
        self.assertIn("revoked", answer["reason"])

    def test_explains_customer_outside_the_account(self):
        other = self.make_customer(self.tree.sub_branch)
        answer = self.SA._abs_explain_access(self.tree.alice, self.tree.branch, other)
        self.assertFalse(answer["visible"])
        self.assertIn("no active assignment", answer["reason"])

    def test_explainer_agrees_with_the_visibility_domain(self):
        Membership = self.env["ov.membership"]
        customers = (
            self.marie
            | self.make_customer(self.tree.branch)
            | self.make_customer(self.tree.branch, self.tree.kwame)
        )
        for person in (self.tree.alice, self.tree.jean, self.tree.kwame):
            ctx = Membership._abs_access_context(person, self.tree.branch)
            seen = self.env["res.partner"].search(
                [("id", "in", customers.ids), *visibility.customer_domain(ctx)]
            )
            for customer in customers:
                answer = self.SA._abs_explain_access(person, self.tree.branch, customer)
                self.assertEqual(answer["visible"], customer in seen, answer["reason"])
