from odoo import Command
from odoo.tests import tagged

from .common import AbsGovernanceCase


@tagged("post_install", "-at_install")
class TestGovernedCustomerCompany(AbsGovernanceCase):
    """A governed customer belongs to its Service Account's company; other companies' users
    do not see it (Odoo's own multi-company rule on contacts)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tree = cls.make_sa_tree()
        cls.company_b = cls.env["res.company"].create({"name": "Company B"})
        seed_b = cls.env["ov.serviced_account"]._get_company_seed(cls.company_b)
        cls.branch_b = cls.make_branch("Branch B", parent=seed_b, company_id=cls.company_b.id)
        cls.user_a = cls._internal_user("user.a@example.com", cls.company)
        cls.user_b = cls._internal_user("user.b@example.com", cls.company_b)

    @classmethod
    def _internal_user(cls, login, company):
        return (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": login,
                    "login": login,
                    "company_id": company.id,
                    "company_ids": [Command.set(company.ids)],
                    "groups_id": [Command.set(cls.env.ref("base.group_user").ids)],
                }
            )
        )

    def visible_to(self, user, customer):
        return bool(self.env["res.partner"].with_user(user).search([("id", "=", customer.id)]))

    def test_customer_is_created_in_its_accounts_company(self):
        customer_a = self.make_customer(self.tree.branch, self.tree.jean)
        customer_b = self.make_customer(self.branch_b)
        self.assertEqual(customer_a.company_id, self.company)
        self.assertEqual(customer_b.company_id, self.company_b)

    def test_user_of_company_b_does_not_see_company_a_governed_customer(self):
        customer_a = self.make_customer(self.tree.branch, self.tree.jean)
        self.assertTrue(self.visible_to(self.user_a, customer_a))
        self.assertFalse(self.visible_to(self.user_b, customer_a))

    def test_user_of_company_a_does_not_see_company_b_governed_customer(self):
        customer_b = self.make_customer(self.branch_b)
        self.assertTrue(self.visible_to(self.user_b, customer_b))
        self.assertFalse(self.visible_to(self.user_a, customer_b))
