import json
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import config

from .api_common import PASSWORD, AbsApiCase

STRANGER = "203.0.113.7"
AGENT_ADDRESS = "198.51.100.9"


@tagged("post_install", "-at_install", "abs_api")
class TestApiSignInThrottle(AbsApiCase):
    """POST /api/auth/token: one login, one throttle, counted per login and per client address."""

    def sign_in(self, login, password=PASSWORD, forwarded_for=None):
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else None
        return self.api("POST", "/api/auth/token", {"login": login, "password": password}, headers=headers)

    def fail(self, login, times, forwarded_for=None):
        for _attempt in range(times):
            self.assertError(self.sign_in(login, "not the password", forwarded_for), 401)

    def behind_proxy(self):
        return patch.dict(config.options, {"proxy_mode": True})

    def jean_login(self):
        return self.employee_of(self.jean).login

    def test_other_spellings_of_a_login_count_on_the_same_lock(self):
        login = self.jean_login()
        local, domain = login.split("@")
        spellings = [f"<{login}>", f"(comment){login}", login.upper(), f"<{login.upper()}>", f"(x){login}"]
        for spelling in spellings:
            self.assertError(self.sign_in(spelling, "not the password"), 401)
        self.assertError(self.sign_in(f"{local.upper()}@{domain}"), 429, "too_many_requests")
        keys = set(self.env["abs.login_attempt"].sudo().search([]).mapped("login"))
        self.assertEqual(keys, {login})

    def test_429_carries_retry_after_header_and_changes_nothing(self):
        self.fail(self.jean_login(), 5)
        before = self.snapshot()
        attempts = self.env["abs.login_attempt"].sudo().search_count([])
        response = self.url_open(
            "/api/auth/token",
            data=json.dumps({"login": self.jean_login(), "password": PASSWORD}),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 429)
        retry_after = int(response.headers["Retry-After"])
        self.assertTrue(0 < retry_after <= 900, retry_after)
        self.assertEqual(response.json()["error"]["details"]["retry_after"], retry_after)
        self.assertNotIn("refresh_token", response.text)
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(self.env["abs.login_attempt"].sudo().search_count([]), attempts)

    def test_a_stranger_at_one_address_cannot_lock_an_agent_out(self):
        with self.behind_proxy():
            self.fail(self.jean_login(), 5, forwarded_for=STRANGER)
            self.assertError(self.sign_in(self.jean_login(), forwarded_for=STRANGER), 429)
            status, body = self.sign_in(self.jean_login(), forwarded_for=AGENT_ADDRESS)
        self.assertEqual(status, 200, body)

    def test_one_address_cannot_spray_many_logins(self):
        with self.behind_proxy():
            for number in range(20):
                self.assertError(
                    self.sign_in(f"guess{number}@example.com", "not the password", STRANGER), 401
                )
            self.assertError(self.sign_in(self.jean_login(), forwarded_for=STRANGER), 429)
            # a success elsewhere, even of an account the stranger owns, does not reset it
            self.assertEqual(self.sign_in(self.kwame_login(), forwarded_for=AGENT_ADDRESS)[0], 200)
            self.assertError(self.sign_in(self.kwame_login(), forwarded_for=STRANGER), 429)
            self.assertEqual(self.sign_in(self.jean_login(), forwarded_for=AGENT_ADDRESS)[0], 200)

    def kwame_login(self):
        return self.employee_of(self.kwame).login

    def test_one_login_guessed_from_many_addresses_is_locked(self):
        with self.behind_proxy(), patch.dict(config.options, {"abs_login_max_failures_per_login": "12"}):
            for number in range(12):
                address = f"192.0.2.{number + 1}"
                self.assertError(self.sign_in(self.jean_login(), "not the password", address), 401)
            self.assertError(self.sign_in(self.jean_login(), forwarded_for=AGENT_ADDRESS), 429)

    def test_forwarded_for_is_ignored_without_proxy_mode(self):
        with patch.dict(config.options, {"proxy_mode": False}):
            for number in range(5):
                self.fail(self.jean_login(), 1, forwarded_for=f"192.0.2.{number + 1}")
            self.assertError(self.sign_in(self.jean_login(), forwarded_for=AGENT_ADDRESS), 429)
        recorded = set(self.env["abs.login_attempt"].sudo().search([]).mapped("remote_addr"))
        self.assertEqual(recorded, {"127.0.0.1"})

    def test_behind_a_proxy_the_last_forwarded_address_counts(self):
        with self.behind_proxy():
            # the client wrote the first entries; the trusted proxy appended the last one
            for number in range(5):
                self.fail(self.jean_login(), 1, forwarded_for=f"10.0.0.{number}, {STRANGER}")
            self.assertError(self.sign_in(self.jean_login(), forwarded_for=STRANGER), 429)
        recorded = set(self.env["abs.login_attempt"].sudo().search([]).mapped("remote_addr"))
        self.assertEqual(recorded, {STRANGER})
