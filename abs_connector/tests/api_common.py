"""Shared base of the REST API suites: real HTTP requests against the test server.

``AbsApiCase`` configures a token secret for the duration of the class, builds the docs/customer-lifecycle.md
picture (Alice staff of "Togo Field Operations", agents Jean and Kwame, each with a password),
and offers ``api()`` to call an endpoint and get ``(status, body)`` back.
"""

import json
from unittest.mock import patch

from odoo.tests import HttpCase
from odoo.tools import config

from ..governance import tokens
from .common import AbsGovernanceCase

SECRET = "api-test-secret-0123456789-abcdefghijkl"
ISSUER = "abs-connector-test"
AUDIENCE = "abs-connector-api-test"
PASSWORD = "correct horse battery"


class AbsApiCase(HttpCase, AbsGovernanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.startClassPatcher(
            patch.dict(
                config.options,
                {
                    "abs_jwt_secret": SECRET,
                    "abs_jwt_issuer": ISSUER,
                    "abs_jwt_audience": AUDIENCE,
                    "abs_jwt_access_ttl": "600",
                    "abs_jwt_leeway": "30",
                    "abs_jwt_issuers_file": "",
                    "abs_login_max_failures": "5",
                    "abs_login_window": "900",
                },
            )
        )
        cls.tree = cls.make_sa_tree()
        cls.sa = cls.tree.branch
        cls.alice, cls.jean, cls.kwame = cls.tree.alice, cls.tree.jean, cls.tree.kwame
        for person in (cls.alice, cls.jean, cls.kwame):
            cls.employee_of(person)._abs_set_password(PASSWORD)
        _key, cls.api_key = cls.env["abs.api_key"]._generate("api tests")

    # ---- identities ----

    @classmethod
    def employee_of(cls, person):
        return cls.env["abs.employee"].search([("partner_id", "=", person.id)])

    @classmethod
    def native_config(cls):
        return tokens.native_issuer_config(SECRET, ISSUER, AUDIENCE, 30)

    @classmethod
    def token_for(cls, person, ttl=600, now=None):
        token, _claims = tokens.issue_access_token(
            cls.native_config(), cls.employee_of(person).id, ttl, now=now
        )
        return token

    # ---- HTTP ----

    def api(
        self,
        method,
        path,
        body=None,
        person=None,
        sa=None,
        token=None,
        api_key=None,
        headers=None,
        raw=None,
        params=None,
    ):
        """Call the API; returns ``(status, parsed JSON body)``."""
        all_headers = {}
        if body is not None or raw is not None:
            all_headers["Content-Type"] = "application/json"
        if person is not None:
            token = self.token_for(person)
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        if sa is not None:
            all_headers["X-SA-ID"] = str(sa.id if hasattr(sa, "id") else sa)
        if api_key is not None:
            all_headers["X-API-KEY"] = api_key
        all_headers.update(headers or {})
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = self.opener.request(
            method,
            self.base_url() + path,
            data=data,
            headers=all_headers,
            params=params,
            timeout=30,
            allow_redirects=False,
        )
        self.assertEqual(
            response.headers.get("Content-Type", "").split(";")[0],
            "application/json",
            f"{method} {path} did not answer JSON: {response.text[:200]}",
        )
        return response.status_code, response.json()

    def assertError(self, result, status, code=None):
        """The answer is the API's one error shape with this status (and code)."""
        got_status, body = result
        self.assertEqual(got_status, status, body)
        self.assertEqual(set(body), {"error"}, body)
        self.assertEqual(set(body["error"]), {"code", "message", "details"}, body)
        self.assertTrue(body["error"]["message"])
        if code:
            self.assertEqual(body["error"]["code"], code, body)
        return body["error"]

    def activation_token_from_mail(self, employee_id):
        """The activation code of the last mail queued for this employee."""
        employee = self.env["abs.employee"].browse(employee_id)
        mail = (
            self.env["mail.mail"]
            .sudo()
            .search([("email_to", "ilike", employee.email)], order="id desc", limit=1)
        )
        self.assertTrue(mail, "no activation mail was queued")
        marker = 'font-size: 16px;">'
        start = mail.body_html.index(marker) + len(marker)
        return mail.body_html[start : mail.body_html.index("<", start)].strip()

    def customer(self, actor=None, sa=None, **vals):
        return self.make_customer(sa or self.sa, actor=actor, **vals)

    def snapshot(self):
        """Counts that prove a refused request changed nothing."""
        env = self.env
        env.invalidate_all()
        return {
            "partners": env["res.partner"].with_context(active_test=False).search_count([]),
            "active_partners": env["res.partner"].search_count([]),
            "assignments": env["ov.sa_customer_assignment"].search_count([]),
            "active_assignments": env["ov.sa_customer_assignment"].search_count([("state", "=", "active")]),
            "memberships": env["ov.membership"].search_count([]),
            "live_memberships": env["ov.membership"].search_count([("membership_state", "=", "active")]),
            "accounts": env["ov.serviced_account"].search_count([]),
            "events": env["abs.event.outbox"].sudo().search_count([]),
            "employees": env["abs.employee"].with_context(active_test=False).search_count([]),
            "partner_writes": str(
                env["res.partner"]
                .with_context(active_test=False)
                .search([], order="write_date desc, id desc", limit=1)
                .write_date
            ),
        }


class SyncReplica:
    """An offline app's local copy of what one person sees in one SA, kept up to date with
    ``GET /api/contacts/changes`` the way docs/agent/offline-sync.md tells app developers to."""

    def __init__(self, case, person, sa, limit=None):
        self.case = case
        self.person = person
        self.sa = sa
        self.limit = limit
        self.items = {}
        self.cursor = None

    def reset(self):
        self.items = {}
        self.cursor = None

    def request_page(self):
        """One call with the current cursor: ``(status, body)``."""
        params = {}
        if self.cursor is not None:
            params["cursor"] = self.cursor
        if self.limit is not None:
            params["limit"] = str(self.limit)
        # the ORM's pending writes are what the server must see
        self.case.env.flush_all()
        return self.case.api("GET", "/api/contacts/changes", person=self.person, sa=self.sa, params=params)

    def apply(self, body):
        for item in body["upserts"]:
            self.items[item["id"]] = item
        for removal in body["removals"]:
            self.items.pop(removal["id"], None)
        self.cursor = body["next_cursor"]

    def pull_page(self):
        status, body = self.request_page()
        self.case.assertEqual(status, 200, body)
        self.apply(body)
        return body

    def pull(self, allow_reset=False):
        """Pull every page until ``has_more`` is false; returns how many calls it took.

        :param allow_reset: on a 410 ``cursor_reset``, drop the copy and start from a snapshot.
        """
        calls = 0
        while True:
            status, body = self.request_page()
            calls += 1
            if status == 410 and allow_reset:
                self.case.assertEqual(body["error"]["code"], "cursor_reset", body)
                self.reset()
                continue
            self.case.assertEqual(status, 200, body)
            self.apply(body)
            if not body["has_more"]:
                return calls

    def listed(self):
        """What ``GET /api/contacts`` answers the same person now, by id (every page)."""
        items, params = {}, {"limit": "200"}
        while True:
            status, body = self.case.api(
                "GET", "/api/contacts", person=self.person, sa=self.sa, params=params
            )
            self.case.assertEqual(status, 200, body)
            items.update((item["id"], item) for item in body["items"])
            if body["next_cursor"] is None:
                return items
            params = {"limit": "200", "cursor": body["next_cursor"]}
