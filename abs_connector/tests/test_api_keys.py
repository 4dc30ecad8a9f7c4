import argparse
import contextlib
import io
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged

from ..cli.abs_api_key import AbsApiKey, _positive_days, _split
from ..governance.errors import Unauthorized
from ..governance.tokens import hash_opaque


@tagged("post_install", "-at_install", "abs_api")
class TestApiKeys(TransactionCase):
    """abs.api_key: stored hashed, shown once, expiring, revocable; back office and CLI."""

    def setUp(self):
        super().setUp()
        self.Key = self.env["abs.api_key"]

    def test_generated_key_is_stored_only_as_a_digest(self):
        key, clear = self.Key._generate("erp-sync")
        self.env.cr.execute("SELECT key_digest, key_hint FROM abs_api_key WHERE id = %s", [key.id])
        digest, hint = self.env.cr.fetchone()
        self.assertEqual(digest, hash_opaque(clear))
        self.assertNotIn(clear, (digest, hint))
        self.assertTrue(clear.startswith(hint))
        self.assertEqual(self.Key._abs_authenticate(clear), key)

    def test_unknown_revoked_and_expired_keys_are_refused(self):
        key, clear = self.Key._generate("temporary")
        with self.assertRaises(Unauthorized):
            self.Key._abs_authenticate(clear + "x")
        with self.assertRaises(Unauthorized):
            self.Key._abs_authenticate(None)
        key.expires_at = fields.Datetime.now() - timedelta(seconds=1)
        self.assertEqual(key.state, "expired")
        with self.assertRaises(Unauthorized):
            self.Key._abs_authenticate(clear)
        key.expires_at = fields.Datetime.now() + timedelta(days=1)
        self.assertEqual(self.Key._abs_authenticate(clear), key)
        key.action_revoke()
        self.assertEqual((key.state, key.revoked_by_id), ("revoked", self.env.user))
        with self.assertRaises(Unauthorized):
            self.Key._abs_authenticate(clear)

    def test_state_is_searchable(self):
        live, _clear = self.Key._generate("live")
        gone, _clear = self.Key._generate("gone")
        gone.action_revoke()
        self.assertIn(live, self.Key.search([("state", "=", "active")]))
        self.assertNotIn(gone, self.Key.search([("state", "=", "active")]))
        self.assertIn(gone, self.Key.search([("state", "!=", "active")]))

    def test_a_name_designates_one_live_key(self):
        self.Key._generate("unique-name")
        with self.assertRaises(ValidationError):
            self.Key._generate("unique-name")
        with self.assertRaises(ValidationError):
            self.Key._generate("  ")
        with self.assertRaises(ValidationError):
            self.Key._generate("past", fields.Datetime.now() - timedelta(days=1))

    def test_keys_cannot_be_created_or_rewritten_by_hand(self):
        with self.assertRaises(UserError):
            self.Key.create({"name": "by hand"})
        key, _clear = self.Key._generate("fixed")
        with self.assertRaises(UserError):
            key.sudo().write({"key_digest": "0" * 64})

    def test_back_office_generation_shows_the_key_once(self):
        manager = new_test_user(
            self.env, "abs_key_manager", groups="abs_connector.group_abs_governance_manager"
        )
        wizard = self.env["abs.api_key.generate"].with_user(manager).create({"name": "from the back office"})
        action = wizard.action_generate()
        clear = action["context"]["default_key"]
        self.assertEqual(action["res_model"], "abs.api_key.show")
        key = self.Key._abs_authenticate(clear)
        self.assertEqual(key.name, "from the back office")
        self.assertTrue(self.env["abs.api_key.show"]._abstract, "the shown key must never be stored")

    def test_plain_internal_user_cannot_generate_keys(self):
        user = new_test_user(self.env, "abs_key_user", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.env["abs.api_key.generate"].with_user(user).create({"name": "nope"}).action_generate()

    # ---- CLI (odoo-bin abs_api_key ...) ----

    def run_cli(self, action, **options):
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            getattr(AbsApiKey(), f"_{action}")(self.env, argparse.Namespace(**options))
        return output.getvalue()

    def test_cli_create_prints_only_the_key_and_revoke_disables_it(self):
        printed = self.run_cli("create", name="cli-key", expires_in_days=30).strip()
        key = self.Key._abs_authenticate(printed)
        self.assertEqual(key.name, "cli-key")
        self.assertTrue(key.expires_at)
        listing = self.run_cli("list")
        self.assertIn("cli-key", listing)
        self.assertNotIn(printed, listing)
        with contextlib.redirect_stderr(io.StringIO()):
            self.run_cli("revoke", name="cli-key")
        with self.assertRaises(Unauthorized):
            self.Key._abs_authenticate(printed)
        with self.assertRaises(UserError):
            self.run_cli("revoke", name="cli-key")
        for bad in ("0", "-3", "soon"):
            with self.assertRaises(argparse.ArgumentTypeError):
                _positive_days(bad)
        self.assertEqual(_positive_days("7"), 7)

    def test_cli_separates_odoo_options_from_its_own(self):
        self.assertEqual(
            _split(["-c", "odoo.conf", "-d", "db", "create", "--name", "n"]),
            (["-c", "odoo.conf", "-d", "db"], ["create", "--name", "n"]),
        )
