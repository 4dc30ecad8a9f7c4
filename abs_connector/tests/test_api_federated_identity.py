import json
import os
import tempfile
import time
import uuid
from unittest.mock import patch

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from odoo.tests import tagged
from odoo.tools import config

from .api_common import AbsApiCase

STABLE_ONLY = "https://login.example.com/stable-only"
VERIFIED_EMAIL = "https://login.example.com/verified-email"
AUDIENCE = "api://abs-federated"


@tagged("post_install", "-at_install", "abs_api")
class TestApiFederatedIdentity(AbsApiCase):
    """External issuers: the configured stable claim designates the person; an e-mail maps a
    person only where the issuer entry requires ``email_verified``."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cls.private_pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        tmpdir = tempfile.TemporaryDirectory()
        cls.addClassCleanup(tmpdir.cleanup)
        with open(os.path.join(tmpdir.name, "idp.pem"), "w", encoding="utf-8") as handle:
            handle.write(
                private.public_key()
                .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
                .decode()
            )
        common = {"audience": AUDIENCE, "algorithms": ["RS256"], "public_key_file": "idp.pem"}
        issuers = [
            {**common, "issuer": STABLE_ONLY, "identity_claim": "oid"},
            {
                **common,
                "issuer": VERIFIED_EMAIL,
                "identity_claim": "sub",
                "email_claim": "email",
                "require_email_verified": True,
            },
        ]
        path = os.path.join(tmpdir.name, "issuers.json")
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(issuers, handle)
        cls.startClassPatcher(patch.dict(config.options, {"abs_jwt_issuers_file": path}))
        cls.Identity = cls.env["abs.federated_identity"].sudo()

    def token(self, issuer, **claims):
        now = int(time.time())
        body = {"iss": issuer, "aud": AUDIENCE, "iat": now, "exp": now + 300, "jti": uuid.uuid4().hex}
        body.update(claims)
        return jwt.encode(body, self.private_pem, algorithm="RS256")

    def me(self, token):
        return self.api("GET", "/api/me/service-accounts", token=token)

    def links(self, issuer):
        return self.Identity.search([("issuer", "=", issuer)])

    def test_the_linked_stable_claim_designates_the_person_whatever_email_the_token_carries(self):
        self.Identity.create(
            {"issuer": STABLE_ONLY, "subject": "oid-jean", "employee_id": self.employee_of(self.jean).id}
        )
        status, body = self.me(
            self.token(STABLE_ONLY, oid="oid-jean", email=self.kwame.email, email_verified=True)
        )
        self.assertEqual(status, 200, body)
        self.assertEqual([item["id"] for item in body["items"]], [self.sa.id])

    def test_an_issuer_without_email_mapping_never_maps_a_person_by_email(self):
        before = self.snapshot()
        token = self.token(STABLE_ONLY, oid="oid-unknown", email=self.jean.email, email_verified=True)
        self.assertError(self.me(token), 401, "unauthorized")
        self.assertFalse(self.links(STABLE_ONLY))
        self.assertEqual(self.snapshot(), before)

    def test_an_unverified_email_maps_nobody(self):
        for verified in (False, "true", None):
            claims = {"sub": "idp-sub-jean", "email": self.jean.email}
            if verified is not None:
                claims["email_verified"] = verified
            with self.subTest(email_verified=verified):
                self.assertError(self.me(self.token(VERIFIED_EMAIL, **claims)), 401, "unauthorized")
        self.assertFalse(self.links(VERIFIED_EMAIL))

    def test_a_verified_email_links_the_subject_on_first_sign_in(self):
        token = self.token(
            VERIFIED_EMAIL, sub="idp-sub-jean", email=self.jean.email.upper(), email_verified=True
        )
        status, body = self.me(token)
        self.assertEqual(status, 200, body)
        link = self.links(VERIFIED_EMAIL)
        self.assertEqual((link.subject, link.employee_id), ("idp-sub-jean", self.employee_of(self.jean)))
        # from now on the subject alone designates Jean, even once the address changed there
        later = self.token(
            VERIFIED_EMAIL, sub="idp-sub-jean", email="jean.new@example.org", email_verified=True
        )
        self.assertEqual(self.me(later)[0], 200)

    def test_another_account_with_the_persons_verified_email_does_not_take_them_over(self):
        self.Identity.create(
            {
                "issuer": VERIFIED_EMAIL,
                "subject": "idp-sub-jean",
                "employee_id": self.employee_of(self.jean).id,
            }
        )
        intruder = self.token(
            VERIFIED_EMAIL, sub="idp-sub-intruder", email=self.jean.email, email_verified=True
        )
        self.assertError(self.me(intruder), 401, "unauthorized")
        self.assertEqual(self.links(VERIFIED_EMAIL).mapped("subject"), ["idp-sub-jean"])
