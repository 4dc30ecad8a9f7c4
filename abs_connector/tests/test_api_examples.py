"""The examples of the OpenAPI document are bodies these tests really send and receive.

Each request example is sent as it stands to the real server; only what a
document cannot know in advance is replaced: the ids of this database's records
and the one-time secrets (refresh and activation tokens). Each answer must carry
every field its response example shows (and the same fields in list items).
"""

from odoo.tests import tagged

from ..governance import openapi
from .api_common import AbsApiCase

# What a request example may not know in advance: ids and one-time secrets.
_REPLACEABLE = {"refresh_token", "token"}


@tagged("post_install", "-at_install", "abs_api")
class TestApiExamples(AbsApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.examples = openapi.examples()
        sign_in = cls.examples["issueToken"]["request"]
        person = cls.make_person("Jean Kofi Example", email=sign_in["login"])
        cls.example_agent = cls.make_member(cls.sa, "agent", person).person_partner_id
        cls.employee_of(cls.example_agent)._abs_set_password(sign_in["password"])

    def send(self, operation_id, method, path, replace=None, **kwargs):
        """Send the operation's request example (ids and secrets replaced); check the answer's shape."""
        example = self.examples[operation_id]
        body = None
        if "request" in example:
            replace = replace or {}
            replaceable = {key for key in example["request"] if key.endswith("_id")} | _REPLACEABLE
            self.assertLessEqual(set(replace), replaceable, "only ids and one-time secrets may differ")
            body = {**example["request"], **replace}
        status, answer = self.api(method, path, body, **kwargs)
        self.assertLess(status, 300, f"{operation_id}: {answer}")
        self.assertShapeOf(example["response"], answer, operation_id)
        return answer

    def assertShapeOf(self, example, answer, operation_id):
        self.assertLessEqual(
            set(example), set(answer), f"{operation_id}: the example shows fields not answered"
        )
        if example.get("items") and answer.get("items"):
            self.assertEqual(set(example["items"][0]), set(answer["items"][0]), f"{operation_id}: list items")

    # ---- auth ----

    def test_sign_in_and_refresh_examples_are_real_requests(self):
        tokens = self.send("issueToken", "POST", "/api/auth/token")
        self.send(
            "refreshToken", "POST", "/api/auth/refresh", replace={"refresh_token": tokens["refresh_token"]}
        )

    def test_activation_example_is_a_real_request(self):
        status, enrolled = self.api(
            "POST",
            f"/api/service-accounts/{self.sa.id}/members/enroll",
            {"name": "Efua Example", "email": "efua.example@example.com", "role_code": "agent"},
            person=self.alice,
            sa=self.sa,
        )
        self.assertEqual(status, 201, enrolled)
        code = self.activation_token_from_mail(enrolled["employee_id"])
        self.send("activateAccount", "POST", "/api/auth/activate", replace={"token": code})

    # ---- service accounts and members ----

    def test_service_account_and_membership_examples_are_real_requests(self):
        manager = self.make_person("Kara Example Manager")
        self.send(
            "createServiceAccount",
            "POST",
            "/api/service-accounts",
            replace={"parent_id": self.seed.id, "initial_admin_partner_id": manager.id},
            api_key=self.api_key,
        )
        self.send("myServiceAccounts", "GET", "/api/me/service-accounts", person=self.example_agent)
        enrolled = self.send(
            "enrollMember",
            "POST",
            f"/api/service-accounts/{self.sa.id}/members/enroll",
            person=self.alice,
            sa=self.sa,
        )
        self.send(
            "revokeMember",
            "DELETE",
            f"/api/service-accounts/{self.sa.id}/members/{enrolled['membership_id']}",
            person=self.alice,
            sa=self.sa,
        )

    # ---- contacts ----

    def test_contact_examples_are_real_requests(self):
        agent = {"person": self.example_agent, "sa": self.sa}
        staff = {"person": self.alice, "sa": self.sa}
        contact = self.send("createContact", "POST", "/api/contacts", **agent)
        path = f"/api/contacts/{contact['id']}"
        self.send("listContacts", "GET", "/api/contacts", **agent)
        self.send("syncContacts", "GET", "/api/contacts/changes", **agent)
        self.send("getContact", "GET", path, **agent)
        self.send("updateContact", "PUT", path, **agent)
        status, answer = self.api(
            "GET", f"{path}/access", params={"person_id": self.example_agent.id}, **staff
        )
        self.assertEqual(status, 200, answer)
        self.assertShapeOf(self.examples["explainAccess"]["response"], answer, "explainAccess")
        self.send(
            "assignContact",
            "POST",
            f"{path}/assign",
            replace={"employee_id": self.employee_of(self.kwame).id},
            **staff,
        )
        self.send("archiveContact", "DELETE", path, **staff)
        self.send("unarchiveContact", "POST", f"{path}/unarchive", **staff)
        self.send("eraseContact", "POST", f"{path}/erase", **staff)

    # ---- orders, migration, the document ----

    def test_order_examples_are_real_answers(self):
        customer = self.customer(actor=self.example_agent, name="Boutique Afi Example")
        order = self.env["sale.order"].create({"partner_id": customer.id})
        self.send("listOrders", "GET", "/api/orders", person=self.example_agent, sa=self.sa)
        self.send("getOrder", "GET", f"/api/orders/{order.id}", person=self.example_agent, sa=self.sa)

    def send_lines(self, operation_id, method, path, product, contact_id=None, **kwargs):
        """Send an order example whose lines name ``product`` instead of the example's id
        (quantities as the example has them)."""
        request = self.examples[operation_id]["request"]
        body = {**request, "lines": [{**line, "product_id": product.id} for line in request["lines"]]}
        if contact_id:
            body["contact_id"] = contact_id
        status, answer = self.api(method, path, body, **kwargs)
        self.assertLess(status, 300, f"{operation_id}: {answer}")
        self.assertShapeOf(self.examples[operation_id]["response"], answer, operation_id)
        return answer

    def test_field_sales_examples_are_real_requests_and_answers(self):
        agent = {"person": self.example_agent, "sa": self.sa}
        staff = {"person": self.alice, "sa": self.sa}
        product = self.env["product.product"].create({"name": "Solar Lamp Example", "list_price": 45.0})
        customer = self.customer(actor=self.example_agent, name="Boutique Afi Field")
        self.send("listProducts", "GET", "/api/products", **agent)
        self.send("getProduct", "GET", f"/api/products/{product.id}", **agent)
        order = self.send_lines("createOrder", "POST", "/api/orders", product, customer.id, **agent)
        path = f"/api/orders/{order['id']}"
        self.send_lines("updateOrder", "PUT", path, product, **agent)
        self.send("sendOrder", "POST", f"{path}/send", **agent)
        self.send("confirmOrder", "POST", f"{path}/confirm", **staff)
        invoice = self.send("invoiceOrder", "POST", f"{path}/invoice", **staff)
        self.send("listInvoices", "GET", "/api/invoices", **staff)
        self.send("getInvoice", "GET", f"/api/invoices/{invoice['id']}", **staff)
        response = self.url_open(
            f"/api/invoices/{invoice['id']}/pdf",
            headers={"Authorization": f"Bearer {self.token_for(self.alice)}", "X-SA-ID": str(self.sa.id)},
        )
        self.assertEqual(response.status_code, 200, "getInvoicePdf")
        second = self.send_lines("createOrder", "POST", "/api/orders", product, customer.id, **agent)
        self.send("cancelOrder", "POST", f"/api/orders/{second['id']}/cancel", **agent)

    def test_backfill_example_is_a_real_request(self):
        self.send(
            "backfillAssignments",
            "POST",
            "/api/migration/backfill-customer-assignments",
            replace={"company_id": self.company.id},
            api_key=self.api_key,
        )

    def test_openapi_example_is_a_real_answer(self):
        self.send("getOpenApi", "GET", "/api/openapi.json")

    def test_every_operation_with_an_example_is_replayed_here(self):
        replayed = {
            "issueToken", "refreshToken", "activateAccount", "createServiceAccount", "myServiceAccounts",
            "enrollMember", "revokeMember", "createContact", "listContacts", "syncContacts", "getContact",
            "updateContact", "explainAccess", "assignContact", "archiveContact", "unarchiveContact",
            "eraseContact", "listOrders", "getOrder",
            "backfillAssignments", "getOpenApi",
            # field sales
            "listProducts", "getProduct", "createOrder", "updateOrder", "sendOrder", "confirmOrder",
            "cancelOrder", "invoiceOrder", "listInvoices", "getInvoice", "getInvoicePdf",
        }  # fmt: skip
        self.assertEqual(set(self.examples), replayed)
        self.assertEqual({op["operation_id"] for op in openapi.operations()}, replayed)
