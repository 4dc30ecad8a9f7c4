from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import AbsSaTreeCustomerCase, JsonRpcMixin


@tagged("post_install", "-at_install", "abs_governance")
class TestGovernanceAccessRights(AbsSaTreeCustomerCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env["res.company"].create({"name": "OV2"})
        cls.other_branch = cls.make_branch(
            "OV2 Branch", parent=cls.env["ov.serviced_account"]._get_company_seed(cls.other_company)
        )

        def user(login, groups, companies=None):
            companies = companies or cls.company
            return cls.env["res.users"].create(
                {
                    "name": login,
                    "login": login,
                    "company_id": companies[0].id,
                    "company_ids": [(6, 0, companies.ids)],
                    "groups_id": [(6, 0, [cls.env.ref(g).id for g in groups])],
                }
            )

        cls.reader = user("gov.reader", ["abs_connector.group_abs_governance_user"])
        cls.manager = user("gov.manager", ["abs_connector.group_abs_governance_manager"])
        cls.ov2_manager = user(
            "ov2.manager", ["abs_connector.group_abs_governance_manager"], cls.other_company
        )

    def test_governance_user_reads_but_does_not_change(self):
        branch = self.tree.branch.with_user(self.reader)
        self.assertEqual(branch.name, "Togo Field Operations")
        self.assertTrue(branch.membership_ids)
        self.assertTrue(self.env["ov.sa_customer_assignment"].with_user(self.reader).search_count([]))
        with self.assertRaises(AccessError):
            branch.write({"notes": "changed"})
        with self.assertRaises(AccessError):
            self.tree.jean_membership.with_user(self.reader).action_suspend()
        self.assertEqual(self.tree.jean_membership.membership_state, "active")

    def test_governance_manager_manages(self):
        self.tree.branch.with_user(self.manager).write({"notes": "reviewed"})
        self.assertEqual(self.tree.branch.notes, "reviewed")
        membership = (
            self.env["ov.membership"]
            .with_user(self.manager)
            ._abs_enroll(self.tree.branch, self.make_person(), "agent")
        )
        self.assertEqual(membership.create_uid, self.manager)

    def test_nobody_deletes_assignment_history(self):
        assignment = self.active_assignment(self.marie, self.tree.branch)
        with self.assertRaises(AccessError):
            assignment.with_user(self.manager).unlink()

    def test_accounts_of_another_company_are_invisible(self):
        SA = self.env["ov.serviced_account"]
        self.assertNotIn(self.other_branch, SA.with_user(self.manager).search([]))
        self.assertIn(self.tree.branch, SA.with_user(self.manager).search([]))
        self.assertNotIn(self.tree.branch, SA.with_user(self.ov2_manager).search([]))
        self.assertIn(self.other_branch, SA.with_user(self.ov2_manager).search([]))
        Membership = self.env["ov.membership"]
        self.assertNotIn(self.tree.jean_membership, Membership.with_user(self.ov2_manager).search([]))

    def test_password_hash_is_not_readable_by_governance_managers(self):
        employee = self.tree.jean_membership.employee_id
        employee._abs_set_password("correct horse battery")
        with self.assertRaises(AccessError):
            employee.with_user(self.manager).read(["password_hash"])

    def test_whether_an_agent_has_activated_their_account_is_for_governance_users_only(self):
        plain = self.make_user("plain.identity.reader", "base.group_user")
        employee = self.tree.jean_membership.employee_id
        employee._abs_set_password("correct horse battery")
        with self.assertRaises(AccessError):
            employee.with_user(plain).read(["has_password"])
        self.assertTrue(employee.with_user(self.reader).has_password)


@tagged("post_install", "-at_install", "abs_governance")
class TestAgentIdentitiesOverRpc(JsonRpcMixin, HttpCase, AbsSaTreeCustomerCase):
    """Agents' identities (name, e-mail, sign-in) are governance records: read by Governance
    Users of the companies whose accounts the person is a member of, through Odoo's own routes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env["res.company"].create({"name": "OV2"})
        cls.reader = cls.make_user("identity.reader", "abs_connector.group_abs_governance_user")
        cls.salesperson = cls.make_user(
            "identity.salesperson", "base.group_user", "sales_team.group_sale_salesman_all_leads"
        )
        cls.ov2_manager = cls.make_user(
            "identity.ov2.manager",
            "abs_connector.group_abs_governance_manager",
            company_id=cls.other_company.id,
            company_ids=[(6, 0, cls.other_company.ids)],
        )
        cls.jean_identity = cls.tree.jean_membership.employee_id
        cls.newcomer = cls.env["abs.employee"].create({"partner_id": cls.make_person("Newcomer").id})

    def identities_listed_for(self, login):
        self.authenticate(login, login)
        answer = self.call_kw("abs.employee", "search_read", [[]], {"fields": ["name", "login"]})
        return answer.get("result"), answer.get("error", {}).get("data", {}).get("name")

    @mute_logger("odoo.http")
    def test_an_internal_user_outside_governance_reads_no_agent_identity(self):
        listed, error = self.identities_listed_for(self.salesperson.login)
        self.assertIsNone(listed)
        self.assertEqual(error, "odoo.exceptions.AccessError")
        answer = self.call_kw("abs.employee", "read", [self.jean_identity.ids, ["login"]])
        self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.AccessError")
        self.assertNotIn(self.jean_identity.login, answer["error"]["data"]["message"])

    def test_a_governance_user_reads_the_identities_of_their_companys_members(self):
        listed, _error = self.identities_listed_for(self.reader.login)
        logins = {row["login"] for row in listed}
        self.assertIn(self.jean_identity.login, logins)
        self.assertIn(self.newcomer.login, logins)

    def test_identities_of_another_companys_members_are_hidden_until_enrolled_there(self):
        listed, _error = self.identities_listed_for(self.ov2_manager.login)
        logins = {row["login"] for row in listed}
        self.assertNotIn(self.jean_identity.login, logins)
        # who is no member anywhere yet may be enrolled by any company
        self.assertIn(self.newcomer.login, logins)
        ov2_branch = self.make_branch(
            "OV2 Branch", parent=self.env["ov.serviced_account"]._get_company_seed(self.other_company)
        )
        self.make_member(ov2_branch, "agent", self.tree.jean)
        listed, _error = self.identities_listed_for(self.ov2_manager.login)
        self.assertIn(self.jean_identity.login, {row["login"] for row in listed})
        self.assertEqual(self.env["abs.employee"].search_count([("partner_id", "=", self.tree.jean.id)]), 1)

    def test_a_salesperson_still_sees_the_assigned_agent_on_the_customers_form(self):
        self.assertEqual(self.marie.x_assigned_employee_id, self.jean_identity)
        self.authenticate(self.salesperson.login, self.salesperson.login)
        specification = {"name": {}, "x_assigned_employee_id": {"fields": {"display_name": {}}}}
        answer = self.call_kw("res.partner", "web_read", [self.marie.ids], {"specification": specification})
        self.assertEqual(answer["result"][0]["x_assigned_employee_id"]["display_name"], "Jean Kofi")
