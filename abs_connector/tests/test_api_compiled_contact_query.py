"""The contact page's statement is compiled once per shape and reused across requests: each
request still binds its own caller and record, and a record-rule change is followed at once.

See docs/adr/0014-compiled-sql-reused-rows-read-live.md.
"""

from odoo.tests import tagged

from .api_common import AbsApiCase


@tagged("post_install", "-at_install", "abs_api")
class TestApiCompiledContactQuery(AbsApiCase):
    def get_contact(self, person, customer):
        return self.api("GET", f"/api/contacts/{customer.id}", person=person, sa=self.sa)

    def test_agents_sharing_a_compiled_page_each_see_only_their_own_customers(self):
        jeans, kwames, unassigned = (
            self.customer(actor=self.jean),
            self.customer(actor=self.kwame),
            self.customer(),
        )
        # Jean and Kwame are agents with the same policy in the same SA: one statement for both
        status, body = self.get_contact(self.jean, jeans)
        self.assertEqual((status, body["actor_id"]), (200, self.jean.id), body)
        self.assertError(self.get_contact(self.kwame, jeans), 404, "not_found")
        status, body = self.get_contact(self.kwame, kwames)
        self.assertEqual((status, body["actor_id"]), (200, self.kwame.id), body)
        self.assertError(self.get_contact(self.jean, kwames), 404, "not_found")
        for person in (self.jean, self.kwame):
            status, body = self.get_contact(person, unassigned)
            self.assertEqual((status, body["id"], body["actor_id"]), (200, unassigned.id, None), body)

    def test_contact_page_follows_a_new_record_rule_at_once(self):
        customer = self.customer(actor=self.jean)
        self.assertEqual(self.get_contact(self.jean, customer)[0], 200)  # compiled and cached
        rule = self.env["ir.rule"].create(
            {
                "name": "test: one customer hidden from everyone",
                "model_id": self.env.ref("base.model_res_partner").id,
                "domain_force": f"[('id', '!=', {customer.id})]",
            }
        )
        self.assertError(self.get_contact(self.jean, customer), 404, "not_found")
        rule.domain_force = "[(1, '=', 1)]"
        self.assertEqual(self.get_contact(self.jean, customer)[0], 200)
        rule.domain_force = f"[('id', '!=', {customer.id})]"
        self.assertError(self.get_contact(self.jean, customer), 404, "not_found")
        rule.unlink()
        self.assertEqual(self.get_contact(self.jean, customer)[0], 200)

    def test_contact_page_follows_the_proxy_users_groups_at_once(self):
        customer = self.customer(actor=self.jean)
        self.assertEqual(self.get_contact(self.jean, customer)[0], 200)  # compiled and cached
        group = self.env["res.groups"].create({"name": "test: proxy-only partner rule"})
        self.env["ir.rule"].create(
            {
                "name": "test: one customer hidden from the group",
                "model_id": self.env.ref("base.model_res_partner").id,
                "domain_force": f"[('id', '!=', {customer.id})]",
                "groups": [(4, group.id)],
            }
        )
        self.assertEqual(self.get_contact(self.jean, customer)[0], 200)  # the proxy is not in it
        proxy = self.env.ref("abs_connector.abs_api_proxy_user")
        proxy.write({"groups_id": [(4, group.id)]})
        self.assertError(self.get_contact(self.jean, customer), 404, "not_found")
        proxy.write({"groups_id": [(3, group.id)]})
        self.assertEqual(self.get_contact(self.jean, customer)[0], 200)
