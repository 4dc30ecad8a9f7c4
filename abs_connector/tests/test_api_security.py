import hashlib
import hmac
import json
import os
import tempfile
import time
from unittest.mock import patch

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from odoo.tests import tagged
from odoo.tools import config

from ..governance.tokens import b64url
from .api_common import AUDIENCE, ISSUER, SECRET, AbsApiCase

EXTERNAL_ISSUER = "https://login.example.com/teams-tenant/v2.0"
EXTERNAL_AUDIENCE = "api://abs-connector"


@tagged("post_install", "-at_install", "abs_api")
class TestApiSecurity(AbsApiCase):
    """Every endpoint refuses every forged, stale or misdirected credential -- and changes nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cls.private_pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        cls.public_pem = (
            private.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
        cls.tmpdir = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmpdir.cleanup)
        with open(os.path.join(cls.tmpdir.name, "teams.pem"), "w", encoding="utf-8") as handle:
            handle.write(cls.public_pem)
        issuers_file = os.path.join(cls.tmpdir.name, "issuers.json")
        with open(issuers_file, "w", encoding="utf-8") as handle:
            json.dump(
                [
                    {
                        "issuer": EXTERNAL_ISSUER,
                        "audience": EXTERNAL_AUDIENCE,
                        "algorithms": ["RS256"],
                        "public_key_file": "teams.pem",
                        "identity_claim": "sub",
                        "email_claim": "email",
                        "require_email_verified": True,
                        "leeway_seconds": 30,
                    }
                ],
                handle,
            )
        cls.startClassPatcher(patch.dict(config.options, {"abs_jwt_issuers_file": issuers_file}))
        cls.jeans_customer = cls.make_customer(cls.sa, actor=cls.jean, name="Jean's customer")
        cls.kwames_customer = cls.make_customer(cls.sa, actor=cls.kwame, name="Kwame's customer")
        cls.other_sa = cls.make_branch("Other SA")
        cls.other_sa_customer = cls.make_customer(cls.other_sa, name="Other SA customer")

    # ---- helpers ----

    def claims(self, person=None, **overrides):
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": str(self.employee_of(person or self.alice).id),
            "iat": now,
            "exp": now + 300,
            "jti": "test-jti",
        }
        claims.update(overrides)
        return claims

    def forged_tokens(self):
        """Tokens that must all be refused (401), by name."""
        header_none = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
        body = b64url(json.dumps(self.claims()).encode())
        valid = jwt.encode(self.claims(), SECRET, algorithm="HS256")
        head, payload, signature = valid.split(".")
        tampered_payload = b64url(json.dumps(self.claims(sub=str(self.employee_of(self.jean).id))).encode())
        hs_header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        external_body = b64url(
            json.dumps(
                self.claims(iss=EXTERNAL_ISSUER, aud=EXTERNAL_AUDIENCE, email=self.alice.email)
            ).encode()
        )
        confused_mac = hmac.new(
            self.public_pem.encode(), f"{hs_header}.{external_body}".encode(), hashlib.sha256
        ).digest()
        now = int(time.time())
        return {
            "expired beyond leeway": jwt.encode(
                self.claims(iat=now - 1000, exp=now - 60), SECRET, algorithm="HS256"
            ),
            "alg none": f"{header_none}.{body}.",
            "HS256 signed with the RSA public key": f"{hs_header}.{external_body}.{b64url(confused_mac)}",
            "RS256 claiming the native issuer": jwt.encode(
                self.claims(), self.private_pem, algorithm="RS256"
            ),
            "wrong audience": jwt.encode(self.claims(aud="another-api"), SECRET, algorithm="HS256"),
            "wrong issuer": jwt.encode(self.claims(iss="someone-else"), SECRET, algorithm="HS256"),
            "tampered payload": f"{head}.{tampered_payload}.{signature}",
            "tampered signature": f"{head}.{payload}.{signature[:-4]}AAAA",
            "other secret": jwt.encode(self.claims(), "z" * 40, algorithm="HS256"),
            "missing jti": jwt.encode(
                {k: v for k, v in self.claims().items() if k != "jti"}, SECRET, algorithm="HS256"
            ),
            "archived subject": jwt.encode(self.claims(sub="999999"), SECRET, algorithm="HS256"),
        }

    def jwt_endpoints(self):
        """(method, path, body) of every JWT endpoint, aimed at a record the caller could act on."""
        sa, customer = self.sa.id, self.jeans_customer.id
        return [
            ("GET", "/api/me/service-accounts", None),
            ("GET", "/api/contacts", None),
            ("POST", "/api/contacts", {"name": "Forged"}),
            ("GET", f"/api/contacts/{customer}", None),
            ("PUT", f"/api/contacts/{customer}", {"city": "Forged"}),
            ("DELETE", f"/api/contacts/{customer}", None),
            ("POST", f"/api/contacts/{customer}/assign", {"employee_id": self.employee_of(self.kwame).id}),
            ("GET", f"/api/contacts/{customer}/access?person_id={self.jean.id}", None),
            ("GET", "/api/orders", None),
            ("GET", "/api/orders/1", None),
            (
                "POST",
                f"/api/service-accounts/{sa}/members/enroll",
                {"name": "Forged", "email": "forged@example.com", "role_code": "staff"},
            ),
            ("DELETE", f"/api/service-accounts/{sa}/members/{self.tree.jean_membership.id}", None),
        ]

    def system_endpoints(self):
        return [
            (
                "POST",
                "/api/service-accounts",
                {"name": "Forged", "parent_id": self.seed.id, "initial_admin_partner_id": self.jean.id},
            ),
            ("POST", "/api/migration/backfill-customer-assignments", {"dry_run": False}),
        ]

    # ---- credentials ----

    def test_every_jwt_endpoint_refuses_a_missing_or_forged_token_and_changes_nothing(self):
        before = self.snapshot()
        for method, path, body in self.jwt_endpoints():
            self.assertError(self.api(method, path, body, sa=self.sa), 401)
            for name, token in self.forged_tokens().items():
                with self.subTest(endpoint=f"{method} {path}", token=name):
                    self.assertError(
                        self.api(method, path, body, token=token, sa=self.sa), 401, "unauthorized"
                    )
        self.assertEqual(self.snapshot(), before)

    def test_token_is_only_read_from_the_authorization_header(self):
        token = self.token_for(self.alice)
        for headers in (
            {"Authorization": token},
            {"Authorization": f"Basic {token}"},
            {"X-Access-Token": token},
            {"Cookie": f"access_token={token}"},
        ):
            self.assertError(self.api("GET", "/api/contacts", sa=self.sa, headers=headers), 401)

    def test_a_valid_external_issuer_token_resolves_to_the_persons_employee(self):
        token = jwt.encode(
            self.claims(
                iss=EXTERNAL_ISSUER,
                aud=EXTERNAL_AUDIENCE,
                email=self.jean.email,
                email_verified=True,
                sub="teams-object-id",
            ),
            self.private_pem,
            algorithm="RS256",
        )
        status, body = self.api("GET", "/api/contacts", token=token, sa=self.sa)
        self.assertEqual(status, 200, body)
        self.assertIn(self.jeans_customer.id, [item["id"] for item in body["items"]])
        self.assertNotIn(self.kwames_customer.id, [item["id"] for item in body["items"]])

    def test_external_token_for_an_unknown_person_is_refused(self):
        token = jwt.encode(
            self.claims(
                iss=EXTERNAL_ISSUER, aud=EXTERNAL_AUDIENCE, email="stranger@example.com", email_verified=True
            ),
            self.private_pem,
            algorithm="RS256",
        )
        self.assertError(self.api("GET", "/api/contacts", token=token, sa=self.sa), 401)

    def test_system_endpoints_refuse_person_tokens_and_bad_keys(self):
        revoked, revoked_clear = self.env["abs.api_key"]._generate("revoked key")
        revoked.action_revoke()
        before = self.snapshot()
        for method, path, body in self.system_endpoints():
            with self.subTest(endpoint=path):
                self.assertError(self.api(method, path, body), 401)
                self.assertError(self.api(method, path, body, person=self.alice), 401)
                self.assertError(self.api(method, path, body, person=self.jean), 401)
                self.assertError(self.api(method, path, body, api_key="absk_not-a-key"), 401)
                self.assertError(self.api(method, path, body, api_key=revoked_clear), 401)
        self.assertEqual(self.snapshot(), before)

    # ---- authorization in the SA ----

    def test_revoked_members_token_is_refused_on_every_sa_endpoint(self):
        token = self.token_for(self.jean)
        self.tree.jean_membership._abs_revoke()
        before = self.snapshot()
        for method, path, body in self.jwt_endpoints()[1:]:
            with self.subTest(endpoint=f"{method} {path}"):
                self.assertError(self.api(method, path, body, token=token, sa=self.sa), 403)
        self.assertEqual(self.snapshot(), before)

    def test_other_sas_x_sa_id_is_refused(self):
        before = self.snapshot()
        for method, path, body in self.jwt_endpoints()[1:]:
            with self.subTest(endpoint=f"{method} {path}"):
                self.assertError(self.api(method, path, body, person=self.jean, sa=self.other_sa), 403)
                self.assertError(self.api(method, path, body, person=self.jean, sa=999999), 403)
        self.assertEqual(self.snapshot(), before)

    def test_another_agents_customer_is_404_on_every_contact_endpoint(self):
        hidden = self.kwames_customer.id
        before = self.snapshot()
        for method, path, body in (
            ("GET", f"/api/contacts/{hidden}", None),
            ("PUT", f"/api/contacts/{hidden}", {"city": "X"}),
        ):
            with self.subTest(endpoint=f"{method} {path}"):
                self.assertError(self.api(method, path, body, person=self.jean, sa=self.sa), 404)
        self.assertEqual(self.snapshot(), before)

    def test_agent_calling_staff_endpoints_is_403(self):
        before = self.snapshot()
        customer = self.jeans_customer.id
        for method, path, body in (
            ("POST", f"/api/contacts/{customer}/assign", {"employee_id": self.employee_of(self.kwame).id}),
            ("GET", f"/api/contacts/{customer}/access?person_id={self.kwame.id}", None),
            (
                "POST",
                f"/api/service-accounts/{self.sa.id}/members/enroll",
                {"name": "Z", "email": "z@example.com", "role_code": "agent"},
            ),
            ("DELETE", f"/api/service-accounts/{self.sa.id}/members/{self.tree.kwame_membership.id}", None),
            ("DELETE", f"/api/contacts/{customer}", None),
        ):
            with self.subTest(endpoint=f"{method} {path}"):
                self.assertError(self.api(method, path, body, person=self.jean, sa=self.sa), 403)
        self.assertEqual(self.snapshot(), before)

    def test_mass_assignment_is_refused_everywhere_and_changes_nothing(self):
        customer = self.jeans_customer.id
        forbidden = {
            "x_sa_id": self.other_sa.id,
            "x_actor_id": self.kwame.id,
            "company_id": 1,
            "active": False,
            "user_id": 1,
            "create_uid": 1,
            "assignment_ids": [],
            "is_company": True,
        }
        before = self.snapshot()
        for field, value in forbidden.items():
            for method, path, body in (
                ("POST", "/api/contacts", {"name": "M", field: value}),
                ("PUT", f"/api/contacts/{customer}", {"city": "Lomé", field: value}),
                ("POST", f"/api/contacts/{customer}/assign", {"employee_id": 1, field: value}),
                (
                    "POST",
                    f"/api/service-accounts/{self.sa.id}/members/enroll",
                    {"name": "Z", "email": "z@example.com", "role_code": "agent", field: value},
                ),
            ):
                with self.subTest(field=field, endpoint=f"{method} {path}"):
                    error = self.assertError(self.api(method, path, body, person=self.alice, sa=self.sa), 422)
                    self.assertEqual(error["details"]["unknown_fields"], [field])
        self.assertEqual(self.snapshot(), before)
        self.jeans_customer.invalidate_recordset()
        self.assertEqual(self.jeans_customer.city, False)
