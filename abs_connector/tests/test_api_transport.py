from odoo.tests import tagged

from ..governance import api_schemas, openapi
from .api_common import AbsApiCase


@tagged("post_install", "-at_install", "abs_api")
class TestApiTransport(AbsApiCase):
    """One JSON error shape for every refusal, including Odoo's own 404 / 405 on /api/ paths."""

    def test_unknown_api_path_is_a_json_404(self):
        self.assertError(self.api("GET", "/api/no-such-thing"), 404, "not_found")
        self.assertError(self.api("GET", "/api/contacts/not-a-number", person=self.jean, sa=self.sa), 404)

    def test_wrong_method_is_a_json_405_with_allow(self):
        response = self.opener.request("PATCH", self.base_url() + "/api/openapi.json", timeout=30)
        self.assertEqual(response.status_code, 405)
        self.assertEqual(response.json()["error"]["code"], "method_not_allowed")
        self.assertEqual(response.headers["Allow"], "GET")
        self.assertError(self.api("DELETE", "/api/contacts", person=self.jean, sa=self.sa), 405)

    def test_malformed_json_is_400_and_changes_nothing(self):
        before = self.snapshot()
        for raw in ("{", '{"name": "x",}', "NaN", '{"name": NaN}', b"\xff\xfe", "[" * 5000 + "]" * 5000):
            self.assertError(
                self.api("POST", "/api/contacts", raw=raw, person=self.jean, sa=self.sa), 400, "bad_request"
            )
        self.assertEqual(self.snapshot(), before)

    def test_json_that_is_not_an_object_is_422(self):
        for raw in ("[]", '"Marie"', "42", "null"):
            self.assertError(self.api("POST", "/api/contacts", raw=raw, person=self.jean, sa=self.sa), 422)

    def test_body_must_be_sent_as_json(self):
        self.assertError(
            self.api(
                "POST",
                "/api/contacts",
                raw='{"name": "M"}',
                person=self.jean,
                sa=self.sa,
                headers={"Content-Type": "text/plain"},
            ),
            400,
        )

    def test_oversized_body_is_413_and_changes_nothing(self):
        before = self.snapshot()
        raw = '{"name": "M", "comment": "' + "x" * (api_schemas.MAX_BODY_BYTES + 10) + '"}'
        self.assertError(
            self.api("POST", "/api/contacts", raw=raw, person=self.jean, sa=self.sa), 413, "payload_too_large"
        )
        self.assertEqual(self.snapshot(), before)

    def test_x_sa_id_must_be_a_positive_integer(self):
        for value in ("", "abc", "0", "-1", "1.5", "99999999999"):
            self.assertError(
                self.api("GET", "/api/contacts", person=self.jean, headers={"X-SA-ID": value}), 400
            )
        self.assertError(self.api("GET", "/api/contacts", person=self.jean), 400)

    def test_openapi_document_is_served_and_is_the_validation_source(self):
        status, body = self.api("GET", "/api/openapi.json")
        self.assertEqual(status, 200)
        expected = openapi.build_openapi(server_url=self.base_url())
        self.assertEqual(body, expected)

    def test_errors_never_leak_a_traceback(self):
        _status, body = self.api("POST", "/api/contacts", raw="{", person=self.jean, sa=self.sa)
        self.assertNotIn("Traceback", str(body))
        self.assertNotIn('File "', str(body))

    def test_non_api_paths_keep_odoos_own_errors(self):
        response = self.url_open("/definitely-not-a-page")
        self.assertEqual(response.status_code, 404)
        self.assertNotEqual(response.headers.get("Content-Type", "").split(";")[0], "application/json")

    def test_requests_run_as_the_proxy_user_and_record_the_real_actor(self):
        proxy = self.env.ref("abs_connector.abs_api_proxy_user")
        self.assertFalse(proxy.active, "the proxy user cannot sign in")
        self.assertFalse(proxy.has_group("base.group_system") or proxy.has_group("base.group_erp_manager"))
        self.assertTrue(proxy.has_group("abs_connector.group_abs_api_proxy"))

        status, body = self.api(
            "POST", "/api/contacts", {"name": "Proxy Check"}, person=self.jean, sa=self.sa
        )

        self.assertEqual(status, 201, body)
        customer = self.env["res.partner"].browse(body["id"])
        self.assertEqual(customer.create_uid, proxy)
        self.assertNotEqual(customer.create_uid.id, 1)
        self.assertEqual(
            (customer.x_actor_id, self.active_assignment(customer, self.sa).assigned_by_id),
            (self.jean, self.jean),
        )

    def test_governance_refusals_keep_their_meaning(self):
        finance = self.make_member(self.sa, "finance")
        customer = self.customer(actor=self.jean)
        finance_employee = self.employee_of(finance.person_partner_id)
        # a finance member cannot hold customers: the governance ValidationError becomes a 422
        self.assertError(
            self.api(
                "POST",
                f"/api/contacts/{customer.id}/assign",
                {"employee_id": finance_employee.id},
                person=self.alice,
                sa=self.sa,
            ),
            422,
            "validation_error",
        )
        self.assertEqual(self.active_assignment(customer, self.sa).actor_id, self.jean)

    def test_text_the_database_cannot_store_is_refused_not_crashed(self):
        before = self.snapshot()
        for raw in ('{"name": "Ma\\u0000rie"}', '{"name": "\\ud800"}', '{"name": "M", "\\u0000": 1}'):
            self.assertError(self.api("POST", "/api/contacts", raw=raw, person=self.jean, sa=self.sa), 422)
        self.assertError(
            self.api("GET", "/api/contacts", person=self.jean, sa=self.sa, params={"search": "a\x00b"}), 422
        )
        self.assertEqual(self.snapshot(), before)

    def test_a_query_parameter_named_self_is_ignored_not_a_500(self):
        status, body = self.api("GET", "/api/openapi.json", params={"self": "1"})
        self.assertEqual(status, 200, body)
        self.assertError(
            self.api(
                "POST", "/api/auth/token", {"login": "x@example.com", "password": "x"}, params={"self": "1"}
            ),
            401,
        )
        status, body = self.api("GET", "/api/contacts", person=self.jean, sa=self.sa, params={"self": "x"})
        self.assertEqual(status, 200, body)

    def test_ids_written_as_decimals_are_refused_and_change_nothing(self):
        customer = self.customer(actor=self.jean)
        kwame = self.employee_of(self.kwame)
        before = self.snapshot()
        for path, body in (
            (f"/api/contacts/{customer.id}/assign", {"employee_id": float(kwame.id)}),
            ("/api/orders", {"contact_id": float(customer.id), "lines": [{"product_id": 1, "quantity": 1}]}),
            ("/api/orders", {"contact_id": customer.id, "lines": [{"product_id": 1.0, "quantity": 1}]}),
        ):
            with self.subTest(path=path, body=body):
                self.assertError(self.api("POST", path, body, person=self.alice, sa=self.sa), 422)
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(self.active_assignment(customer, self.sa).actor_id, self.jean)

    def test_ids_beyond_the_database_range_are_404(self):
        for path in ("/api/contacts/99999999999999999999", "/api/contacts/-5", "/api/orders/2147483648"):
            self.assertError(self.api("GET", path, person=self.jean, sa=self.sa), 404)

    def test_requests_act_in_a_company_created_after_installation(self):
        company = self.env["res.company"].create({"name": "Late Company"})
        seed = self.env["ov.serviced_account"]._get_company_seed(company)
        manager = self.make_person("Late Manager")
        branch = self.make_branch("Late Branch", parent=seed, manager=manager)
        customer = self.make_customer(branch, name="Late Customer")
        proxy = self.env.ref("abs_connector.abs_api_proxy_user")
        self.assertIn(company, proxy.company_ids, "res.company.create gives the proxy the new company")
        # A company the proxy lost (or one created before this version) is repaired on the next call.
        proxy.sudo().write({"company_ids": [(3, company.id)]})

        status, body = self.api("GET", "/api/contacts", person=manager, sa=branch)

        self.assertEqual(status, 200, body)
        self.assertEqual([item["id"] for item in body["items"]], [customer.id])
        proxy.invalidate_recordset(["company_ids"])
        self.assertIn(company, proxy.company_ids)
