import json

from odoo.tests import HttpCase, tagged

from .common import AbsGovernanceCase

URL = "/api/migration/backfill-customer-assignments"


@tagged("post_install", "-at_install")
class TestBackfillApi(HttpCase, AbsGovernanceCase):
    """POST /api/migration/backfill-customer-assignments (docs/customer-lifecycle.md, "Backfill")."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.branch = cls.make_branch("API Branch")
        cls.agent = cls.make_member(cls.branch, "agent").person_partner_id
        _key, cls.api_key = cls.env["abs.api_key"]._generate("backfill tests")

    def stamped(self, name, sa, actor=None):
        partner = self.env["res.partner"].create({"name": name})
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_partner SET x_sa_id = %s, x_actor_id = %s WHERE id = %s",
            [sa.id, actor.id if actor else None, partner.id],
        )
        partner.invalidate_recordset(["x_sa_id", "x_actor_id"])
        return partner

    def post(self, body, api_key=None, raw=None):
        response = self.url_open(
            URL,
            data=raw if raw is not None else json.dumps(body),
            headers={"Content-Type": "application/json", "X-API-KEY": api_key or self.api_key},
        )
        return response.status_code, response.json()

    def assignment_count(self):
        return self.env["ov.sa_customer_assignment"].search_count([])

    def test_dry_run_answers_counts_and_sample_and_creates_nothing(self):
        customer = self.stamped("Dry Customer", self.branch, self.agent)
        before = self.assignment_count()

        status, body = self.post({"company_id": self.company.id, "dry_run": True})

        self.assertEqual(status, 200, body)
        self.assertEqual((body["dry_run"], body["would_create"], body["created"]), (True, 1, 0))
        self.assertEqual(body["company_id"], self.company.id)
        self.assertEqual(
            body["sample"],
            [
                {
                    "partner_id": customer.id,
                    "partner_name": "Dry Customer",
                    "account_id": self.branch.id,
                    "account_name": "API Branch",
                    "actor_id": self.agent.id,
                }
            ],
        )
        self.assertEqual(self.assignment_count(), before)

    def test_run_creates_the_assignments_and_answers_what_it_did(self):
        customer = self.stamped("Run Customer", self.branch)

        status, body = self.post({"dry_run": False})

        self.assertEqual(status, 200, body)
        self.assertEqual((body["dry_run"], body["created"], body["company_id"]), (False, 1, None))
        assignment = self.env["ov.sa_customer_assignment"].search([("partner_id", "=", customer.id)])
        self.assertRecordValues(
            assignment, [{"account_id": self.branch.id, "actor_id": False, "state": "active"}]
        )
        status, again = self.post({"dry_run": False})
        self.assertEqual((status, again["created"], again["already_present"]), (200, 0, 1))

    def test_without_dry_run_flag_it_only_dry_runs(self):
        self.stamped("Careful", self.branch)
        before = self.assignment_count()
        status, body = self.post({})
        self.assertEqual((status, body["dry_run"], body["would_create"]), (200, True, 1))
        self.assertEqual(self.assignment_count(), before)

    def test_unknown_company_answers_404_and_changes_nothing(self):
        self.stamped("Unchanged", self.branch)
        before = self.assignment_count()
        status, body = self.post({"company_id": 999999, "dry_run": False})
        self.assertEqual(status, 404)
        self.assertEqual(body["error"]["code"], "not_found")
        self.assertEqual(self.assignment_count(), before)

    def test_bad_bodies_answer_4xx_in_the_api_error_shape(self):
        for body, raw, expected in (
            ({"company_id": "1"}, None, 422),
            ({"dry_run": "yes"}, None, 422),
            ({"company_id": 1, "x_sa_id": 3}, None, 422),
            (None, "{not json", 400),
        ):
            with self.subTest(body=body, raw=raw):
                status, answer = self.post(body, raw=raw)
                self.assertEqual(status, expected, answer)
                self.assertEqual(set(answer["error"]), {"code", "message", "details"})

    def test_missing_or_wrong_api_key_answers_401(self):
        self.stamped("Protected", self.branch)
        before = self.assignment_count()
        status, body = self.post({"dry_run": False}, api_key="absk_not-a-real-key")
        self.assertEqual(status, 401, body)
        self.assertEqual(self.assignment_count(), before)
