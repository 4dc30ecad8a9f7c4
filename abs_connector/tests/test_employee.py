from datetime import timedelta

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import AbsGovernanceCase


@tagged("post_install", "-at_install", "abs_governance")
class TestEmployeeIdentity(AbsGovernanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        branch = cls.make_branch("Branch")
        cls.person = cls.make_person("Jean Kofi", " Jean.Kofi@Example.COM ")
        cls.employee = cls.make_member(branch, "agent", cls.person).employee_id
        cls.Employee = cls.env["abs.employee"]

    def test_login_is_the_normalized_email(self):
        self.assertEqual(self.employee.login, "jean.kofi@example.com")
        self.assertEqual(self.Employee._get_by_login("JEAN.KOFI@example.com"), self.employee)

    def test_password_is_stored_hashed(self):
        self.employee._abs_set_password("correct horse battery")
        stored = self.employee.sudo().password_hash
        self.assertTrue(stored.startswith("$pbkdf2-sha256$"))
        self.assertNotIn("correct horse", stored)
        self.assertTrue(self.employee.has_password)
        self.assertTrue(self.employee._abs_check_password("correct horse battery"))
        self.assertFalse(self.employee._abs_check_password("wrong password"))

    def test_short_password_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "at least 8"):
            self.employee._abs_set_password("short")
        self.assertFalse(self.employee.has_password)

    def test_authenticate(self):
        self.employee._abs_set_password("correct horse battery")
        self.assertEqual(
            self.Employee._authenticate("Jean.Kofi@example.com", "correct horse battery"), self.employee
        )
        self.assertFalse(self.Employee._authenticate("jean.kofi@example.com", "nope nope nope"))
        self.assertFalse(self.Employee._authenticate("nobody@example.com", "correct horse battery"))
        self.employee.active = False
        self.assertFalse(self.Employee._authenticate("jean.kofi@example.com", "correct horse battery"))

    def test_no_password_means_no_login(self):
        self.assertFalse(self.employee._abs_check_password(""))
        self.assertFalse(self.Employee._authenticate("jean.kofi@example.com", ""))

    def test_activation_token_sets_the_password_once(self):
        token = self.employee._abs_issue_activation_token()
        self.assertNotIn(token, self.employee.sudo().activation_token_digest or "")
        self.assertEqual(self.Employee._abs_activate(token, "a fresh password"), self.employee)
        self.assertTrue(self.employee._abs_check_password("a fresh password"))
        with self.assertRaisesRegex(ValidationError, "not valid or has expired"):
            self.Employee._abs_activate(token, "another password")

    def test_expired_activation_token_is_refused(self):
        token = self.employee._abs_issue_activation_token()
        self.employee.sudo().activation_expires_at = fields.Datetime.now() - timedelta(minutes=1)
        with self.assertRaisesRegex(ValidationError, "not valid or has expired"):
            self.Employee._abs_activate(token, "a fresh password")
        self.assertFalse(self.employee.has_password)

    def test_two_employees_cannot_share_a_login(self):
        other = self.make_person("Impostor", "someone@example.com")
        employee = self.Employee.create({"partner_id": other.id})
        self.assertEqual(employee.login, "someone@example.com")
        with self.assertRaisesRegex(ValidationError, "cannot share"):
            other.email = "JEAN.KOFI@example.com"
        self.assertEqual(other.email, "someone@example.com")

    def test_one_employee_per_person(self):
        employees = self.Employee._ensure_for_partners(self.person)
        self.assertEqual(employees, self.employee)

    def test_company_cannot_be_an_employee(self):
        company = self.env["res.partner"].create({"name": "ACME", "is_company": True})
        with self.assertRaisesRegex(ValidationError, "is a company"):
            self.Employee.create({"partner_id": company.id})
