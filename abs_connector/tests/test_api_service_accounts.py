from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .api_common import AbsApiCase


@tagged("post_install", "-at_install", "abs_api")
class TestApiServiceAccounts(AbsApiCase):
    """POST /api/service-accounts, members/enroll, DELETE members/<mid>, GET /api/me/service-accounts."""

    def enroll_url(self, sa=None):
        return f"/api/service-accounts/{(sa or self.sa).id}/members/enroll"

    def enroll(self, body, person=None, sa=None, header_sa=None):
        return self.api(
            "POST", self.enroll_url(sa), body, person=person or self.alice, sa=header_sa or sa or self.sa
        )

    # ---- create branch (docs/customer-lifecycle.md, Stage 0c) ----

    def test_system_creates_a_branch_with_its_staff_manager(self):
        manager = self.make_person("Ama Manager")
        org = self.env["res.partner"].create({"name": "Togo Org", "is_company": True})

        status, body = self.api(
            "POST",
            "/api/service-accounts",
            {
                "name": "Kara Field Operations",
                "parent_id": self.seed.id,
                "partner_id": org.id,
                "initial_admin_partner_id": manager.id,
            },
            api_key=self.api_key,
        )

        self.assertEqual(status, 201, body)
        sa = self.env["ov.serviced_account"].browse(body["id"])
        self.assertEqual(
            (sa.state, sa.account_class, sa.parent_id, sa.partner_id), ("active", "EXTC", self.seed, org)
        )
        self.assertEqual(sa.sa_manager_id.person_partner_id, manager)
        self.assertEqual(
            (sa.sa_manager_id.role_code, sa.sa_manager_id.manager_member_id.id), ("staff", False)
        )
        self.assertEqual(body["sa_manager_membership_id"], sa.sa_manager_id.id)

    def test_initial_manager_password_lets_them_sign_in_at_once(self):
        manager = self.make_person("Efua Manager")
        status, body = self.api(
            "POST",
            "/api/service-accounts",
            {
                "name": "Sokode",
                "parent_id": self.seed.id,
                "initial_admin_partner_id": manager.id,
                "initial_admin_password": "manager secret",
            },
            api_key=self.api_key,
        )
        self.assertEqual(status, 201, body)
        status, _tokens = self.api(
            "POST", "/api/auth/token", {"login": manager.email, "password": "manager secret"}
        )
        self.assertEqual(status, 200)

    def test_branch_creation_needs_an_api_key_not_a_person_token(self):
        body = {"name": "X", "parent_id": self.seed.id, "initial_admin_partner_id": self.alice.id}
        before = self.snapshot()
        self.assertError(self.api("POST", "/api/service-accounts", body), 401)
        self.assertError(self.api("POST", "/api/service-accounts", body, person=self.alice), 401)
        self.assertError(self.api("POST", "/api/service-accounts", body, api_key="absk_wrong"), 401)
        self.assertEqual(self.snapshot(), before)

    def test_branch_under_a_missing_parent_or_manager_is_404(self):
        body = {"name": "X", "parent_id": 999999, "initial_admin_partner_id": self.alice.id}
        self.assertError(self.api("POST", "/api/service-accounts", body, api_key=self.api_key), 404)
        body = {"name": "X", "parent_id": self.seed.id, "initial_admin_partner_id": 999999}
        self.assertError(self.api("POST", "/api/service-accounts", body, api_key=self.api_key), 404)

    def test_branch_body_refuses_unknown_fields(self):
        body = {
            "name": "X",
            "parent_id": self.seed.id,
            "initial_admin_partner_id": self.alice.id,
            "company_id": 1,
        }
        before = self.snapshot()
        error = self.assertError(self.api("POST", "/api/service-accounts", body, api_key=self.api_key), 422)
        self.assertEqual(error["details"]["unknown_fields"], ["company_id"])
        self.assertEqual(self.snapshot(), before)

    # ---- enroll (Stage 0d) ----

    def test_manager_enrolls_an_agent_with_a_password(self):
        status, body = self.enroll(
            {
                "name": "Yao Agent",
                "email": "yao@example.com",
                "role_code": "agent",
                "password": "yao password",
            }
        )

        self.assertEqual(status, 201, body)
        self.assertEqual(
            set(body), {"partner_id", "employee_id", "membership_id", "role_code", "membership_state"}
        )
        membership = self.env["ov.membership"].browse(body["membership_id"])
        self.assertEqual(
            (membership.serviced_account_id, membership.role_code, membership.membership_state),
            (self.sa, "agent", "active"),
        )
        employee = self.env["abs.employee"].browse(body["employee_id"])
        self.assertEqual(
            (employee.partner_id.id, employee.login, employee.user_id.id),
            (body["partner_id"], "yao@example.com", False),
        )
        self.assertFalse(
            self.env["mail.mail"].sudo().search([("email_to", "ilike", "yao@example.com")]),
            "an agent enrolled with a password gets no activation mail",
        )
        status, _tokens = self.api(
            "POST", "/api/auth/token", {"login": "yao@example.com", "password": "yao password"}
        )
        self.assertEqual(status, 200)

    def test_enrollment_reuses_the_partner_with_the_same_normalized_email(self):
        existing = self.env["res.partner"].create({"name": "Akosua", "email": "Akosua@Example.com"})
        partners_before = self.env["res.partner"].with_context(active_test=False).search_count([])

        status, body = self.enroll({"name": "Akosua B.", "email": "akosua@example.COM", "role_code": "agent"})

        self.assertEqual(status, 201, body)
        self.assertEqual(body["partner_id"], existing.id)
        self.assertEqual(
            self.env["res.partner"].with_context(active_test=False).search_count([]), partners_before
        )

    def test_enrolling_someone_already_member_is_a_409(self):
        before = self.snapshot()
        self.assertError(
            self.enroll({"name": "Jean", "email": self.jean.email, "role_code": "agent"}), 409, "conflict"
        )
        self.assertEqual(self.snapshot(), before)

    def test_agent_cannot_enroll(self):
        before = self.snapshot()
        self.assertError(
            self.enroll({"name": "Z", "email": "z@example.com", "role_code": "agent"}, person=self.jean), 403
        )
        self.assertEqual(self.snapshot(), before)

    def test_enroll_x_sa_id_must_match_the_url(self):
        other = self.make_branch("Elsewhere", manager=self.alice)
        self.assertError(
            self.enroll(
                {"name": "Z", "email": "z@example.com", "role_code": "agent"}, sa=other, header_sa=self.sa
            ),
            403,
        )

    def test_enroll_refuses_unknown_role(self):
        self.assertError(self.enroll({"name": "Z", "email": "z@example.com", "role_code": "root"}), 422)

    # ---- revoke (Stage 5) ----

    def test_manager_revokes_an_agent_whose_customers_stay_unassigned_in_the_sa(self):
        marie = self.customer(actor=self.jean, name="Marie Dupont", email="marie@client.com")
        assignment = self.active_assignment(marie, self.sa)

        status, body = self.api(
            "DELETE",
            f"/api/service-accounts/{self.sa.id}/members/{self.tree.jean_membership.id}",
            person=self.alice,
            sa=self.sa,
        )

        self.assertEqual(status, 200, body)
        self.assertEqual(
            body,
            {
                "membership_id": self.tree.jean_membership.id,
                "membership_state": "revoked",
                "unassigned_customers": 1,
            },
        )
        marie.invalidate_recordset()
        assignment.invalidate_recordset()
        self.assertEqual((marie.x_sa_id, marie.x_actor_id.id), (self.sa, False))
        self.assertEqual((assignment.actor_id.id, assignment.state), (False, "active"))

    def test_revoked_agent_is_refused_on_the_very_next_request(self):
        token = self.token_for(self.jean)
        self.assertEqual(self.api("GET", "/api/contacts", token=token, sa=self.sa)[0], 200)
        self.tree.jean_membership._abs_revoke()
        self.assertError(self.api("GET", "/api/contacts", token=token, sa=self.sa), 403)

    def test_suspended_agent_is_refused_until_reinstated(self):
        token = self.token_for(self.jean)
        self.tree.jean_membership.action_suspend()
        self.assertError(self.api("GET", "/api/contacts", token=token, sa=self.sa), 403)
        self.tree.jean_membership.action_reinstate()
        self.assertEqual(self.api("GET", "/api/contacts", token=token, sa=self.sa)[0], 200)

    def test_membership_outside_its_dates_grants_nothing(self):
        self.tree.kwame_membership.effective_to = fields.Datetime.now() - timedelta(days=1)
        self.assertError(self.api("GET", "/api/contacts", person=self.kwame, sa=self.sa), 403)

    def test_revoking_the_only_manager_is_a_409(self):
        before = self.snapshot()
        self.assertError(
            self.api(
                "DELETE",
                f"/api/service-accounts/{self.sa.id}/members/{self.sa.sa_manager_id.id}",
                person=self.alice,
                sa=self.sa,
            ),
            409,
            "conflict",
        )
        self.assertEqual(self.snapshot(), before)

    def test_revoking_twice_is_a_409_and_a_membership_of_another_sa_is_404(self):
        url = f"/api/service-accounts/{self.sa.id}/members/{self.tree.kwame_membership.id}"
        self.assertEqual(self.api("DELETE", url, person=self.alice, sa=self.sa)[0], 200)
        self.assertError(self.api("DELETE", url, person=self.alice, sa=self.sa), 409)
        sub_member = self.tree.sub_branch.sa_manager_id
        self.assertError(
            self.api(
                "DELETE",
                f"/api/service-accounts/{self.sa.id}/members/{sub_member.id}",
                person=self.alice,
                sa=self.sa,
            ),
            404,
        )
        self.assertError(
            self.api(
                "DELETE", f"/api/service-accounts/{self.sa.id}/members/999999", person=self.alice, sa=self.sa
            ),
            404,
        )

    def test_agent_cannot_revoke(self):
        url = f"/api/service-accounts/{self.sa.id}/members/{self.tree.kwame_membership.id}"
        self.assertError(self.api("DELETE", url, person=self.jean, sa=self.sa), 403)
        self.assertEqual(self.tree.kwame_membership.membership_state, "active")

    # ---- me ----

    def test_me_lists_my_service_accounts_with_role_policy_and_state(self):
        self.make_member(self.tree.sub_branch, "viewer", person=self.jean, scope_policy="assigned_only")
        status, body = self.api("GET", "/api/me/service-accounts", person=self.jean)
        self.assertEqual(status, 200, body)
        by_sa = {item["id"]: item for item in body["items"]}
        self.assertEqual(body["total"], 2)
        self.assertEqual(
            (
                by_sa[self.sa.id]["role_code"],
                by_sa[self.sa.id]["effective_policy"],
                by_sa[self.sa.id]["membership_state"],
                by_sa[self.sa.id]["live"],
            ),
            ("agent", "assigned_plus_unassigned", "active", True),
        )
        self.assertEqual(by_sa[self.tree.sub_branch.id]["effective_policy"], "assigned_only")

    def test_me_shows_a_revoked_membership_as_not_live(self):
        self.tree.jean_membership._abs_revoke()
        _status, body = self.api("GET", "/api/me/service-accounts", person=self.jean)
        self.assertEqual([(i["membership_state"], i["live"]) for i in body["items"]], [("revoked", False)])
