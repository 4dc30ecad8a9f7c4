from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import JsonRpcException, tagged

from .api_common import AbsApiCase


@tagged("post_install", "-at_install")
class TestCustomerArchivalEveryDoor(AbsApiCase):
    """Archiving and restoring a governed customer from Contacts, RPC or the API goes through
    one lifecycle: authority, portal users first, events."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager_user = cls._user(
            "gov.manager@example.com",
            "abs_connector.group_abs_governance_manager",
            "base.group_partner_manager",
        )
        cls.plain_user = cls._user("plain.user@example.com", "base.group_partner_manager")

    @classmethod
    def _user(cls, login, *group_xmlids):
        groups = cls.env.ref("base.group_user")
        for xmlid in group_xmlids:
            groups |= cls.env.ref(xmlid)
        return (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create({"name": login, "login": login, "groups_id": [Command.set(groups.ids)]})
        )

    def portal_customer(self):
        return self.customer(
            actor=self.jean, portal_access=True, email=f"c{self._person_seq}@client.example.com"
        )

    def test_contacts_archive_of_a_customer_with_a_portal_user_archives_the_user_first(self):
        marie = self.portal_customer()
        users = marie.with_context(active_test=False).user_ids
        self.assertTrue(users.filtered("active"))

        marie.with_user(self.manager_user).action_archive()

        self.assertFalse(marie.active)
        self.assertFalse(any(users.mapped("active")))
        self.assertEqual(len(self.events("customer.archived", marie)), 1)
        self.assertEqual(self.active_assignment(marie, self.sa).state, "active", "history stays")

    def test_contacts_unarchive_restores_the_customer_and_its_portal_users(self):
        marie = self.portal_customer()
        users = marie.with_context(active_test=False).user_ids
        marie.with_user(self.manager_user).action_archive()

        marie.with_user(self.manager_user).action_unarchive()

        self.assertTrue(marie.active)
        self.assertTrue(all(users.mapped("active")))
        updated = self.events("customer.updated", marie)
        self.assertEqual(self.event_data(updated[-1]), {"changed": {"active": True}})

    def test_internal_user_without_membership_cannot_archive_over_rpc_and_nothing_changes(self):
        marie = self.portal_customer()
        events_before = len(self.events("customer.archived"))
        with self.assertRaises(AccessError):
            marie.with_user(self.plain_user).write({"active": False})
        self.assertTrue(marie.active)
        self.assertTrue(marie.with_context(active_test=False).user_ids.filtered("active"))
        self.assertEqual(len(self.events("customer.archived")), events_before)

    def test_json_rpc_archive_by_a_plain_internal_user_is_refused(self):
        marie = self.customer(actor=self.jean)
        self.plain_user.password = "plain-user-password"
        self.authenticate("plain.user@example.com", "plain-user-password")
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request(
                "/web/dataset/call_kw/res.partner/action_archive",
                {"model": "res.partner", "method": "action_archive", "args": [[marie.id]], "kwargs": {}},
            )
        marie.invalidate_recordset()
        self.assertTrue(marie.active)

    def test_staff_unarchives_over_the_api(self):
        marie = self.portal_customer()
        self.assertEqual(
            self.api("DELETE", f"/api/contacts/{marie.id}", person=self.alice, sa=self.sa)[0], 200
        )

        status, body = self.api("POST", f"/api/contacts/{marie.id}/unarchive", person=self.alice, sa=self.sa)

        self.assertEqual(status, 200, body)
        self.assertTrue(body["active"])
        self.assertTrue(marie.active)
        self.assertTrue(marie.with_context(active_test=False).user_ids.filtered("active"))

    def test_agent_cannot_unarchive_over_the_api(self):
        marie = self.customer(actor=self.jean)
        self.api("DELETE", f"/api/contacts/{marie.id}", person=self.alice, sa=self.sa)
        self.assertError(
            self.api("POST", f"/api/contacts/{marie.id}/unarchive", person=self.jean, sa=self.sa), 403
        )
        marie.invalidate_recordset()
        self.assertFalse(marie.active)

    def test_unarchive_of_a_customer_that_is_not_archived_is_refused(self):
        marie = self.customer(actor=self.jean)
        self.assertError(
            self.api("POST", f"/api/contacts/{marie.id}/unarchive", person=self.alice, sa=self.sa), 422
        )

    def test_unarchive_of_another_accounts_customer_answers_like_a_missing_one(self):
        other_sa = self.make_branch("Elsewhere")
        stranger = self.make_customer(other_sa)
        stranger.with_user(self.manager_user).action_archive()
        hidden = self.api("POST", f"/api/contacts/{stranger.id}/unarchive", person=self.alice, sa=self.sa)
        missing = self.api("POST", "/api/contacts/999999999/unarchive", person=self.alice, sa=self.sa)
        self.assertError(hidden, 404)
        self.assertEqual(hidden, missing)
        self.assertFalse(stranger.active)
