import time
from unittest.mock import patch

import jwt

from odoo.tests import tagged
from odoo.tools import config

from ..models import ir_http
from .api_common import AUDIENCE, ISSUER, PASSWORD, SECRET, AbsApiCase


@tagged("post_install", "-at_install", "abs_api")
class TestApiAuth(AbsApiCase):
    """POST /api/auth/token, /api/auth/refresh, /api/auth/activate."""

    def sign_in(self, login, password=PASSWORD):
        return self.api("POST", "/api/auth/token", {"login": login, "password": password})

    def jean_login(self):
        return self.employee_of(self.jean).login

    # ---- token ----

    def test_sign_in_returns_bearer_access_and_refresh_tokens(self):
        status, body = self.sign_in(self.jean_login())
        self.assertEqual(status, 200, body)
        self.assertEqual(set(body), {"access_token", "token_type", "expires_in", "refresh_token"})
        self.assertEqual((body["token_type"], body["expires_in"]), ("Bearer", 600))
        claims = jwt.decode(
            body["access_token"], SECRET, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER
        )
        self.assertEqual(claims["sub"], str(self.employee_of(self.jean).id))
        self.assertTrue({"exp", "iat", "iss", "aud", "sub", "jti"} <= set(claims))
        self.assertEqual(claims["exp"] - claims["iat"], 600)

    def test_sign_in_login_is_the_normalized_email(self):
        status, body = self.sign_in(self.jean_login().upper())
        self.assertEqual(status, 200, body)

    def test_issued_token_authenticates_the_next_request(self):
        _status, body = self.sign_in(self.jean_login())
        status, me = self.api("GET", "/api/me/service-accounts", token=body["access_token"])
        self.assertEqual(status, 200, me)
        self.assertEqual([item["id"] for item in me["items"]], [self.sa.id])

    def test_wrong_password_and_unknown_login_answer_the_same_401(self):
        wrong = self.assertError(self.sign_in(self.jean_login(), "not the password"), 401, "unauthorized")
        unknown = self.assertError(
            self.sign_in("nobody@example.com", "not the password"), 401, "unauthorized"
        )
        self.assertEqual(wrong, unknown)

    def test_failed_sign_in_is_recorded_even_though_it_answers_401(self):
        self.sign_in(self.jean_login(), "not the password")
        attempts = self.env["abs.login_attempt"].sudo().search([("login", "=", self.jean_login())])
        self.assertEqual(attempts.mapped("success"), [False])

    def test_too_many_failed_sign_ins_answer_429_even_with_the_right_password(self):
        for _attempt in range(5):
            self.assertError(self.sign_in(self.jean_login(), "not the password"), 401)
        error = self.assertError(self.sign_in(self.jean_login()), 429, "too_many_requests")
        self.assertGreater(error["details"]["retry_after"], 0)
        # another login is not affected
        status, _body = self.sign_in(self.employee_of(self.kwame).login)
        self.assertEqual(status, 200)

    def test_a_success_resets_the_failure_count(self):
        for _attempt in range(4):
            self.sign_in(self.jean_login(), "not the password")
        self.assertEqual(self.sign_in(self.jean_login())[0], 200)
        for _attempt in range(4):
            self.sign_in(self.jean_login(), "not the password")
        self.assertEqual(self.sign_in(self.jean_login())[0], 200)

    def test_archived_employee_cannot_sign_in(self):
        login = self.jean_login()
        self.employee_of(self.jean).active = False
        self.assertError(self.sign_in(login), 401)

    def test_sign_in_body_is_validated(self):
        self.assertError(self.api("POST", "/api/auth/token", {"login": self.jean_login()}), 422)
        self.assertError(
            self.api(
                "POST", "/api/auth/token", {"login": self.jean_login(), "password": PASSWORD, "admin": True}
            ),
            422,
        )
        self.assertError(self.api("POST", "/api/auth/token", raw="{login"), 400)
        self.assertError(self.api("GET", "/api/auth/token"), 405)

    def test_without_a_secret_tokens_are_neither_issued_nor_accepted(self):
        token = self.token_for(self.jean)
        with (
            patch.dict(config.options, {"abs_jwt_secret": ""}),
            patch.object(ir_http, "_LOGGED_CONFIG_ERRORS", set()),
            self.assertLogs("odoo.addons.abs_connector.models.ir_http", "ERROR"),
        ):
            self.assertError(self.sign_in(self.jean_login()), 503, "service_unavailable")
            self.assertError(self.api("GET", "/api/me/service-accounts", token=token), 401)

    def test_a_secret_shorter_than_32_bytes_is_refused(self):
        with (
            patch.dict(config.options, {"abs_jwt_secret": "x" * 31}),
            patch.object(ir_http, "_LOGGED_CONFIG_ERRORS", set()),
            self.assertLogs("odoo.addons.abs_connector.models.ir_http", "ERROR"),
        ):
            self.assertError(self.sign_in(self.jean_login()), 503)

    def test_token_in_query_string_is_ignored(self):
        token = self.token_for(self.jean)
        self.assertError(self.api("GET", "/api/me/service-accounts", params={"access_token": token}), 401)

    # ---- refresh ----

    def test_refresh_rotates_the_refresh_token(self):
        _status, first = self.sign_in(self.jean_login())
        status, second = self.api("POST", "/api/auth/refresh", {"refresh_token": first["refresh_token"]})
        self.assertEqual(status, 200, second)
        self.assertNotEqual(second["refresh_token"], first["refresh_token"])
        status, third = self.api("POST", "/api/auth/refresh", {"refresh_token": second["refresh_token"]})
        self.assertEqual(status, 200, third)

    def test_archiving_an_employee_ends_their_sessions_even_once_they_are_enrolled_again(self):
        _status, session = self.sign_in(self.jean_login())
        self.employee_of(self.jean).active = False
        self.make_member(self.tree.sub_branch, "agent", person=self.jean)  # reactivates the identity
        self.assertTrue(self.employee_of(self.jean).active)
        self.assertError(
            self.api("POST", "/api/auth/refresh", {"refresh_token": session["refresh_token"]}), 401
        )
        status, body = self.sign_in(self.jean_login())
        self.assertEqual(status, 200, body)

    def test_reusing_a_spent_refresh_token_revokes_its_whole_family(self):
        _status, first = self.sign_in(self.jean_login())
        _status, second = self.api("POST", "/api/auth/refresh", {"refresh_token": first["refresh_token"]})
        # the spent token is presented again: someone copied it
        self.assertError(
            self.api("POST", "/api/auth/refresh", {"refresh_token": first["refresh_token"]}), 401
        )
        # the legitimate successor is revoked too
        self.assertError(
            self.api("POST", "/api/auth/refresh", {"refresh_token": second["refresh_token"]}), 401
        )
        family = (
            self.env["abs.refresh_token"]
            .sudo()
            .search([("employee_id", "=", self.employee_of(self.jean).id)])
        )
        self.assertEqual(len(family), 2)
        self.assertTrue(all(family.mapped("revoked_at")))

    def test_reuse_revokes_only_that_family(self):
        _status, phone = self.sign_in(self.jean_login())
        _status, tablet = self.sign_in(self.jean_login())
        self.api("POST", "/api/auth/refresh", {"refresh_token": phone["refresh_token"]})
        self.api("POST", "/api/auth/refresh", {"refresh_token": phone["refresh_token"]})
        status, _body = self.api("POST", "/api/auth/refresh", {"refresh_token": tablet["refresh_token"]})
        self.assertEqual(status, 200)

    def test_unknown_or_expired_refresh_token_is_refused(self):
        self.assertError(self.api("POST", "/api/auth/refresh", {"refresh_token": "x" * 43}), 401)
        _status, body = self.sign_in(self.jean_login())
        token = self.env["abs.refresh_token"].sudo().search([], limit=1, order="id desc")
        token.expires_at = token.expires_at.replace(year=2000)
        self.assertError(self.api("POST", "/api/auth/refresh", {"refresh_token": body["refresh_token"]}), 401)

    def test_only_a_digest_of_refresh_tokens_is_stored(self):
        _status, body = self.sign_in(self.jean_login())
        self.env.cr.execute("SELECT token_digest FROM abs_refresh_token")
        digests = [row[0] for row in self.env.cr.fetchall()]
        self.assertTrue(digests)
        self.assertNotIn(body["refresh_token"], digests)

    # ---- activation ----

    def enroll_without_password(self, email="afi@example.com"):
        status, body = self.api(
            "POST",
            f"/api/service-accounts/{self.sa.id}/members/enroll",
            {"name": "Afi Mensah", "email": email, "role_code": "agent"},
            person=self.alice,
            sa=self.sa,
        )
        self.assertEqual(status, 201, body)
        return body

    def test_enrollment_without_password_mails_an_activation_code_that_sets_it(self):
        enrolled = self.enroll_without_password()
        employee = self.env["abs.employee"].browse(enrolled["employee_id"])
        self.assertFalse(employee.has_password)
        code = self.activation_token_from_mail(employee.id)

        status, body = self.api("POST", "/api/auth/activate", {"token": code, "password": "a new secret"})

        self.assertEqual(status, 200, body)
        self.assertEqual(body["token_type"], "Bearer")
        employee.invalidate_recordset()
        self.assertTrue(employee.has_password)
        self.assertEqual(self.sign_in("afi@example.com", "a new secret")[0], 200)
        # the code works once
        self.assertError(
            self.api("POST", "/api/auth/activate", {"token": code, "password": "another one"}), 401
        )

    def test_activation_refuses_unknown_code_and_weak_password(self):
        enrolled = self.enroll_without_password("kofi@example.com")
        code = self.activation_token_from_mail(enrolled["employee_id"])
        self.assertError(
            self.api("POST", "/api/auth/activate", {"token": "y" * 43, "password": "long enough"}), 401
        )
        self.assertError(self.api("POST", "/api/auth/activate", {"token": code, "password": "short"}), 422)
        employee = self.env["abs.employee"].browse(enrolled["employee_id"])
        self.assertFalse(employee.has_password)

    def test_access_token_expires(self):
        token = self.token_for(self.jean, ttl=60, now=time.time() - 200)
        error = self.assertError(self.api("GET", "/api/me/service-accounts", token=token), 401)
        self.assertEqual(error["details"]["reason"], "expired")
