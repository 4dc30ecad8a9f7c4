"""Idempotency-Key on the create endpoints, over real HTTP (one request after another).

Simultaneous requests need two real transactions: they are in tests/e2e/test_concurrency.py.
"""

from odoo.tests import tagged

from .api_common import AbsApiCase


@tagged("post_install", "-at_install")
class TestApiIdempotency(AbsApiCase):
    def create_contact(self, body, key, person=None, sa=None):
        return self.api(
            "POST",
            "/api/contacts",
            body,
            person=person or self.jean,
            sa=sa or self.sa,
            headers={"Idempotency-Key": key} if key is not None else None,
        )

    def customers_named(self, name):
        return self.env["res.partner"].with_context(active_test=False).search([("name", "=", name)])

    def test_retry_with_same_key_and_body_returns_first_answer_without_second_customer(self):
        body = {"name": "Retry Customer", "email": "retry@example.com"}
        first = self.create_contact(body, "key-retry-1")
        events_before = self.snapshot()["events"]

        second = self.create_contact(body, "key-retry-1")

        self.assertEqual(first[0], 201, first)
        self.assertEqual(second, first)
        self.assertEqual(len(self.customers_named("Retry Customer")), 1)
        self.assertEqual(self.snapshot()["events"], events_before, "a replay publishes nothing")

    def test_a_member_revoked_since_gets_the_refusal_not_the_stored_answer(self):
        body = {"name": "Before Revocation", "email": "before.revocation@example.com"}
        member = self.make_member(self.sa, "agent")
        self.assertEqual(self.create_contact(body, "key-revoked", person=member.person_partner_id)[0], 201)
        member._abs_revoke()

        replay = self.create_contact(body, "key-revoked", person=member.person_partner_id)

        self.assertError(replay, 403, "forbidden")
        self.assertNotIn("before.revocation@example.com", str(replay))

    def test_a_member_whose_role_no_longer_creates_customers_gets_the_refusal_not_the_stored_answer(self):
        body = {"name": "Before Downgrade", "email": "before.downgrade@example.com"}
        member = self.make_member(self.sa, "agent")
        self.assertEqual(self.create_contact(body, "key-downgraded", person=member.person_partner_id)[0], 201)
        member.write({"role_code": "viewer"})

        replay = self.create_contact(body, "key-downgraded", person=member.person_partner_id)

        self.assertError(replay, 403, "forbidden")
        self.assertNotIn("before.downgrade@example.com", str(replay))

    def test_replay_is_flagged_in_a_header(self):
        body = {"name": "Header Customer"}
        self.create_contact(body, "key-header")
        response = self.opener.post(
            self.base_url() + "/api/contacts",
            json=body,
            headers={
                "Authorization": f"Bearer {self.token_for(self.jean)}",
                "X-SA-ID": str(self.sa.id),
                "Idempotency-Key": "key-header",
            },
            timeout=30,
        )
        self.assertEqual(response.status_code, 201)
        self.assertEqual(response.headers.get("Idempotent-Replayed"), "true")

    def test_json_bodies_compare_by_value_not_by_key_order(self):
        first = self.api(
            "POST",
            "/api/contacts",
            raw='{"name": "Order Customer", "phone": "+228 1"}',
            person=self.jean,
            sa=self.sa,
            headers={"Idempotency-Key": "key-order"},
        )
        second = self.api(
            "POST",
            "/api/contacts",
            raw='{"phone":"+228 1","name":"Order Customer"}',
            person=self.jean,
            sa=self.sa,
            headers={"Idempotency-Key": "key-order"},
        )
        self.assertEqual(second, first)
        self.assertEqual(len(self.customers_named("Order Customer")), 1)

    def test_same_key_with_another_body_is_refused_with_422_and_creates_nothing(self):
        self.create_contact({"name": "Body One"}, "key-reused")
        before = self.snapshot()

        error = self.assertError(self.create_contact({"name": "Body Two"}, "key-reused"), 422)

        self.assertEqual(error["code"], "idempotency_key_reused")
        self.assertEqual(self.snapshot(), before)
        self.assertFalse(self.customers_named("Body Two"))

    def test_keys_belong_to_their_caller(self):
        jean_answer = self.create_contact({"name": "Shared Key"}, "key-shared")
        kwame_answer = self.create_contact({"name": "Shared Key"}, "key-shared", person=self.kwame)
        self.assertEqual((jean_answer[0], kwame_answer[0]), (201, 201))
        self.assertNotEqual(jean_answer[1]["id"], kwame_answer[1]["id"])

    def test_refused_request_is_not_remembered_so_a_corrected_retry_works(self):
        self.assertError(self.create_contact({"name": "Fixed Later", "country_code": "QQ"}, "key-fixed"), 422)
        status, body = self.create_contact({"name": "Fixed Later", "country_code": "QQ"}, "key-fixed")
        self.assertEqual(status, 422, "the refusal ran again rather than being replayed")
        status, body = self.create_contact({"name": "Fixed Later", "country_code": "TG"}, "key-fixed")
        self.assertEqual(status, 201, body)

    def test_key_older_than_24_hours_is_forgotten(self):
        body = {"name": "Day Old"}
        self.create_contact(body, "key-old")
        self.env.cr.execute(
            "UPDATE abs_idempotency_key SET created_at = created_at - interval '25 hours' "
            "WHERE key = 'key-old'"
        )
        status, _body = self.create_contact(body, "key-old")
        self.assertEqual(status, 201)
        self.assertEqual(len(self.customers_named("Day Old")), 2)

    def test_malformed_key_is_a_400(self):
        for key in ("", "with space", "é", "x" * 256):
            with self.subTest(key=key):
                self.assertError(self.create_contact({"name": "Bad Key"}, key), 400)
        self.assertFalse(self.customers_named("Bad Key"))

    def test_enroll_retry_returns_the_first_membership(self):
        body = {"name": "Idem Agent", "email": "idem.agent@example.com", "role_code": "agent"}
        url = f"/api/service-accounts/{self.sa.id}/members/enroll"
        headers = {"Idempotency-Key": "enroll-1"}
        first = self.api("POST", url, body, person=self.alice, sa=self.sa, headers=headers)
        second = self.api("POST", url, body, person=self.alice, sa=self.sa, headers=headers)
        self.assertEqual(first[0], 201, first)
        self.assertEqual(second, first)
        without_key = self.api("POST", url, body, person=self.alice, sa=self.sa)
        self.assertError(without_key, 409)

    def test_service_account_create_retry_returns_the_first_branch(self):
        manager = self.make_person("Idem Manager")
        body = {"name": "Idem Branch", "parent_id": self.seed.id, "initial_admin_partner_id": manager.id}
        headers = {"Idempotency-Key": "branch-1"}
        first = self.api("POST", "/api/service-accounts", body, api_key=self.api_key, headers=headers)
        second = self.api("POST", "/api/service-accounts", body, api_key=self.api_key, headers=headers)
        self.assertEqual(first[0], 201, first)
        self.assertEqual(second, first)
        self.assertEqual(self.env["ov.serviced_account"].search_count([("name", "=", "Idem Branch")]), 1)
