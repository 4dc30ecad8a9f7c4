from odoo.tests import tagged

from .sales_common import AbsSalesCase


@tagged("post_install", "-at_install", "abs_api")
class TestApiCatalogue(AbsSalesCase):
    """GET /api/products[/<id>]: the SA company's sellable products, priced for a customer."""

    def products(self, person=None, **params):
        status, body = self.api("GET", "/api/products", person=person or self.jean, sa=self.sa, params=params)
        self.assertEqual(status, 200, body)
        return body

    def test_member_lists_sellable_products_of_the_sa_company_only(self):
        ids = {item["id"] for item in self.products(limit=200)["items"]}
        self.assertTrue({self.chair.id, self.lamp.id} <= ids)
        self.assertNotIn(self.not_for_sale.id, ids)
        self.assertNotIn(self.foreign.id, ids)

    def test_every_role_reads_the_catalogue_but_a_non_member_does_not(self):
        for role in ("viewer", "finance"):
            member = self.make_member(self.sa, role).person_partner_id
            self.employee_of(member)._abs_set_password("correct horse battery")
            self.assertIn(self.chair.id, [i["id"] for i in self.products(member, search="FC-01")["items"]])
        stranger = self.make_member(self.tree.sub_branch, "agent").person_partner_id
        self.assertError(self.api("GET", "/api/products", person=stranger, sa=self.sa), 403)

    def test_catalogue_search_matches_name_code_and_barcode(self):
        for term in ("field chair", "FC-01", "4006381333931"):
            self.assertEqual([i["id"] for i in self.products(search=term)["items"]], [self.chair.id], term)

    def test_prices_follow_the_customers_pricelist(self):
        item = self.products(search="FC-01", contact_id=self.jeans_customer.id)["items"][0]
        self.assertEqual(
            (item["list_price"], item["price"], item["pricelist_id"]), (100.0, 80.0, self.pricelist.id)
        )
        self.assertEqual(item["currency"], self.company.currency_id.name)
        status, single = self.api(
            "GET",
            f"/api/products/{self.chair.id}",
            person=self.jean,
            sa=self.sa,
            params={"contact_id": self.jeans_customer.id},
        )
        self.assertEqual((status, single["price"]), (200, 80.0))
        self.assertEqual(self.products(search="FC-01")["items"][0]["price"], 100.0)

    def test_agent_cannot_price_for_a_customer_of_another_agent(self):
        hidden = self.api(
            "GET",
            "/api/products",
            person=self.jean,
            sa=self.sa,
            params={"contact_id": self.kwames_customer.id},
        )
        missing = self.api(
            "GET", "/api/products", person=self.jean, sa=self.sa, params={"contact_id": 2147483600}
        )
        self.assertError(hidden, 404)
        self.assertEqual(hidden, missing)

    def test_keyset_pages_cover_every_product_exactly_once(self):
        everything = [i["id"] for i in self.products(limit=200)["items"]]
        seen, cursor = [], None
        while True:
            body = self.products(limit=1, **({"cursor": cursor} if cursor else {}))
            seen += [i["id"] for i in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        self.assertEqual(seen, everything)
        self.assertEqual(seen, sorted(seen))

    def test_a_cursor_sent_as_an_uploaded_file_is_refused_not_a_500(self):
        response = self.opener.request(
            "GET",
            self.base_url() + "/api/products",
            headers={"Authorization": f"Bearer {self.token_for(self.jean)}", "X-SA-ID": str(self.sa.id)},
            files={"cursor": ("cursor.txt", b"aWQ6MQ")},
            timeout=30,
        )
        self.assertEqual(response.status_code, 422, response.text[:300])
        self.assertEqual(response.json()["error"]["details"], {"field": "cursor"})

    def test_a_forged_cursor_is_refused(self):
        for cursor in ("not-a-cursor", "aWQ6LTE", "aWQ6OTk5OTk5OTk5OTk5"):
            error = self.assertError(
                self.api("GET", "/api/products", person=self.jean, sa=self.sa, params={"cursor": cursor}), 422
            )
            self.assertEqual(error["details"], {"field": "cursor"})

    def test_product_not_sold_in_the_sa_answers_404_like_a_missing_one(self):
        missing = self.api("GET", "/api/products/2147483600", person=self.jean, sa=self.sa)
        self.assertError(missing, 404)
        for product in (self.foreign, self.not_for_sale):
            self.assertEqual(
                self.api("GET", f"/api/products/{product.id}", person=self.jean, sa=self.sa), missing
            )
