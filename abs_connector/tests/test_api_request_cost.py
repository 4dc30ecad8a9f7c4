"""What one authenticated API request costs in SQL: checks read live, in as few queries as can be.

See docs/performance.md, "Lists at a million customers".
"""

from odoo import sql_db
from odoo.tests import tagged

from .api_common import AbsApiCase

# the token's employee; the SA, the live membership and whether an ended membership awaits release
# together; the contact with the assignment row its answer names and its country's code (its
# statement compiled once: Odoo's multi-company rule reads the companies' paths only then)
SINGLE_CONTACT_QUERIES = 3


@tagged("post_install", "-at_install", "abs_api")
class TestApiRequestCost(AbsApiCase):
    def statements_of(self, *args, **kwargs):
        statements = []
        original = sql_db.Cursor.execute

        def execute(cursor, query, params=None, log_exceptions=True):
            statements.append(str(query))
            return original(cursor, query, params, log_exceptions)

        sql_db.Cursor.execute, saved = execute, original
        try:
            status, body = self.api(*args, **kwargs)
        finally:
            sql_db.Cursor.execute = saved
        self.assertEqual(status, 200, body)
        return statements

    def test_single_contact_read_costs_a_fixed_number_of_queries(self):
        customer = self.customer(actor=self.jean, name="Counted", country_id=self.env.ref("base.tg").id)
        path = f"/api/contacts/{customer.id}"
        token = self.token_for(self.jean)
        self.statements_of("GET", path, token=token, sa=self.sa)  # warm the caches
        statements = self.statements_of("GET", path, token=token, sa=self.sa)
        self.assertLessEqual(len(statements), SINGLE_CONTACT_QUERIES, "\n".join(statements))

    def test_the_gate_asks_only_the_memberships_whether_one_ended(self):
        """Asked of the assignments too, the question cost two thirds of the gate's planning
        (docs/adr/0015-lapse-marker.md); the marker lets it read one table."""
        token = self.token_for(self.jean)
        statements = self.statements_of("GET", "/api/contacts", token=token, sa=self.sa)
        gates = [sql for sql in statements if "LEFT JOIN ov_serviced_account sa" in sql]
        self.assertEqual(len(gates), 1, "\n".join(statements))
        self.assertIn("abs_lapse_settled", gates[0])
        self.assertNotIn("ov_sa_customer_assignment", gates[0])
