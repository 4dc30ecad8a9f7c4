"""Nobody acts as someone else: escalation, credentials for existing people, the explainer
and existence oracles -- all through the real HTTP routes.

Every refusal is the API's one error shape, changes nothing and publishes no event
(``snapshot()`` counts rows, events included).
"""

import json

from odoo import Command
from odoo.exceptions import AccessError, MissingError
from odoo.tests import tagged

from ..governance.visibility import ROLES
from .api_common import PASSWORD, AbsApiCase
from .common import AbsGovernanceCase

# Who may enroll whom, written out (not computed from the code under test).
ENROLL_ALLOWED = {
    "admin": {"admin", "staff", "agent", "finance", "viewer"},
    "staff": {"staff", "agent", "finance", "viewer"},
    "agent": set(),
    "finance": set(),
    "viewer": set(),
}
# Who may revoke or suspend a member of which role.
MANAGE_ALLOWED = {
    "admin": {"admin", "staff", "agent", "finance", "viewer"},
    "staff": {"staff", "agent", "finance", "viewer"},
    "agent": set(),
    "finance": set(),
    "viewer": set(),
}


@tagged("post_install", "-at_install", "abs_api", "abs_security")
class TestApiAuthority(AbsApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.actors = {"staff": cls.alice, "agent": cls.jean}
        for role in ("admin", "finance", "viewer"):
            cls.actors[role] = cls.make_member(cls.sa, role).person_partner_id
        cls.other = cls.make_branch("Other SA")

    def enroll_url(self, sa=None):
        return f"/api/service-accounts/{(sa or self.sa).id}/members/enroll"

    def enroll(self, body, person, sa=None):
        return self.api("POST", self.enroll_url(sa), body, person=person, sa=sa or self.sa)

    def revoke(self, membership, person):
        url = f"/api/service-accounts/{self.sa.id}/members/{membership.id}"
        return self.api("DELETE", url, person=person, sa=self.sa)

    # ---- item: no escalation ----

    def test_enrollment_grants_no_role_above_the_enrollers_for_every_pair_of_roles(self):
        for actor_role in ROLES:
            for role in ROLES:
                with self.subTest(actor=actor_role, granted=role):
                    email = f"{actor_role}.grants.{role}@example.com"
                    body = {"name": f"{actor_role} {role}", "email": email, "role_code": role}
                    before = self.snapshot()
                    result = self.enroll(body, self.actors[actor_role])
                    if role in ENROLL_ALLOWED[actor_role]:
                        self.assertEqual(result[0], 201, result[1])
                        self.assertEqual(result[1]["role_code"], role)
                    else:
                        self.assertError(result, 403, "forbidden")
                        self.assertEqual(self.snapshot(), before)

    def test_staff_cannot_enroll_an_admin(self):
        before = self.snapshot()
        body = {"name": "Would-be admin", "email": "wouldbe.admin@example.com", "role_code": "admin"}
        self.assertError(self.enroll(body, self.alice), 403, "forbidden")
        self.assertEqual(self.snapshot(), before)

    def test_staff_limited_to_own_customers_cannot_grant_a_wider_visibility_or_scope(self):
        limited = self.make_member(
            self.sa, "staff", scope_policy="assigned_only", hierarchy_scope="this_node_only"
        ).person_partner_id
        refused = [
            {"role_code": "staff", "scope_policy": "sa_wide"},
            {"role_code": "staff"},  # staff's default policy is sa_wide
            {"role_code": "agent"},  # agent's default sees unassigned customers too
            {
                "role_code": "agent",
                "scope_policy": "assigned_only",
                "hierarchy_scope": "this_node_and_descendants",
            },
        ]
        for index, extra in enumerate(refused):
            with self.subTest(extra=extra):
                before = self.snapshot()
                body = {"name": "Wider", "email": f"wider.{index}@example.com", **extra}
                self.assertError(self.enroll(body, limited), 403, "forbidden")
                self.assertEqual(self.snapshot(), before)
        body = {
            "name": "Narrow",
            "email": "narrow@example.com",
            "role_code": "agent",
            "scope_policy": "assigned_only",
        }
        status, answer = self.enroll(body, limited)
        self.assertEqual(status, 201, answer)

    def test_revocation_of_a_member_who_outranks_the_actor_is_refused_for_every_pair_of_roles(self):
        for actor_role in ROLES:
            for target_role in ROLES:
                with self.subTest(actor=actor_role, target=target_role):
                    target = self.make_member(self.sa, target_role)
                    before = self.snapshot()
                    result = self.revoke(target, self.actors[actor_role])
                    if target_role in MANAGE_ALLOWED[actor_role]:
                        self.assertEqual(result[0], 200, result[1])
                        self.assertEqual(target.membership_state, "revoked")
                    else:
                        self.assertError(result, 403, "forbidden")
                        self.assertEqual(self.snapshot(), before)
                        target.invalidate_recordset()
                        self.assertEqual(target.membership_state, "active")

    def test_staff_cannot_revoke_an_admin(self):
        admin = self.make_member(self.sa, "admin")
        self.assertError(self.revoke(admin, self.alice), 403, "forbidden")
        self.assertEqual(admin.membership_state, "active")

    def test_suspension_of_a_member_who_outranks_the_actor_is_refused_for_every_pair_of_roles(self):
        for actor_role in ROLES:
            for target_role in ROLES:
                with self.subTest(actor=actor_role, target=target_role):
                    target = self.make_member(self.sa, target_role)
                    if target_role in MANAGE_ALLOWED[actor_role]:
                        target._abs_suspend(self.actors[actor_role])
                        self.assertEqual(target.membership_state, "suspended")
                        target._abs_reinstate(self.actors[actor_role])
                        self.assertEqual(target.membership_state, "active")
                    else:
                        with self.assertRaises(AccessError):
                            target._abs_suspend(self.actors[actor_role])
                        self.assertEqual(target.membership_state, "active")

    # ---- item: credentials only for an identity this request created ----

    def test_enrolling_an_existing_person_with_a_password_sends_an_activation_mail_instead(self):
        # The attack: someone just invited into another SA (no password yet) is enrolled here
        # with a password chosen by the enroller, who would then sign in as them.
        invited = self.make_member(self.other, "agent", self.make_person("Invited", "invited@example.com"))
        employee = invited.employee_id
        self.assertFalse(employee.has_password)
        status, body = self.enroll(
            {
                "name": "Invited",
                "email": "invited@example.com",
                "role_code": "agent",
                "password": "chosen by me",
            },
            self.alice,
        )
        self.assertEqual(status, 201, body)
        employee.invalidate_recordset()
        self.assertFalse(employee.has_password)
        self.assertTrue(self.activation_mails(employee))
        self.assertError(
            self.api("POST", "/api/auth/token", {"login": "invited@example.com", "password": "chosen by me"}),
            401,
        )

    def test_enrolling_someone_who_has_a_password_keeps_it_and_answers_like_anyone_else(self):
        second = self.make_branch("Second", manager=self.alice)
        body = {"name": "Kwame", "email": self.kwame.email, "role_code": "agent", "password": "take over"}
        status, answer = self.enroll(body, self.alice, sa=second)
        self.assertEqual(status, 201, answer)
        self.assertTrue(self.activation_mails(self.employee_of(self.kwame)))
        self.assertError(
            self.api("POST", "/api/auth/token", {"login": self.kwame.email, "password": "take over"}), 401
        )
        status, _tokens = self.api(
            "POST", "/api/auth/token", {"login": self.kwame.email, "password": PASSWORD}
        )
        self.assertEqual(status, 200)

    def test_a_password_the_enroller_gave_stops_working_once_another_account_enrolls_the_person(self):
        # The attack: staff enroll a new address with a password they choose, and wait for
        # another account to enroll the same person with more rights.
        body = {
            "name": "Pre",
            "email": "pre.registered@example.com",
            "role_code": "agent",
            "password": "enroller knows",
        }
        self.assertEqual(self.enroll(body, self.alice)[0], 201)
        sign_in = {"login": "pre.registered@example.com", "password": "enroller knows"}
        status, session = self.api("POST", "/api/auth/token", sign_in)
        self.assertEqual(status, 200, session)
        other_manager = self.other.sa_manager_id.person_partner_id
        status, answer = self.enroll(
            {"name": "Pre", "email": "pre.registered@example.com", "role_code": "staff"},
            other_manager,
            sa=self.other,
        )
        self.assertEqual(status, 201, answer)
        self.assertError(self.api("POST", "/api/auth/token", sign_in), 401)
        self.assertError(
            self.api("POST", "/api/auth/refresh", {"refresh_token": session["refresh_token"]}), 401
        )
        employee = self.env["abs.employee"].browse(answer["employee_id"])
        self.assertFalse(employee.has_password)
        self.assertTrue(self.activation_mails(employee))

    def test_a_password_the_enroller_gave_is_forgotten_when_the_back_office_enrolls_the_person(self):
        body = {
            "name": "Pre",
            "email": "pre.wizard@example.com",
            "role_code": "agent",
            "password": "enroller knows",
        }
        self.assertEqual(self.enroll(body, self.alice)[0], 201)
        person = self.env["res.partner"].search([("email", "=", "pre.wizard@example.com")])
        wizard = self.env["abs.enroll.member.wizard"].create(
            {"serviced_account_id": self.other.id, "person_partner_id": person.id, "role_code": "staff"}
        )
        wizard.action_enroll()
        sign_in = {"login": "pre.wizard@example.com", "password": "enroller knows"}
        self.assertError(self.api("POST", "/api/auth/token", sign_in), 401)

    def test_the_enrollment_answer_does_not_tell_whether_the_person_existed_or_had_a_password(self):
        archived = self.make_person("Archived", "archived.person@example.com", active=False)
        self.assertFalse(archived.active)
        cases = {
            "new": "brand.new@example.com",
            "existing without password": self.make_person("Exists", "exists@example.com").email,
            "archived": archived.email,
        }
        answers = {}
        for label, email in cases.items():
            status, body = self.enroll(
                {"name": label, "email": email, "role_code": "agent", "password": "some password"}, self.alice
            )
            answers[label] = (status, tuple(sorted(body)), body["role_code"], body["membership_state"])
        # Kwame (with a password) in another SA managed by Alice.
        second = self.make_branch("Second", manager=self.alice)
        status, body = self.api(
            "POST",
            self.enroll_url(second),
            {"name": "Kwame", "email": self.kwame.email, "role_code": "agent", "password": "some password"},
            person=self.alice,
            sa=second,
        )
        answers["existing with password"] = (
            status,
            tuple(sorted(body)),
            body["role_code"],
            body["membership_state"],
        )
        self.assertEqual(len(set(answers.values())), 1, answers)

    def test_branch_creation_sends_an_activation_mail_to_a_manager_who_already_had_an_identity(self):
        # Enrolled elsewhere without a password: their identity exists, a password chosen by the
        # caller creating the branch would take it over.
        person = self.make_person("Known Manager", "known.manager@example.com")
        self.make_member(self.other, "agent", person)
        employee = self.employee_of(person)
        status, body = self.api(
            "POST",
            "/api/service-accounts",
            {
                "name": "Known Manager's SA",
                "parent_id": self.seed.id,
                "initial_admin_partner_id": person.id,
                "initial_admin_password": "chosen by the caller",
            },
            api_key=self.api_key,
        )
        self.assertEqual(status, 201, body)
        employee.invalidate_recordset()
        self.assertFalse(employee.has_password)
        self.assertTrue(self.activation_mails(employee))

    def activation_mails(self, employee):
        return (
            self.env["mail.mail"]
            .sudo()
            .search([("model", "=", "abs.employee"), ("res_id", "=", employee.id)])
        )

    # ---- item: the explainer only explains members ----

    def explain(self, customer, person_id, caller=None):
        return self.api(
            "GET",
            f"/api/contacts/{customer.id}/access",
            person=caller or self.alice,
            sa=self.sa,
            params={"person_id": person_id},
        )

    def test_explainer_answers_about_a_non_member_exactly_like_an_unknown_id(self):
        marie = self.customer(actor=self.jean)
        outsider = self.make_person("Outsider")
        other_sa_member = self.other.sa_manager_id.person_partner_id
        unknown = self.explain(marie, 999999)
        self.assertError(unknown, 404)
        for person in (outsider, other_sa_member):
            with self.subTest(person=person.name):
                status, body = self.explain(marie, person.id)
                self.assertEqual(status, 404)
                self.assertEqual(body["error"]["message"], unknown[1]["error"]["message"])
                self.assertEqual(set(body["error"]["details"]), set(unknown[1]["error"]["details"]))
                self.assertNotIn(person.name, str(body))

    def test_explainer_answers_about_a_former_member(self):
        marie = self.customer(actor=self.jean)
        self.tree.kwame_membership._abs_revoke()
        status, body = self.explain(marie, self.kwame.id)
        self.assertEqual(status, 200, body)
        self.assertFalse(body["visible"])
        self.assertIn("revoked", body["reason"])

    # ---- item: no existence oracles ----

    def assert_same_as_missing(self, method, path, caller, body=None, sa=None):
        missing = self.api(method, "/api/contacts/999999", body, person=caller, sa=sa or self.sa)
        before = self.snapshot()
        hidden = self.api(method, path, body, person=caller, sa=sa or self.sa)
        self.assertEqual(self.snapshot(), before)
        self.assertError(missing, 404)
        self.assertEqual(hidden, missing)

    def test_viewer_put_on_another_sas_customer_answers_like_a_missing_one(self):
        elsewhere = self.make_customer(self.other)
        self.assert_same_as_missing(
            "PUT", f"/api/contacts/{elsewhere.id}", self.actors["viewer"], {"phone": "+228 90 00 00 00"}
        )

    def test_agent_delete_on_another_sas_customer_answers_like_a_missing_one(self):
        elsewhere = self.make_customer(self.other)
        self.assert_same_as_missing("DELETE", f"/api/contacts/{elsewhere.id}", self.jean)

    def test_agent_put_on_another_agents_customer_answers_like_a_missing_one(self):
        restricted = self.make_member(self.sa, "agent", scope_policy="assigned_only").person_partner_id
        kwames = self.customer(actor=self.kwame)
        self.assert_same_as_missing("PUT", f"/api/contacts/{kwames.id}", restricted, {"phone": "1"})

    def test_viewer_put_on_a_visible_customer_is_still_forbidden(self):
        marie = self.customer(actor=self.jean)
        before = self.snapshot()
        self.assertError(
            self.api(
                "PUT", f"/api/contacts/{marie.id}", {"phone": "1"}, person=self.actors["viewer"], sa=self.sa
            ),
            403,
        )
        self.assertEqual(self.snapshot(), before)

    def test_duplicate_email_conflict_carries_no_id_of_a_customer_the_caller_cannot_see(self):
        restricted = self.make_member(self.sa, "agent", scope_policy="assigned_only").person_partner_id
        hidden = self.customer(actor=self.kwame, email="hidden.dup@example.com")
        before = self.snapshot()
        error = self.assertError(
            self.api(
                "POST",
                "/api/contacts",
                {"name": "Dup", "email": "hidden.dup@example.com"},
                person=restricted,
                sa=self.sa,
            ),
            409,
        )
        self.assertEqual(self.snapshot(), before)
        self.assertNotIn("partner_id", error["details"])
        self.assertNotIn(str(hidden.id), str(error))
        # Staff sees the customer: the id helps them.
        error = self.assertError(
            self.api(
                "POST",
                "/api/contacts",
                {"name": "Dup", "email": "hidden.dup@example.com"},
                person=self.alice,
                sa=self.sa,
            ),
            409,
        )
        self.assertEqual(error["details"]["partner_id"], hidden.id)

    def test_duplicate_email_on_update_carries_no_hidden_id(self):
        restricted = self.make_member(self.sa, "agent", scope_policy="assigned_only").person_partner_id
        self.customer(actor=self.kwame, email="other.dup@example.com")
        mine = self.customer(actor=restricted)
        error = self.assertError(
            self.api(
                "PUT",
                f"/api/contacts/{mine.id}",
                {"email": "other.dup@example.com"},
                person=restricted,
                sa=self.sa,
            ),
            409,
        )
        self.assertNotIn("partner_id", error["details"])

    def test_assigning_to_an_employee_of_another_sa_answers_like_an_unknown_employee(self):
        marie = self.customer(actor=self.jean)
        outsider = self.other.sa_manager_id.employee_id
        url = f"/api/contacts/{marie.id}/assign"
        unknown = self.api("POST", url, {"employee_id": 999999}, person=self.alice, sa=self.sa)
        before = self.snapshot()
        hidden = self.api("POST", url, {"employee_id": outsider.id}, person=self.alice, sa=self.sa)
        self.assertEqual(self.snapshot(), before)
        self.assertError(unknown, 404)
        self.assertEqual(hidden[0], 404)
        self.assertEqual(hidden[1]["error"]["message"], unknown[1]["error"]["message"])
        self.assertNotIn(outsider.name, str(hidden[1]))


@tagged("post_install", "-at_install", "abs_governance", "abs_security")
class TestBackOfficeAuthority(AbsGovernanceCase):
    """The enroll and revoke wizards rank a member who uses them exactly like the API does;
    Governance Managers act for the system."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sa = cls.make_branch("Back Office SA")
        groups = [
            cls.env.ref("base.group_user").id,
            cls.env.ref("abs_connector.group_abs_governance_user").id,
        ]
        cls.users = {}
        for role in ROLES:
            user = cls.env["res.users"].create(
                {"name": f"BO {role}", "login": f"bo.{role}@example.com", "groups_id": [Command.set(groups)]}
            )
            cls.make_member(cls.sa, role, user.partner_id)
            cls.users[role] = user

    def enroll_with_wizard(self, user, role, **extra):
        wizard = (
            self.env["abs.enroll.member.wizard"]
            .with_user(user)
            .create(
                {
                    "serviced_account_id": self.sa.id,
                    "person_partner_id": self.make_person().id,
                    "role_code": role,
                    **extra,
                }
            )
        )
        return wizard.action_enroll()

    def test_a_member_revoking_with_the_wizard_is_the_actor_its_events_record(self):
        agent = self.make_member(self.sa, "agent")
        customer = self.make_customer(self.sa, agent.person_partner_id)
        self.revoke_with_wizard(self.users["staff"], agent)
        staff = self.users["staff"].partner_id.id
        revoked = self.events("membership.revoked", agent)
        self.assertEqual(json.loads(revoked.payload)["actor"]["partner_id"], staff)
        unassigned = self.events("customer.unassigned", customer)
        self.assertEqual(json.loads(unassigned.payload)["actor"]["partner_id"], staff)

    def revoke_with_wizard(self, user, membership):
        wizard = (
            self.env["abs.revoke.membership.wizard"].with_user(user).create({"membership_id": membership.id})
        )
        return wizard.action_revoke()

    def test_enroll_wizard_grants_no_role_above_the_members_for_every_pair_of_roles(self):
        for actor_role in ROLES:
            for role in ROLES:
                with self.subTest(actor=actor_role, granted=role):
                    count = self.env["ov.membership"].search_count([])
                    if role in ENROLL_ALLOWED[actor_role]:
                        action = self.enroll_with_wizard(self.users[actor_role], role)
                        self.assertEqual(self.env["ov.membership"].browse(action["res_id"]).role_code, role)
                    else:
                        with self.assertRaises(AccessError):
                            self.enroll_with_wizard(self.users[actor_role], role)
                        self.assertEqual(self.env["ov.membership"].search_count([]), count)

    def test_enroll_wizard_refuses_a_wider_visibility_or_hierarchy_scope(self):
        limited = self.env["res.users"].create(
            {
                "name": "Limited staff",
                "login": "bo.limited@example.com",
                "groups_id": [Command.set(self.users["staff"].groups_id.ids)],
            }
        )
        self.make_member(self.sa, "staff", limited.partner_id, scope_policy="assigned_only")
        with self.assertRaises(AccessError):
            self.enroll_with_wizard(limited, "staff", scope_policy="sa_wide")
        with self.assertRaises(AccessError):
            self.enroll_with_wizard(
                limited, "agent", scope_policy="assigned_only", hierarchy_scope="this_node_and_descendants"
            )
        self.enroll_with_wizard(limited, "agent", scope_policy="assigned_only")

    def test_revoke_wizard_revokes_no_member_who_outranks_the_user_for_every_pair_of_roles(self):
        for actor_role in ROLES:
            for target_role in ROLES:
                with self.subTest(actor=actor_role, target=target_role):
                    target = self.make_member(self.sa, target_role)
                    events = self.env["abs.event.outbox"].sudo().search_count([])
                    if target_role in MANAGE_ALLOWED[actor_role]:
                        self.revoke_with_wizard(self.users[actor_role], target)
                        self.assertEqual(target.membership_state, "revoked")
                    else:
                        # a membership the member may not see answers as a missing one
                        seen = target.with_user(self.users[actor_role])._filtered_access("read")
                        with self.assertRaises(AccessError if seen else MissingError):
                            self.revoke_with_wizard(self.users[actor_role], target)
                        self.assertEqual(target.membership_state, "active")
                        self.assertEqual(self.env["abs.event.outbox"].sudo().search_count([]), events)

    def test_governance_manager_acts_for_the_system_in_the_wizards(self):
        manager = self.env["res.users"].create(
            {
                "name": "BO manager",
                "login": "bo.manager@example.com",
                "groups_id": [Command.set([self.env.ref("abs_connector.group_abs_governance_manager").id])],
            }
        )
        self.enroll_with_wizard(manager, "admin")
        admin = self.make_member(self.sa, "admin")
        self.revoke_with_wizard(manager, admin)
        self.assertEqual(admin.membership_state, "revoked")
