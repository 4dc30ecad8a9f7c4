"""Lists that cost the same at any size: keyset cursors, a bounded offset, a bounded total.

See docs/agent/start-here.md, Step 4.
"""

import base64
import json
import re
from unittest.mock import patch

from odoo import sql_db
from odoo.osv import expression
from odoo.tests import tagged
from odoo.tools import SQL

from ..controllers import contacts
from ..driven_lists import DrivenCustomers
from ..governance import api_schemas, visibility
from ..models import ov_sa_customer_assignment
from .api_common import AbsApiCase


def main_table(select):
    """What the outermost FROM of ``select`` names (outside any parenthesis), or None."""
    depth = 0
    for match in re.finditer(r"[()]|\bFROM\s+(\S+)", select):
        if match.group(0) in "()":
            depth += 1 if match.group(0) == "(" else -1
        elif depth == 0:
            return match.group(1)
    return None


@tagged("post_install", "-at_install", "abs_api")
class TestApiListPaging(AbsApiCase):
    def contacts(self, person=None, **params):
        status, body = self.api(
            "GET", "/api/contacts", person=person or self.alice, sa=self.sa, params=params
        )
        self.assertEqual(status, 200, body)
        return body

    def walk(self, order, limit=2, between_pages=None):
        """Every id of the staff's contact list in ``order``, page by page through ``next_cursor``."""
        seen, cursor, pages = [], None, 0
        while True:
            params = {"order": order, "limit": limit}
            if cursor:
                params["cursor"] = cursor
            body = self.contacts(**params)
            seen += [item["id"] for item in body["items"]]
            cursor, pages = body["next_cursor"], pages + 1
            if cursor is None:
                return seen
            self.assertLess(pages, 50, "the cursor does not progress")
            if between_pages:
                between_pages(pages)

    def make_customers(self, count, **vals):
        customers = self.env["res.partner"]
        for n in range(count):
            email = f"paging.{n:02d}@client.example.com" if n % 3 else False
            customers |= self.customer(actor=self.jean, name=f"Paging {n % 4}", email=email, **vals)
        return customers

    # ---- cursor ----

    def test_cursor_pages_return_the_list_in_its_order_for_every_sort_key(self):
        self.make_customers(7)
        for order in (
            "id asc",
            "id desc",
            "name asc",
            "name desc",
            "email asc",
            "email desc",
            "create_date desc",
        ):
            expected = [item["id"] for item in self.contacts(order=order, limit=200)["items"]]
            self.assertEqual(self.walk(order), expected, order)

    def test_cursor_pages_neither_repeat_nor_skip_rows_across_inserts_and_archives(self):
        self.make_customers(9)
        for order in ("email asc", "email desc", "name desc", "id desc"):
            before = [item["id"] for item in self.contacts(order=order, limit=200)["items"]]
            # one row already read (the first page has two), one not yet read
            archived = self.env["res.partner"].browse([before[1], before[6]])
            run = len(before)

            def change_the_list(page, archived=archived, run=run):
                if page > 3:
                    return
                # new rows sorting anywhere, empty e-mails included (rows added after the
                # position reached are read later: on every page, the walk would never end)
                self.customer(name=f"Paging {page % 4}", email=False)
                self.customer(name="Paging 0", email=f"paging.new.{run}.{page}@client.example.com")
                if page == 1:
                    for customer in archived:
                        customer._abs_archive_governed_customer(self.sa, self.alice)

            seen = self.walk(order, between_pages=change_the_list)
            self.assertEqual(len(seen), len(set(seen)), f"{order}: a row came twice")
            missing = set(before) - set(archived.ids) - set(seen)
            self.assertFalse(missing, f"{order}: rows that existed throughout were skipped")

    def test_a_forged_or_foreign_cursor_is_422_in_the_error_shape(self):
        self.make_customers(3)
        cursor = self.contacts(order="name asc", limit=1)["next_cursor"]
        body, mac = cursor.split(".")
        values = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        values[4] = 1  # start from the first id ever
        edited = base64.urlsafe_b64encode(json.dumps(values).encode()).rstrip(b"=").decode()
        for params in (
            {"order": "name asc", "cursor": f"{edited}.{mac}"},
            {"order": "name desc", "cursor": cursor},  # another order
            {"order": "name asc", "cursor": "garbage"},
            {"order": "name asc", "cursor": "x" * 2000},
            {"order": "name asc", "cursor": cursor, "offset": 1},
        ):
            result = self.api("GET", "/api/contacts", person=self.alice, sa=self.sa, params=params)
            self.assertError(result, 422)
            self.assertEqual(result[1]["error"]["details"]["field"], "cursor", params)
        self.assertError(
            self.api(
                "GET",
                "/api/orders",
                person=self.alice,
                sa=self.sa,
                params={"order": "name asc", "cursor": cursor},
            ),
            422,
        )

    # ---- offset and total ----

    def test_offset_beyond_the_bound_is_422_telling_to_use_the_cursor(self):
        limit = api_schemas.LIST_MAX_OFFSET
        self.assertEqual(self.contacts(offset=limit)["items"], [])
        status, body = self.api(
            "GET", "/api/contacts", person=self.alice, sa=self.sa, params={"offset": limit + 1}
        )
        self.assertError((status, body), 422)
        self.assertEqual(body["error"]["details"], {"field": "offset", "maximum": limit})
        self.assertIn("cursor", body["error"]["message"])

    def test_total_is_exact_up_to_the_count_limit_then_a_flagged_lower_bound(self):
        self.make_customers(5)
        body = self.contacts(limit=2)
        self.assertEqual((body["total"], body["total_is_exact"]), (5, True))
        with patch.object(api_schemas, "LIST_COUNT_LIMIT", 3):
            body = self.contacts(limit=2)
            self.assertEqual((body["total"], body["total_is_exact"], len(body["items"])), (3, False, 2))
            body = self.contacts(limit=2, count="exact")
            self.assertEqual((body["total"], body["total_is_exact"]), (5, True))
            body = self.contacts(limit=2, count="exact", cursor=body["next_cursor"], order="id asc")
            self.assertEqual(
                (body["total"], body["total_is_exact"]), (5, True), "a cursor page counts it all"
            )
            body = self.contacts(person=self.jean, search="paging.01")
            self.assertEqual((body["total"], body["total_is_exact"]), (1, True))
        self.assertError(
            self.api("GET", "/api/contacts", person=self.alice, sa=self.sa, params={"count": "all"}), 422
        )

    def test_a_search_matching_few_rows_pages_them_as_the_unbounded_list_does(self):
        """Few matches are listed from the matches themselves (one query finds them): the pages,
        their order, cursors and the exact total are those of the counted path."""
        self.make_customers(9)
        self.customer(sa=self.tree.sub_branch, name="Paging hidden")  # matches, not visible to Jean
        self.customer(actor=self.kwame, name="Paging of Kwame")  # matches, not visible to Jean

        def offset_page(order):
            return self.contacts(person=self.jean, search="paging", order=order, limit=2, offset=4)["items"]

        def everything(order):
            bodies, cursor = [], None
            while True:
                params = {"cursor": cursor} if cursor else {}
                body = self.contacts(person=self.jean, search="paging", order=order, limit=2, **params)
                bodies.append({k: body[k] for k in ("items", "total", "total_is_exact")})
                cursor = body["next_cursor"]
                if not cursor:
                    return bodies

        for order in ("id asc", "name desc", "email asc"):
            few = everything(order)  # 9 matches: at most LIST_COUNT_LIMIT, listed from the matches
            self.assertEqual({(b["total"], b["total_is_exact"]) for b in few}, {(9, True)})
            with patch.object(api_schemas, "LIST_COUNT_LIMIT", 8):  # 9 matches: the counted path
                counted = everything(order)
                counted_offset_page = offset_page(order)
            self.assertEqual({(b["total"], b["total_is_exact"]) for b in counted}, {(8, False)})
            self.assertEqual([b["items"] for b in few], [b["items"] for b in counted], order)
            self.assertEqual(len({i["id"] for b in few for i in b["items"]}), 9)
            self.assertEqual(offset_page(order), counted_offset_page, order)
        nothing = self.contacts(person=self.jean, search="no such customer anywhere")
        self.assertEqual((nothing["items"], nothing["total"], nothing["total_is_exact"]), ([], 0, True))

    # ---- cost ----

    def queries_of(self, **params):
        before = sql_db.sql_counter
        self.contacts(**params)
        return sql_db.sql_counter - before

    def test_list_query_count_does_not_grow_with_page_size_or_depth(self):
        country = self.env.ref("base.tg")
        self.make_customers(24, country_id=country.id)
        self.queries_of(limit=2)  # warm the caches a first request fills
        small, large = self.queries_of(limit=2), self.queries_of(limit=20)
        deep_cursor = self.contacts(limit=20)["next_cursor"]
        deep = self.queries_of(limit=2, cursor=deep_cursor)
        self.assertEqual(small, large)
        self.assertEqual(small, deep)

    def test_the_searched_fields_have_trigram_indexes(self):
        self.env.cr.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'res_partner'")
        trigram = [
            definition
            for (definition,) in self.env.cr.fetchall()
            if "gin_trgm_ops" in definition and "regexp_replace" not in definition
        ]
        for field_name in ("name", "email", "phone", "city"):
            self.assertTrue(any(f"({field_name}" in d for d in trigram), f"{field_name}: {trigram}")


@tagged("post_install", "-at_install", "abs_api")
class TestContactListDrivenByAssignments(AbsApiCase):
    """The contact list read from the caller's assignment rows answers exactly what the
    visibility domain answers: same rows, order, totals and cursors (docs/performance.md#lists)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        sa, tree = cls.sa, cls.tree
        cls.ama = cls.make_member(sa, "agent", cls.make_person("Ama"), scope_policy="assigned_only")
        cls.ama = cls.ama.person_partner_id
        cls.regional = cls.make_member(
            cls.seed, "staff", cls.make_person("Regional"), hierarchy_scope="this_node_and_descendants"
        ).person_partner_id
        other = cls.make_branch("Other Branch")
        for actor, count in ((cls.jean, 5), (cls.kwame, 3), (cls.ama, 3), (None, 4)):
            for _n in range(count):
                cls.make_customer(sa, actor=actor)
        for actor in (cls.jean, None):
            cls.make_customer(sa, actor=actor)._abs_archive_governed_customer(sa, cls.alice)
        for account in (tree.sub_branch, other):
            cls.make_customer(account)
        history = cls.env["ov.sa_customer_assignment"]._abs_history_admin()
        for account, customer in (
            (other, cls.make_customer(sa, cls.jean)),
            (tree.sub_branch, cls.make_customer(sa)),
        ):
            # also held elsewhere: in a sibling SA, and in a sub-account (a subtree scope sees both)
            history.create({"partner_id": customer.id, "account_id": account.id, "actor_id": False})
        # a customer of the SA moved to a company the API's proxy user does not work in: Odoo's
        # multi-company rule on partners hides it, whichever way the list is read
        cls.make_customer(sa, cls.jean).sudo().company_id = cls.env["res.company"].create(
            {"name": "Elsewhere"}
        )

    def answer(self, person, driven=True, sa=None, **params):
        """The contact list's answer, read from the assignment rows or (``driven=False``) through
        the visibility domain alone."""
        if driven:
            status, body = self.api("GET", "/api/contacts", person=person, sa=sa or self.sa, params=params)
        else:
            with patch.object(contacts._FromAssignments, "of", return_value=None):
                status, body = self.api(
                    "GET", "/api/contacts", person=person, sa=sa or self.sa, params=params
                )
        self.assertEqual(status, 200, body)
        return body

    def assertSameAnswer(self, person, **params):
        driven = self.answer(person, **params)
        self.assertEqual(driven, self.answer(person, driven=False, **params), f"{person.name} {params}")
        return driven

    def driven_pages(self):
        """A spy on the driven page reads: patch, list of calls."""
        original = contacts._FromAssignments.records
        calls = []

        def spy(source, *args, **kwargs):
            calls.append(args)
            return original(source, *args, **kwargs)

        return patch.object(contacts._FromAssignments, "records", spy), calls

    def test_driven_list_answers_what_the_domain_answers_for_agent_staff_and_assigned_only(self):
        spy, calls = self.driven_pages()
        with spy:
            for person in (self.alice, self.jean, self.kwame, self.ama):
                for order in ("id asc", "id desc"):
                    for params in ({}, {"limit": 3}, {"limit": 3, "offset": 2}, {"limit": 4, "offset": 6}):
                        self.assertSameAnswer(person, order=order, **params)
                    whole = self.assertSameAnswer(person, order=order, limit=200)["items"]
                    self.assertTrue(whole, person.name)
        self.assertTrue(calls, "the list was not read from the assignment rows")
        jean = [item["actor_id"] for item in self.answer(self.jean, limit=200)["items"]]
        self.assertEqual(set(jean), {self.jean.id, None}, "own and unassigned customers, no one else's")
        ama = [item["actor_id"] for item in self.answer(self.ama, limit=200)["items"]]
        self.assertEqual(set(ama), {self.ama.id})

    def test_driven_list_counts_what_the_domain_counts_up_to_the_bound_and_exactly_on_request(self):
        with patch.object(api_schemas, "LIST_COUNT_LIMIT", 4):
            for person in (self.alice, self.jean):
                body = self.assertSameAnswer(person, limit=2)
                self.assertEqual((body["total"], body["total_is_exact"]), (4, False))
                exact = self.assertSameAnswer(person, limit=2, count="exact")
                self.assertGreater(exact["total"], 4)
                self.assertTrue(exact["total_is_exact"])
                self.assertSameAnswer(person, limit=2, cursor=body["next_cursor"])
        few = self.assertSameAnswer(self.ama, limit=2)
        self.assertEqual((few["total"], few["total_is_exact"]), (3, True))

    def test_driven_cursor_pages_match_the_domain_across_inserts_and_archives(self):
        for person, order in ((self.jean, "id asc"), (self.alice, "id desc"), (self.ama, "id asc")):
            cursor, pages, seen = None, 0, []
            while True:
                params = {"order": order, "limit": 2, **({"cursor": cursor} if cursor else {})}
                body = self.assertSameAnswer(person, **params)
                seen += [item["id"] for item in body["items"]]
                cursor, pages = body["next_cursor"], pages + 1
                if cursor is None:
                    break
                self.assertLess(pages, 30)
                if pages <= 3:
                    # a new row on either side of the position reached, one listed row archived
                    self.customer(actor=person if person != self.alice else None)
                    self.customer(actor=self.ama if person == self.ama else None)
                    self.env["res.partner"].browse(seen[-1])._abs_archive_governed_customer(
                        self.sa, self.alice
                    )
            self.assertEqual(len(seen), len(set(seen)), f"{person.name}: a row came twice")

    def test_a_subtree_scope_a_search_and_other_orders_keep_the_domain_query(self):
        spy, calls = self.driven_pages()
        with spy:
            regional = self.assertSameAnswer(self.regional, limit=200)
            self.assertSameAnswer(self.regional, limit=2, order="id desc")
            self.assertSameAnswer(self.jean, limit=200, search="client.example.com")
            self.assertSameAnswer(self.alice, limit=200, order="name asc")
        self.assertEqual(calls, [], "rows that may share a customer, a search or another order")
        ids = [item["id"] for item in regional["items"]]
        self.assertEqual(len(ids), len(set(ids)), "a customer held in an SA and its sub-account came twice")
        sub_branch_only = self.make_customer(self.tree.sub_branch)
        self.assertNotIn(sub_branch_only.id, ids)  # created after the read
        self.assertIn(sub_branch_only.id, [i["id"] for i in self.answer(self.regional, limit=200)["items"]])

    def test_each_branch_is_read_in_customer_order_from_an_index_never_sorted(self):
        """The plan's shape, not its speed: each branch comes from an index of the assignment
        rows already in customer order (merged, never sorted) and each partner is probed by
        primary key. Which index PostgreSQL picks depends on the table's size: at a million,
        the benchmark's EXPLAIN shows the partial indexes of the active rows."""
        proxy = self.env.ref("abs_connector.abs_api_proxy_user")
        Partner = self.env["res.partner"].with_user(proxy)
        for person, expected_scans in ((self.jean, 2), (self.alice, 1)):
            access = self.env["ov.membership"]._abs_access_context(person, self.sa)
            branches = visibility.disjoint_assignment_domains(access)
            query = Partner._abs_customers_from_assignments(branches, 51)
            query.limit = 51
            for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                self.env.cr.execute(SQL("SET LOCAL %s = off", SQL(setting)))
            self.env.cr.execute(SQL("EXPLAIN (FORMAT JSON) %s", query.select()))
            plan = self.env.cr.fetchone()[0][0]["Plan"]
            nodes = list(plan_nodes(plan))
            self.env.cr.execute("RESET ALL")
            scans = [node for node in nodes if node.get("Relation Name") == "ov_sa_customer_assignment"]
            self.assertEqual(len(scans), expected_scans, plan)
            self.assertLessEqual(
                {node["Node Type"] for node in scans}, {"Index Scan", "Index Only Scan"}, plan
            )
            self.assertIn("res_partner_pkey", {node.get("Index Name") for node in nodes})
            self.assertNotIn("Sort", {node["Node Type"] for node in nodes}, plan)

    def test_a_contact_page_reads_its_rows_and_countries_with_it_driven_or_not(self):
        """What the answer names of each contact's assignment row and country comes with the page,
        whichever way the page is read: no search of the page's rows, no fetch of the countries."""
        self.env["res.partner"].search([("x_sa_id", "=", self.sa.id)]).sudo().country_id = self.env.ref(
            "base.tg"
        )
        self.answer(self.jean, limit=3)  # warm the caches a first request fills
        for person, driven, params in (
            (self.jean, True, {"limit": 3}),
            (self.jean, False, {"limit": 3}),
            (self.jean, True, {"search": "Customer"}),
            (self.regional, True, {"limit": 3}),  # a subtree scope: read through the domain
        ):
            with self.subTest(person=person.name, driven=driven, params=params):
                body, tables = self.answer_and_tables_read(person, driven, **params)
                self.assertTrue(body["items"])
                self.assertTrue(all(item["assignment_id"] for item in body["items"]))
                self.assertNotIn('"res_country"', tables)
                self.assertNotIn('"ov_sa_customer_assignment"', tables)

    def answer_and_tables_read(self, person, driven, **params):
        """The answer, and the table each SELECT of the request reads (its outermost FROM: a
        sub-select for a driven page)."""
        statements, original = [], sql_db.Cursor.execute

        def spy(cr, query, params=None, log_exceptions=True):
            statements.append(query.code if isinstance(query, SQL) else str(query))
            return original(cr, query, params, log_exceptions)

        with patch.object(sql_db.Cursor, "execute", spy):
            body = self.answer(person, driven=driven, **params)
        selects = (sql for sql in statements if sql.lstrip().startswith("SELECT"))
        return body, {table for table in map(main_table, selects) if table}

    def test_every_list_item_is_what_the_contact_page_answers(self):
        """A list makes each answer from the values its one query read, the contact's own page
        from its records: for every contact, read from the rows or through the domain, they
        say the same."""
        self.make_customer(
            self.sa,
            self.jean,
            comment="<p>Gate <b>code</b> 12</p>",
            country_id=self.env.ref("base.gh").id,
            mobile="+233 20 000 0000",
            city="Kumasi",
        )
        for person in (self.alice, self.jean, self.ama):
            for driven in (True, False):
                items = self.answer(person, driven=driven, limit=200)["items"]
                self.assertTrue(items, person.name)
                for item in items:
                    with self.subTest(person=person.name, driven=driven, contact=item["id"]):
                        status, single = self.api(
                            "GET", f"/api/contacts/{item['id']}", person=person, sa=self.sa
                        )
                        self.assertEqual((status, single), (200, item))
        commented = [item for item in self.answer(self.jean, limit=200)["items"] if item["comment"]]
        self.assertEqual(
            [(item["comment"], item["country_code"]) for item in commented],
            [("<p>Gate <b>code</b> 12</p>", "GH")],
        )

    def test_driven_count_answers_what_the_domain_counts_when_archived_partners_lead_the_rows(self):
        """A count tests the partners of each branch's first rows, a quarter more than it
        counts, all at once; when archived partners keep it short while rows follow, it gathers
        the next ones, twice as many, then reads the rest row by row. Either way it counts what
        the domain counts, each row once."""
        efua = self.make_member(self.sa, "agent", self.make_person("Efua"), scope_policy="assigned_only")
        efua = efua.person_partner_id
        customers = [self.make_customer(self.sa, efua) for _n in range(10)]
        for customer in customers[:5]:
            customer._abs_archive_governed_customer(self.sa, self.alice)
        rows = [("account_id", "=", self.sa.id), ("state", "=", "active")]
        own, unassigned = [*rows, ("actor_id", "=", efua.id)], [*rows, ("actor_id", "=", False)]
        Partner, Assignment = self.env["res.partner"], self.env["ov.sa_customer_assignment"]
        gathered, row_by_row = DrivenCustomers._gathered_count_sql, DrivenCustomers._row_by_row_count
        statements, rounds = [], {}

        def spy_gathered(driven, branches, span, limit):
            statements.append(("gathered", span))
            return gathered(driven, branches, span, limit)

        def spy_row_by_row(driven, branches, limit):
            statements.append(("row by row", [after is not None for _rows, after in branches]))
            return row_by_row(driven, branches, limit)

        with (
            patch.object(DrivenCustomers, "_gathered_count_sql", spy_gathered),
            patch.object(DrivenCustomers, "_row_by_row_count", spy_row_by_row),
            # what a search with a record rule on other partner columns counts this way
            patch.object(DrivenCustomers, "_copies_suffice", return_value=False),
        ):
            for branches in ([own], [own, unassigned]):
                held = Assignment.search(expression.OR(branches)).partner_id
                expected = Partner.search_count([("id", "in", held.ids)])
                self.assertLess(expected, len(held), "archived partners are held too")
                driven = Partner._abs_driven_customers(branches)
                for limit in range(1, len(held) + 2):
                    statements.clear()
                    with self.subTest(branches=len(branches), limit=limit):
                        self.assertEqual(driven.count(limit), min(limit, expected))
                    rounds[len(branches), limit] = list(statements)
        self.assertEqual(rounds[1, 9], [("gathered", 11)], "a count of 9 gathers the ten rows at once")
        self.assertEqual(
            rounds[1, 4], [("gathered", 5), ("gathered", 10)], "the five rows gathered first are archived"
        )
        self.assertEqual(
            rounds[1, 1],
            [("gathered", 1), ("gathered", 2), ("row by row", [True])],
            "three archived rows gathered, the rest read after them",
        )

    def proxy_driven(self, person):
        """The proxy user's compiled list of ``person``'s rows, and the customers those rows hold."""
        proxy = self.env.ref("abs_connector.abs_api_proxy_user")
        Partner = self.env["res.partner"].with_user(proxy)
        access = self.env["ov.membership"]._abs_access_context(person, self.sa)
        branches = visibility.disjoint_assignment_domains(access)
        held = self.env["ov.sa_customer_assignment"].search(expression.OR(branches)).partner_id
        return Partner._abs_driven_customers(branches), Partner, held

    def test_the_proxys_count_reads_what_the_rows_carry_of_their_customers_not_the_partners(self):
        """For the API's proxy user Odoo's search of the partners tests the active flag and the
        multi-company rule only: the count reads the copies the rows carry (customer_standing.py)
        in one statement that reads no partner, and counts what the partners' own test counts
        (archived customers and one of a company the proxy does not work in are held too)."""
        for person in (self.alice, self.jean, self.ama):
            driven, Partner, held = self.proxy_driven(person)
            expected = Partner.search_count([("id", "in", held.ids)])
            with self.subTest(person=person.name):
                self.assertTrue(driven._copies_suffice())
                self.assertNotIn('FROM "res_partner"', driven.count_sql(1001).code)
                for limit in range(1, len(held) + 2):
                    statements = self.statements_of(lambda limit=limit, driven=driven: driven.count(limit))
                    self.assertEqual(statements[1], min(limit, expected), limit)
                    self.assertEqual(len(statements[0]), 1)
                    with patch.object(DrivenCustomers, "_copies_suffice", return_value=False):
                        self.assertEqual(driven.count(limit), statements[1], "the partners' own test")
        held = self.proxy_driven(self.alice)[2]
        self.assertGreater(len(held), Partner.search_count([("id", "in", held.ids)]), "some are hidden")

    def statements_of(self, call):
        """(the SQL of each statement ``call`` ran, what it returned)."""
        statements, original = [], sql_db.Cursor.execute

        def spy(cr, query, params=None, log_exceptions=True):
            statements.append(query.code if isinstance(query, SQL) else str(query))
            return original(cr, query, params, log_exceptions)

        with patch.object(sql_db.Cursor, "execute", spy):
            result = call()
        return statements, result

    def test_a_record_rule_on_other_partner_columns_makes_the_count_test_the_partners(self):
        """A rule the rows' copies cannot answer (here, on the partner's name) is Odoo's search's:
        the count then tests each partner, and still counts what that search counts."""
        hidden = self.make_customer(self.sa, self.jean)
        hidden.sudo().name = "Hidden By A Rule"
        self.env["ir.rule"].create(
            {
                "name": "Contacts: not the ones a rule hides",
                "model_id": self.env.ref("base.model_res_partner").id,
                "domain_force": "[('name', '!=', 'Hidden By A Rule')]",
            }
        )
        driven, Partner, held = self.proxy_driven(self.jean)
        self.assertIn(hidden, held)
        self.assertFalse(driven._copies_suffice())
        expected = Partner.search_count([("id", "in", held.ids)])
        self.assertEqual(driven.count(1001), expected)
        self.assertEqual(self.answer(self.jean, limit=200)["total"], expected)

    def test_a_condition_naming_the_partner_table_unquoted_makes_the_count_test_the_partners(self):
        """Odoo quotes every column it compiles; a condition written by hand without quotes may
        name any column: the count cannot prove the copies answer it."""
        driven = self.proxy_driven(self.jean)[0]
        self.assertTrue(driven._copies_suffice())
        driven.searched.add_where(SQL("res_partner.type != %s", "private"))
        self.assertFalse(driven._copies_suffice())

    def test_no_branch_reads_no_partner(self):
        driven = self.env["res.partner"]._abs_driven_customers([])
        self.assertFalse(self.env.execute_query(driven.page_query(0, 51, False).select()))
        self.assertEqual(driven.count(1001), 0)

    def test_the_active_rows_have_an_index_per_kind_of_branch(self):
        self.env.cr.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'ov_sa_customer_assignment'"
        )
        definitions = dict(self.env.cr.fetchall())
        for name, columns, where in ov_sa_customer_assignment._ACTIVE_ROW_INDEXES:
            self.assertIn(name, definitions)
            key = columns.split(" INCLUDE ")[0]
            included = "company_id, abs_customer_active, abs_customer_company_id, abs_customer_share"
            self.assertIn(f"btree {key} INCLUDE ({included})", definitions[name])
            self.assertIn("'active'", definitions[name])
            self.assertEqual("actor_id IS NULL" in where, "actor_id IS NULL" in definitions[name], name)
        self.assertNotIn("ov_sa_customer_assignment_active_account_actor", definitions, "replaced")


def plan_nodes(node):
    """Every node of an EXPLAIN (FORMAT JSON) plan."""
    yield node
    for child in node.get("Plans", ()):
        yield from plan_nodes(child)
