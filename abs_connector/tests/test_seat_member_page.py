"""A seat member's contact list in name order, read from their assignment rows.

Each assignment row carries its customer's ``complete_name`` (the order of Odoo's contact lists),
kept in step by the database whatever writes the rows or the partners; a seat member's page in
that order is then a merge of their rows, the partners without a Service Account and their own
partner, each part read in name order and stopping after the page (docs/performance.md, "Seat
users on Odoo's own screens"). Its rows and their order must be exactly those of Odoo's own search
under the seat-member rule.
"""

from unittest.mock import patch

from odoo import Command
from odoo.tests import HttpCase, tagged
from odoo.tools import SQL

from ..hooks import uninstall_hook
from ..models import ov_sa_customer_assignment, res_partner
from .common import JsonRpcMixin
from .test_api_list_paging import plan_nodes
from .test_seat_member_rules import SeatMemberCase

# Patched on the addon's class: the registry's res.partner class inherits it.
Partner = res_partner.ResPartner


def plan_nodes_outside_subplans(node):
    """The nodes of an EXPLAIN (FORMAT JSON) plan, but those of its sub-plans (a correlated
    EXISTS, run for some rows only)."""
    yield node
    for child in node.get("Plans", ()):
        if child.get("Parent Relationship") != "SubPlan":
            yield from plan_nodes_outside_subplans(child)


class SortNameCase(SeatMemberCase):
    def drifted(self):
        """Assignment rows whose sort name is not their customer's complete_name (history too)."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT a.id, a.abs_sort_name, p.complete_name
              FROM ov_sa_customer_assignment a JOIN res_partner p ON p.id = a.partner_id
             WHERE a.abs_sort_name IS DISTINCT FROM p.complete_name
            """
        )
        return self.env.cr.fetchall()

    def sort_names(self, partner):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT abs_sort_name FROM ov_sa_customer_assignment WHERE partner_id = %s ORDER BY id",
            [partner.id],
        )
        return [name for (name,) in self.env.cr.fetchall()]

    def reassign(self, customer, actor_membership):
        actor = actor_membership.person_partner_id if actor_membership else None
        self.env["ov.sa_customer_assignment"]._abs_reassign(
            customer, self.sa, actor, self.sam.person_partner_id
        )


@tagged("post_install", "-at_install")
class TestAssignmentSortName(SortNameCase):
    """The copy of the customer's complete_name on its assignment rows never drifts."""

    def test_every_row_carries_its_customers_complete_name(self):
        self.assertEqual(self.drifted(), [])
        self.assertEqual(self.sort_names(self.bobs_customer), ["Seat Customer Of Bob"])

    def test_reassigned_customer_keeps_its_name_on_the_new_row_and_the_history(self):
        self.reassign(self.unassigned, self.bob)
        self.reassign(self.unassigned, self.ada)
        self.reassign(self.unassigned, None)
        self.assertEqual(self.sort_names(self.unassigned), ["Seat Customer Unassigned"] * 4)
        self.unassigned.name = "Seat Customer Renamed"
        self.assertEqual(self.sort_names(self.unassigned), ["Seat Customer Renamed"] * 4)
        self.assertEqual(self.drifted(), [])

    def test_renaming_a_parent_company_renames_its_contacts_rows(self):
        company = self.env["res.partner"].create({"name": "Seat Parent Ltd", "is_company": True})
        self.bobs_customer.parent_id = company
        self.assertEqual(self.sort_names(self.bobs_customer), ["Seat Parent Ltd, Seat Customer Of Bob"])
        company.name = "Seat Parent Renamed"
        self.assertEqual(self.sort_names(self.bobs_customer), ["Seat Parent Renamed, Seat Customer Of Bob"])
        self.assertEqual(self.drifted(), [])

    def test_erased_customer_rows_carry_the_anonymised_name(self):
        self.adas_customer._abs_erase_governed_customer(self.sa, self.sam.person_partner_id)
        self.assertEqual(self.sort_names(self.adas_customer), [f"Erased customer {self.adas_customer.id}"])
        self.assertEqual(self.drifted(), [])

    def test_rows_merged_into_another_partner_take_the_survivors_name(self):
        survivor = self.env["res.partner"].create(
            {"name": "Seat Merge Survivor", "email": "s@client.example.com"}
        )
        self.bobs_customer.email = "s@client.example.com"
        wizard = (
            self.env["base.partner.merge.automatic.wizard"]
            .with_context(active_model="res.partner", active_ids=(survivor | self.bobs_customer).ids)
            .create(
                {
                    "partner_ids": [Command.set((survivor | self.bobs_customer).ids)],
                    "dst_partner_id": survivor.id,
                }
            )
        )
        wizard.action_merge()
        self.assertEqual(self.sort_names(survivor), ["Seat Merge Survivor"])
        self.assertEqual(self.drifted(), [])

    def test_raw_sql_inserts_renames_and_repointing_keep_the_copy(self):
        cr = self.env.cr
        self.env.flush_all()
        cr.execute(
            """
            INSERT INTO ov_sa_customer_assignment (account_id, partner_id, state, date_from, date_to)
            VALUES (%s, %s, 'expired', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
            RETURNING id
            """,
            [self.other_sa.id, self.vendor.id],
        )
        self.assertEqual(self.sort_names(self.vendor), ["Seat Vendor Ltd"])
        cr.execute(
            "UPDATE res_partner SET complete_name = 'Seat Vendor By Hand' WHERE id = %s", [self.vendor.id]
        )
        self.assertEqual(self.sort_names(self.vendor), ["Seat Vendor By Hand"])
        cr.execute(
            "UPDATE ov_sa_customer_assignment SET partner_id = %s WHERE partner_id = %s",
            [self.elsewhere.id, self.vendor.id],
        )
        self.assertEqual(self.sort_names(self.elsewhere), ["Seat Customer Elsewhere"] * 2)
        self.env.invalidate_all()
        self.assertEqual(self.drifted(), [])

    def test_the_orm_never_writes_the_sort_name(self):
        row = self.active_assignment(self.bobs_customer, self.sa)
        self.assertEqual(row.abs_sort_name, "Seat Customer Of Bob")
        created = self.env["ov.sa_customer_assignment"].create(
            {"account_id": self.other_sa.id, "partner_id": self.vendor.id, "abs_sort_name": "Forged"}
        )
        self.assertEqual(created.abs_sort_name, "Seat Vendor Ltd")

    def test_uninstall_removes_the_trigger_it_put_on_the_partners(self):
        def triggers():
            self.env.cr.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'abs_%%sort_name%%'")
            return {name for (name,) in self.env.cr.fetchall()}

        self.assertEqual(triggers(), {name for name, *_rest in ov_sa_customer_assignment.SORT_NAME_TRIGGERS})
        uninstall_hook(self.env)  # rolled back with the test transaction
        self.assertEqual(triggers(), set())

    def test_an_upgrade_mends_rows_that_differ(self):
        self.env.flush_all()
        self.env.cr.execute(
            "ALTER TABLE ov_sa_customer_assignment DISABLE TRIGGER abs_assignment_sort_name_ins"
        )
        self.env.cr.execute(
            "UPDATE ov_sa_customer_assignment SET abs_sort_name = NULL WHERE partner_id = %s",
            [self.bobs_customer.id],
        )
        self.env.cr.execute(
            "ALTER TABLE ov_sa_customer_assignment ENABLE TRIGGER abs_assignment_sort_name_ins"
        )
        self.assertTrue(self.drifted())
        self.env["ov.sa_customer_assignment"].init()
        self.assertEqual(self.drifted(), [])


@tagged("post_install", "-at_install")
class TestSeatMemberPage(SortNameCase):
    """The driven page against Odoo's own search, over many shapes of data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bob_user = cls.make_seat_user(cls.bob.person_partner_id)
        cls.company_b = cls.env["res.company"].create({"name": "Seat Page Company B"})
        # equal names in every part: the tie is broken by id, descending
        cls.ties = cls.env["res.partner"]
        for actor in (cls.ada, cls.bob, None, cls.ada, None):
            cls.ties |= cls.make_customer(cls.sa, actor, name="Seat Tie")
        cls.ties |= cls.env["res.partner"].create({"name": "Seat Tie"})
        cls.ties |= cls.make_customer(cls.other_sa, name="Seat Tie")
        # a company and its contacts, governed and not
        cls.parent_company = cls.env["res.partner"].create({"name": "Seat Page Holding", "is_company": True})
        for name, actor in (("Zed", cls.ada), ("Amy", cls.bob), ("Kim", None)):
            contact = cls.make_customer(cls.sa, actor, name=name)
            contact.parent_id = cls.parent_company
        cls.env["res.partner"].create({"name": "Plain Contact", "parent_id": cls.parent_company.id})
        # contacts and addresses of governed customers: seen with their customer
        governed_company = cls.make_customer(cls.sa, cls.bob, name="Seat Governed Ltd", is_company=True)
        for customer in (
            cls.adas_customer,
            cls.bobs_customer,
            cls.elsewhere,
            cls.unassigned,
            governed_company,
        ):
            cls.env["res.partner"].create(
                [
                    {"name": "Seat Buyer", "parent_id": customer.id},
                    {"name": "Seat Depot", "parent_id": customer.id, "type": "delivery"},
                ]
            )
        # archived partners, governed and not
        archived = cls.make_customer(cls.sa, cls.bob, name="Seat Archived Customer")
        archived._abs_archive_governed_customer(cls.sa, cls.sam.person_partner_id)
        cls.env["res.partner"].create({"name": "Seat Archived Vendor", "active": False})
        # another company's partners
        cls.vendor_b = cls.env["res.partner"].create(
            {"name": "Seat Vendor B", "company_id": cls.company_b.id}
        )
        cls.moved = cls.make_customer(cls.sa, cls.ada, name="Seat Customer In B")
        cls.moved.company_id = cls.company_b
        # history: unassigned, then Bob's, then Ada's, then unassigned again
        cls.travelled = cls.make_customer(cls.sa, name="Seat Customer Travelled")
        Assignment = cls.env["ov.sa_customer_assignment"]
        for membership in (cls.bob, cls.ada, None):
            actor = membership.person_partner_id if membership else None
            Assignment._abs_reassign(cls.travelled, cls.sa, actor, cls.sam.person_partner_id)
        # a member whose own partner is a customer of the account
        cls.insider = cls.make_customer(cls.sa, cls.bob, name="Seat Insider")
        cls.make_member(cls.sa, "staff", cls.insider)
        cls.insider_user = cls.make_seat_user(cls.insider)

    @property
    def seat_users(self):
        return (self.ada_user, self.bob_user, self.sam_user, self.insider_user)

    def odoo_list(self, user, domain, **context):
        """Odoo's own search for ``user`` (no limit: never driven), in the model's order."""
        partners = self.env["res.partner"].with_user(user).with_context(**context)
        self.assertIsNone(partners._abs_seat_page_query(domain, 0, None, partners._order))
        return partners.search(domain).ids

    def driven_page(self, user, domain, offset, limit, **context):
        partners = self.env["res.partner"].with_user(user).with_context(**context)
        self.assertIsNotNone(
            partners._abs_seat_page_query(domain, offset, limit, partners._order), "not driven"
        )
        return partners.search(domain, offset=offset, limit=limit).ids

    def fallback_page(self, user, domain, offset, limit, **context):
        partners = self.env["res.partner"].with_user(user).with_context(**context)
        with patch.object(Partner, "_abs_seat_page_query", return_value=None):
            return partners.search(domain, offset=offset, limit=limit).ids

    def assertSamePages(self, user, domain=(), limit=4, **context):
        """Every page of ``limit`` rows, driven, is the same slice of Odoo's own list.

        A filter is driven whatever PostgreSQL estimates of it at a test's size (the estimate
        that sends a selective search to Odoo's own query is tested apart)."""
        domain = list(domain)
        expected = self.odoo_list(user, domain, **context)
        self.assertTrue(expected)
        with patch.object(Partner, "_abs_seat_count_reads_rows_first", return_value=True):
            for offset in range(0, len(expected) + limit, limit):
                with self.subTest(user=user.name, domain=domain, offset=offset, context=context):
                    page = self.driven_page(user, domain, offset, limit, **context)
                    self.assertEqual(page, expected[offset : offset + limit])
            first = self.driven_page(user, domain, 0, limit, **context)
        self.assertEqual(first, self.fallback_page(user, domain, 0, limit, **context))
        return expected

    def test_every_page_is_odoos_own_for_each_kind_of_member(self):
        for user in self.seat_users:
            seen = self.assertSamePages(user)
            self.assertIn(user.partner_id.id, seen)
        self.assertNotIn(self.bobs_customer.id, self.odoo_list(self.ada_user, []))

    def test_equal_names_are_ordered_by_id_descending_across_the_parts(self):
        for user in self.seat_users:
            listed = self.assertSamePages(user, [("name", "=", "Seat Tie")], limit=2)
            self.assertEqual(listed, sorted(listed, reverse=True))
            self.assertGreaterEqual(len(listed), 3)

    def test_contacts_of_a_company_follow_its_name_and_its_renaming(self):
        self.assertSamePages(self.sam_user, limit=3)
        self.parent_company.name = "Aaa Seat Holding"  # their rows move near the top of the list
        for user in self.seat_users:
            self.assertSamePages(user, limit=3)
        listed = self.assertSamePages(self.sam_user, limit=3)
        start = listed.index(self.parent_company.id)
        names = self.env["res.partner"].browse(listed[start : start + 5]).mapped("complete_name")
        contacts = ["Amy", "Kim", "Plain Contact", "Zed"]
        self.assertEqual(names, ["Aaa Seat Holding"] + [f"Aaa Seat Holding, {name}" for name in contacts])

    def test_a_rename_not_yet_written_orders_the_page_as_odoos_own(self):
        for user in (self.bob_user, self.sam_user):
            self.bobs_customer.name = f"Aaa Renamed For {user.name}"  # in the ORM's cache only
            page = self.driven_page(user, [], 0, 4)  # before anything else writes it
            self.assertEqual(page, self.odoo_list(user, [])[:4])
            self.assertIn(self.bobs_customer.id, page)

    def test_archived_partners_are_listed_only_when_the_list_shows_them(self):
        for user in self.seat_users:
            shown = self.assertSamePages(user, active_test=False)
            hidden = self.assertSamePages(user)
            self.assertGreater(len(shown), len(hidden))

    def test_partners_of_another_company_are_listed_only_in_that_company(self):
        alone = self.assertSamePages(self.sam_user)
        self.sam_user.company_ids = [Command.link(self.company_b.id)]
        both = [self.company.id, self.company_b.id]
        listed = self.assertSamePages(self.sam_user, allowed_company_ids=both)
        in_b = [self.vendor_b.id, self.moved.id]
        self.assertEqual([pid in listed for pid in in_b], [True, True])
        self.assertEqual([pid in alone for pid in in_b], [False, False])

    def test_reassigned_customer_is_listed_once_by_its_current_holder_only(self):
        for user in self.seat_users:
            listed = self.assertSamePages(user)
            self.assertLessEqual(listed.count(self.travelled.id), 1)
        self.assertIn(self.travelled.id, self.odoo_list(self.bob_user, []))  # unassigned now
        self.assertNotIn(self.travelled.id, self.odoo_list(self.ada_user, []))
        self.reassign(self.travelled, self.ada)
        self.assertSamePages(self.ada_user)
        self.assertIn(self.travelled.id, self.odoo_list(self.ada_user, []))
        self.assertNotIn(self.travelled.id, self.odoo_list(self.bob_user, []))

    def test_a_filter_the_list_applies_is_applied_to_every_part(self):
        with patch.object(Partner, "_abs_seat_count_reads_rows_first", return_value=True):
            for domain in (
                [("is_company", "=", False)],
                [("name", "ilike", "seat")],
                [("email", "!=", False)],
            ):
                for user in self.seat_users:
                    self.assertSamePages(user, domain, limit=3)

    def test_a_selective_search_several_memberships_and_other_orders_use_odoos_own_search(self):
        partners = self.env["res.partner"].with_user(self.sam_user)
        with patch.object(Partner, "_abs_seat_count_reads_rows_first", return_value=False):
            self.assertIsNone(partners._abs_seat_page_query([("name", "=", "x")], 0, 80, partners._order))
        self.assertIsNone(partners._abs_seat_page_query([], 0, 80, "id desc"))
        self.assertIsNone(partners._abs_seat_page_query([], 0, None, partners._order))
        self.assertIsNone(self.env["res.partner"]._abs_seat_page_query([], 0, 80, partners._order))
        admin = self.env.ref("base.user_admin")
        self.assertIsNone(partners.with_user(admin)._abs_seat_page_query([], 0, 80, partners._order))
        self.make_member(self.other_sa, "staff", self.sam.person_partner_id)
        self.assertIsNone(partners._abs_seat_page_query([], 0, 80, partners._order))
        self.assertEqual(partners.search([], limit=5).ids, self.odoo_list(self.sam_user, [])[:5])

    def test_subtree_scope_and_a_hand_edited_rule_use_odoos_own_search(self):
        partners = self.env["res.partner"].with_user(self.sam_user)
        self.sam.hierarchy_scope = "this_node_and_descendants"
        self.assertIsNone(partners._abs_seat_page_query([], 0, 80, partners._order))
        self.sam.hierarchy_scope = "this_node_only"
        self.assertIsNotNone(partners._abs_seat_page_query([], 0, 80, partners._order))
        rule = self.env.ref("abs_connector.res_partner_rule_seat_member")
        rule.groups = self.env.ref("base.group_user")
        self.env["ir.rule"].create(
            {
                "name": "Every contact",
                "model_id": rule.model_id.id,
                "groups": [Command.link(self.env.ref("base.group_user").id)],
                "domain_force": "[('id', '!=', 0)]",
            }
        )
        self.assertIsNone(partners._abs_seat_page_query([], 0, 80, partners._order))

    def test_suspended_member_lists_only_partners_without_a_service_account(self):
        self.sam._abs_suspend()
        listed = self.assertSamePages(self.sam_user)
        governed = self.env["res.partner"].sudo().browse(listed).filtered("x_sa_id")
        self.assertFalse(governed - self.sam_user.partner_id)

    def test_each_part_is_read_in_name_order_never_sorted_as_a_whole(self):
        """The plan's shape, not its speed: the parts are merged as they come and no sort reads
        the member's rows; which index PostgreSQL picks depends on the table's size (at a million,
        the benchmark's EXPLAIN shows the name-ordered partial indexes)."""
        for user, expected_scans in ((self.bob_user, 2), (self.sam_user, 1), (self.ada_user, 1)):
            partners = self.env["res.partner"].with_user(user)
            query = partners._abs_seat_page_query([], 0, 50, partners._order)
            for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                self.env.cr.execute(SQL("SET LOCAL %s = off", SQL(setting)))
            self.env.cr.execute(SQL("EXPLAIN (FORMAT JSON) %s", query.select()))
            plan = self.env.cr.fetchone()[0][0]["Plan"]
            self.env.cr.execute("RESET ALL")
            nodes = list(plan_nodes(plan))
            self.assertIn("Merge Append", {node["Node Type"] for node in nodes}, plan)
            # the member's row ranges; a contact of a governed customer probes its customer's rows
            # in a sub-plan, by index too
            ranges = [
                node
                for node in plan_nodes_outside_subplans(plan)
                if node.get("Relation Name") == "ov_sa_customer_assignment"
            ]
            self.assertEqual(len(ranges), expected_scans, plan)
            scans = [node for node in nodes if node.get("Relation Name") == "ov_sa_customer_assignment"]
            self.assertLessEqual(
                {node["Node Type"] for node in scans}, {"Index Scan", "Index Only Scan"}, plan
            )
            for node in nodes:
                if node["Node Type"] == "Incremental Sort":  # equal names only, as they come
                    self.assertEqual(node["Presorted Key"], ['"*SELECT* 1".abs_sort_key'], plan)
            for sort in (node for node in nodes if node["Node Type"] == "Sort"):
                # only the member's own partner, one row found by primary key, may be sorted
                below = list(plan_nodes(sort))
                self.assertNotIn("ov_sa_customer_assignment", {n.get("Relation Name") for n in below}, plan)
                partner_scans = [n for n in below if n.get("Relation Name") == "res_partner"]
                self.assertEqual({n.get("Index Name") for n in partner_scans}, {"res_partner_pkey"}, plan)

    def test_name_ordered_indexes_exist_per_kind_of_branch_and_for_ungoverned_partners(self):
        self.env.cr.execute(
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE tablename IN ('ov_sa_customer_assignment', 'res_partner')"
        )
        definitions = dict(self.env.cr.fetchall())
        self.assertIn(
            "(account_id, actor_id, abs_sort_name, partner_id DESC) WHERE",
            definitions["ov_sa_customer_assignment_active_actor_names"],
        )
        self.assertIn("actor_id IS NULL", definitions["ov_sa_customer_assignment_active_unassigned_names"])
        self.assertIn(
            "(complete_name, id DESC) WHERE (x_sa_id IS NULL)",
            definitions[res_partner.UNGOVERNED_NAMES_INDEX],
        )


@tagged("post_install", "-at_install")
class TestSeatMemberPageOverRpc(JsonRpcMixin, HttpCase, SeatMemberCase):
    def test_contacts_list_request_of_a_seat_agent_is_driven_and_equals_odoos_own(self):
        bob_user = self.make_seat_user(self.bob.person_partner_id)
        for n in range(6):
            self.make_customer(self.sa, self.bob if n % 2 else None, name=f"Seat Rpc {n % 3}")
        expected = self.env["res.partner"].with_user(bob_user).search([]).ids
        self.authenticate(bob_user.login, bob_user.login)
        calls = []
        original = Partner._abs_seat_page_parts

        def spy(partners, *args, **kwargs):
            calls.append(partners.env.uid)
            return original(partners, *args, **kwargs)

        with patch.object(Partner, "_abs_seat_page_parts", spy):
            for offset in (0, 5, 10):
                kwargs = {
                    "domain": [],
                    "specification": {"complete_name": {}, "email": {}},
                    "offset": offset,
                    "limit": 5,
                    "order": "",
                    "count_limit": 10001,
                }
                result = self.call_kw("res.partner", "web_search_read", [], kwargs)["result"]
                self.assertEqual([row["id"] for row in result["records"]], expected[offset : offset + 5])
                self.assertEqual(result["length"], len(expected))
        self.assertEqual(calls, [bob_user.id] * 3)
