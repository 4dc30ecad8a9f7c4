import json
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged

from ..exceptions import GovernanceConflict
from .common import AbsGovernanceCase, AbsSaTreeCase, AbsSaTreeCustomerCase, JsonRpcMixin


@tagged("post_install", "-at_install", "abs_governance")
class TestMembershipRules(AbsSaTreeCase):
    def test_enroll_creates_the_employee_identity(self):
        person = self.make_person("Jean Kofi", "Jean@Example.com")
        membership = self.env["ov.membership"]._abs_enroll(self.tree.branch, person, "agent")
        self.assertEqual(membership.membership_state, "active")
        self.assertEqual(membership.employee_id.partner_id, person)
        self.assertEqual(membership.employee_id.login, "jean@example.com")
        self.assertFalse(membership.employee_id.user_id, "a free-seat agent has no res.users")
        self.assertEqual(len(self.events("membership.enrolled", membership)), 1)

    def test_every_member_has_an_employee(self):
        memberships = self.env["ov.membership"].search([])
        self.assertTrue(memberships)
        for membership in memberships:
            self.assertEqual(membership.employee_id.partner_id, membership.person_partner_id)

    def test_company_cannot_be_a_member(self):
        company_partner = self.env["res.partner"].create({"name": "ACME", "is_company": True})
        with self.assertRaisesRegex(ValidationError, "person"):
            self.env["ov.membership"]._abs_enroll(self.tree.branch, company_partner, "agent")
        with self.assertRaisesRegex(ValidationError, "is a company"):
            self.env["ov.membership"].create(
                {
                    "serviced_account_id": self.tree.branch.id,
                    "person_partner_id": company_partner.id,
                }
            )

    def test_second_live_membership_in_the_same_account_is_a_conflict(self):
        with self.assertRaises(GovernanceConflict) as caught:
            self.env["ov.membership"]._abs_enroll(self.tree.branch, self.tree.jean, "viewer")
        self.assertEqual(caught.exception.details["membership_id"], self.tree.jean_membership.id)

    def test_second_live_membership_is_refused_by_constraint(self):
        with self.assertRaisesRegex(ValidationError, "one membership per account"):
            self.env["ov.membership"].create(
                {
                    "serviced_account_id": self.tree.branch.id,
                    "person_partner_id": self.tree.jean.id,
                    "role_code": "viewer",
                }
            )

    def test_person_can_be_member_of_many_accounts_ec001(self):
        ovac = self.make_branch("Affiliate", account_class="OVAC")
        other = self.make_member(ovac, "staff", self.tree.jean)
        self.assertEqual(other.employee_id, self.tree.jean_membership.employee_id)
        self.assertEqual(len(self.tree.jean_membership.employee_id.membership_ids), 2)
        self.assertFalse(other.conflict_review_ids, "same company: nothing to review")

    def test_re_enrolling_after_revocation_is_allowed(self):
        self.tree.kwame_membership._abs_revoke()
        again = self.env["ov.membership"]._abs_enroll(self.tree.branch, self.tree.kwame, "agent")
        self.assertEqual(again.membership_state, "active")

    def test_membership_outside_its_dates_grants_nothing(self):
        now = fields.Datetime.now()
        future = self.make_member(self.tree.branch, "agent", effective_from=now + timedelta(days=1))
        past = self.make_member(self.tree.branch, "agent", effective_to=now - timedelta(days=1))
        Membership = self.env["ov.membership"]
        for membership in (future, past):
            self.assertFalse(membership.is_live)
            self.assertFalse(Membership._get_live_membership(membership.person_partner_id, self.tree.branch))
            self.assertIsNone(Membership._abs_access_context(membership.person_partner_id, self.tree.branch))
        self.assertTrue(self.tree.jean_membership.is_live)
        live = Membership.search([("is_live", "=", True), ("serviced_account_id", "=", self.tree.branch.id)])
        self.assertNotIn(future, live)
        self.assertIn(self.tree.jean_membership, live)

    def test_membership_cannot_end_before_it_starts(self):
        now = fields.Datetime.now()
        with self.assertRaisesRegex(ValidationError, "end before it starts"):
            self.make_member(
                self.tree.branch, "agent", effective_from=now, effective_to=now - timedelta(hours=1)
            )

    def test_role_default_policies_and_override(self):
        self.assertEqual(self.tree.jean_membership.effective_policy, "assigned_plus_unassigned")
        self.assertEqual(self.tree.alice_membership.effective_policy, "sa_wide")
        viewer = self.make_member(self.tree.branch, "viewer", scope_policy="assigned_only")
        self.assertEqual(viewer.effective_policy, "assigned_only")

    def test_person_and_account_of_a_membership_are_fixed(self):
        with self.assertRaisesRegex(UserError, "cannot change"):
            self.tree.jean_membership.person_partner_id = self.tree.kwame

    def test_manager_member_must_be_in_the_same_account(self):
        with self.assertRaisesRegex(ValidationError, "same Service Account"):
            self.tree.jean_membership.manager_member_id = self.tree.sub_branch.sa_manager_id

    def test_agent_cannot_enroll_members(self):
        with self.assertRaises(AccessError):
            self.env["ov.membership"]._abs_enroll(
                self.tree.branch, self.make_person(), "agent", self.tree.jean
            )

    def test_staff_cannot_grant_admin(self):
        with self.assertRaisesRegex(AccessError, "rights yours does not"):
            self.env["ov.membership"]._abs_enroll(
                self.tree.branch, self.make_person(), "admin", self.tree.alice
            )
        agent = self.env["ov.membership"]._abs_enroll(
            self.tree.branch, self.make_person(), "agent", self.tree.alice
        )
        self.assertEqual(agent.role_code, "agent")

    def test_enroll_refuses_unknown_role_and_fields(self):
        with self.assertRaisesRegex(ValidationError, "is not a role"):
            self.env["ov.membership"]._abs_enroll(self.tree.branch, self.make_person(), "owner")
        with self.assertRaisesRegex(ValidationError, "Unknown membership fields"):
            self.env["ov.membership"]._abs_enroll(self.tree.branch, self.make_person(), "agent", password="x")

    def test_enroll_in_inactive_account_is_refused(self):
        self.tree.sub_branch.action_set_inactive()
        with self.assertRaisesRegex(ValidationError, "active Service Account"):
            self.make_member(self.tree.sub_branch)


@tagged("post_install", "-at_install", "abs_governance")
class TestMembershipLifecycle(AbsSaTreeCase):
    def test_suspend_and_reinstate(self):
        membership = self.tree.jean_membership
        membership._abs_suspend(self.tree.alice)
        self.assertEqual(membership.membership_state, "suspended")
        self.assertIsNone(self.env["ov.membership"]._abs_access_context(self.tree.jean, self.tree.branch))
        self.assertEqual(len(self.events("membership.suspended", membership)), 1)
        membership._abs_reinstate(self.tree.alice)
        self.assertEqual(membership.membership_state, "active")
        self.assertIsNotNone(self.env["ov.membership"]._abs_access_context(self.tree.jean, self.tree.branch))

    def test_suspension_keeps_customers_assigned(self):
        customer = self.make_customer(self.tree.branch, self.tree.jean)
        self.tree.jean_membership.action_suspend()
        self.assertEqual(self.active_assignment(customer, self.tree.branch).actor_id, self.tree.jean)

    def test_revoked_membership_is_final(self):
        self.tree.kwame_membership._abs_revoke()
        with self.assertRaisesRegex(UserError, "already revoked"):
            self.tree.kwame_membership._abs_revoke()
        with self.assertRaisesRegex(UserError, "final"):
            self.tree.kwame_membership.membership_state = "active"

    def test_agent_cannot_revoke_another_agent(self):
        with self.assertRaises(AccessError):
            self.tree.kwame_membership._abs_revoke(self.tree.jean)
        self.assertEqual(self.tree.kwame_membership.membership_state, "active")

    def test_revoking_the_only_manager_is_a_conflict(self):
        with self.assertRaises(GovernanceConflict):
            self.tree.alice_membership._abs_revoke()
        self.assertEqual(self.tree.alice_membership.membership_state, "active")
        with self.assertRaises(GovernanceConflict):
            self.tree.alice_membership.action_suspend()

    def test_revoking_a_manager_hands_over_to_another_manager(self):
        second = self.make_member(self.tree.branch, "staff")
        self.tree.alice_membership._abs_revoke()
        self.assertEqual(self.tree.branch.sa_manager_id, second)

    def test_manager_cannot_lose_the_manager_role(self):
        with self.assertRaisesRegex(ValidationError, "must keep a staff or admin role"):
            self.tree.alice_membership.role_code = "agent"

    def test_revoke_unassigns_customers_and_clears_v2_stamps_seed002_stage5(self):
        jean, kwame, branch = self.tree.jean, self.tree.kwame, self.tree.branch
        marie = self.make_customer(branch, jean, name="Marie Dupont")
        other = self.make_customer(branch, kwame)
        order = self.env["sale.order"].create({"partner_id": marie.id})
        lead = self.env["crm.lead"].create({"name": "Lead", "partner_id": marie.id})
        move = self.env["account.move"].create({"move_type": "out_invoice", "partner_id": marie.id})
        for record in (order, lead, move):
            self.assertEqual((record.x_sa_id, record.x_actor_id), (branch, jean), record._name)
        assignment = self.active_assignment(marie, branch)

        self.assertEqual(self.tree.jean_membership._abs_revoke_preview(), 1)
        released = self.tree.jean_membership._abs_revoke(self.tree.alice)

        self.assertEqual(released, 1)
        self.assertEqual(self.tree.jean_membership.membership_state, "revoked")
        for record in (marie, order, lead, move):
            self.assertEqual(record.x_sa_id, branch, "the record stays in its SA")
            self.assertFalse(record.x_actor_id, record._name)
        self.assertFalse(marie.x_assigned_employee_id)
        self.assertEqual(self.active_assignment(marie, branch), assignment, "same row, still active")
        self.assertFalse(assignment.actor_id)
        self.assertEqual(assignment.state, "active")
        self.assertEqual(self.active_assignment(other, branch).actor_id, kwame, "other agents untouched")
        self.assertEqual(other.x_actor_id, kwame)
        unassigned = self.events("customer.unassigned", marie)
        self.assertEqual(len(unassigned), 1)
        self.assertEqual(self.event_data(unassigned)["from_actor_id"], jean.id)
        revoked = self.events("membership.revoked", self.tree.jean_membership)
        self.assertEqual(len(revoked), 1)
        self.assertEqual(self.event_data(revoked)["unassigned_customers"], 1)

    def test_revoke_clears_stamps_with_one_statement_per_model(self):
        for _i in range(5):
            self.make_customer(self.tree.branch, self.tree.jean)
        self.env.flush_all()
        statements = []
        original_execute = type(self.env.cr).execute

        def spy(cr, query, params=None, log_exceptions=True):
            statements.append(str(getattr(query, "code", query)))
            return original_execute(cr, query, params, log_exceptions)

        with patch.object(type(self.env.cr), "execute", spy):
            self.assertEqual(self.tree.jean_membership._abs_revoke(), 5)
            self.env.flush_all()
        partner_updates = [
            s for s in statements if s.startswith('UPDATE "res_partner" SET x_actor_id = NULL')
        ]
        self.assertEqual(len(partner_updates), 1, "one set-based UPDATE, not one per customer")
        assignment_updates = [s for s in statements if s.startswith('UPDATE "ov_sa_customer_assignment"')]
        self.assertLessEqual(len(assignment_updates), 1)

    def test_revoking_a_subtree_membership_releases_customers_in_sub_accounts(self):
        roamer = self.make_member(self.tree.branch, "agent", hierarchy_scope="this_node_and_descendants")
        person = roamer.person_partner_id
        local = self.make_customer(self.tree.sub_branch)
        self.env["ov.sa_customer_assignment"]._abs_reassign(local, self.tree.sub_branch, person, None)
        self.assertEqual(self.active_assignment(local, self.tree.sub_branch).actor_id, person)
        self.assertEqual(roamer._abs_revoke(), 1)
        self.assertFalse(self.active_assignment(local, self.tree.sub_branch).actor_id)

    def test_revoked_agent_customers_become_visible_to_other_agents(self):
        marie = self.make_customer(self.tree.branch, self.tree.jean)
        Partner = self.env["res.partner"]
        self.assertFalse(
            Partner._abs_visible_customers(self.tree.branch, self.tree.kwame, "read_customers", marie.ids)
        )
        self.tree.jean_membership._abs_revoke()
        self.assertTrue(
            Partner._abs_visible_customers(self.tree.branch, self.tree.kwame, "read_customers", marie.ids)
        )


@tagged("post_install", "-at_install", "abs_governance")
class TestConflictOfInterest(AbsGovernanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env["res.company"].create({"name": "OV2"})
        cls.other_seed = cls.env["ov.serviced_account"]._get_company_seed(cls.other_company)
        cls.ov1_branch = cls.make_branch("OV1 Affiliate", account_class="OVAC")
        cls.ov2_branch = cls.make_branch("OV2 Client", parent=cls.other_seed, account_class="EXTC")
        cls.person = cls.make_person("Double Agent")

    def test_cross_company_memberships_are_flagged_for_review_ec002(self):
        first = self.make_member(self.ov1_branch, "staff", self.person)
        self.assertFalse(first.conflict_review_ids)
        second = self.make_member(self.ov2_branch, "agent", self.person)
        review = second.conflict_review_ids
        self.assertEqual(len(review), 1)
        self.assertEqual(review.state, "to_review")
        self.assertEqual(review.person_partner_id, self.person)
        self.assertEqual(review.membership_id | review.other_membership_id, first | second)
        self.assertEqual(review.company_id | review.other_company_id, self.company | self.other_company)
        self.assertEqual(first.conflict_review_ids, review)

    def test_review_decision_records_who_and_when(self):
        self.make_member(self.ov1_branch, "staff", self.person)
        review = self.make_member(self.ov2_branch, "agent", self.person).conflict_review_ids
        # reviewed_on is a Datetime (whole seconds); create_date carries microseconds.
        before = review.create_date.replace(microsecond=0)
        review.review_note = "Approved by compliance"
        review.action_accept()
        self.assertEqual(review.state, "accepted")
        self.assertEqual(review.reviewer_id, self.env.user)
        self.assertGreaterEqual(review.reviewed_on, before)
        self.assertEqual(review.review_note, "Approved by compliance")
        with self.assertRaisesRegex(UserError, "still to do"):
            review.action_reject()
        review.action_reset_to_review()
        review.action_reject()
        self.assertEqual(review.state, "rejected")

    def test_a_pair_is_listed_once(self):
        self.make_member(self.ov1_branch, "staff", self.person)
        second = self.make_member(self.ov2_branch, "agent", self.person)
        again = self.env["ov.conflict_review"]._abs_flag_cross_company(second)
        self.assertFalse(again)
        self.assertEqual(
            self.env["ov.conflict_review"].search_count([("person_partner_id", "=", self.person.id)]), 1
        )


@tagged("post_install", "-at_install", "abs_governance")
class TestSystemCalls(AbsSaTreeCustomerCase):
    """Calls without a governed actor (back office, API key) are for governance managers only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clerk = cls.env["res.users"].create(
            {
                "name": "Clerk",
                "login": "clerk@example.com",
                "groups_id": [
                    (6, 0, [cls.env.ref("base.group_user").id, cls.env.ref("base.group_partner_manager").id])
                ],
            }
        )
        cls.manager = cls.env["res.users"].create(
            {
                "name": "Governance Manager",
                "login": "gov.manager@example.com",
                "groups_id": [(6, 0, [cls.env.ref("abs_connector.group_abs_governance_manager").id])],
            }
        )

    def test_plain_internal_user_cannot_reassign_without_an_actor(self):
        Assignment = self.env["ov.sa_customer_assignment"].with_user(self.clerk)
        with self.assertRaisesRegex(AccessError, "governance managers"):
            Assignment._abs_reassign(self.marie, self.tree.branch, self.tree.kwame, None)
        self.assertEqual(self.active_assignment(self.marie, self.tree.branch).actor_id, self.tree.jean)

    def test_plain_internal_user_cannot_create_governed_customers_without_an_actor(self):
        Partner = self.env["res.partner"].with_user(self.clerk)
        with self.assertRaisesRegex(AccessError, "governance managers"):
            Partner._abs_create_governed_customer(
                self.tree.branch, {"name": "Sneaky"}, None, portal_access=False
            )

    def test_plain_internal_user_cannot_explain_access(self):
        with self.assertRaises(AccessError):
            self.env["ov.serviced_account"].with_user(self.clerk)._abs_explain_access(
                self.tree.jean, self.tree.branch, self.marie
            )

    def test_back_office_actions_record_the_user_as_actor(self):
        membership = self.tree.kwame_membership.with_user(self.manager)
        membership.action_suspend()
        event = self.events("membership.suspended", self.tree.kwame_membership)
        self.assertEqual(json.loads(event.payload)["actor"]["partner_id"], self.manager.partner_id.id)
        new = (
            self.env["ov.sa_customer_assignment"]
            .with_user(self.manager)
            ._abs_reassign(self.marie, self.tree.branch, None, None)
        )
        self.assertEqual(new.assigned_by_id, self.manager.partner_id)


@tagged("post_install", "-at_install", "abs_governance")
class TestOnlyManagerSuspendButton(JsonRpcMixin, HttpCase, AbsGovernanceCase):
    """The Suspend button goes through /web/dataset/call_button, as the web client does."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tree = cls.make_sa_tree()

    def test_suspend_button_on_the_only_manager_answers_a_readable_governance_conflict(self):
        self.authenticate("admin", "admin")
        answer = self.json_rpc(
            "/web/dataset/call_button",
            {
                "model": "ov.membership",
                "method": "action_suspend",
                "args": [[self.tree.alice_membership.id]],
                "kwargs": {},
            },
        )
        error = answer["error"]["data"]
        self.assertEqual(error["name"], "odoo.addons.abs_connector.exceptions.GovernanceConflict")
        self.assertEqual(
            error["message"],
            "Alice is the only manager of Togo Field Operations; appoint another manager first.",
        )
        self.tree.alice_membership.invalidate_recordset()
        self.assertEqual(self.tree.alice_membership.membership_state, "active")

    def test_web_client_shows_a_governance_conflict_as_a_warning_not_a_traceback(self):
        # The web client picks the dialog by exception class name; the backend bundle
        # registers GovernanceConflict as a plain warning (no "Odoo Server Error").
        paths = [asset[0] for asset in self.env["ir.asset"]._get_asset_paths("web.assets_backend", {})]
        self.assertTrue(
            any(path.endswith("abs_connector/static/src/js/governance_conflict_dialog.js") for path in paths)
        )
