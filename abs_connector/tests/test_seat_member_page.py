"""A seat member's contact list in name order, read from their assignment rows.

Each assignment row carries its customer's ``complete_name`` (the order of Odoo's contact lists),
kept in step by the database whatever writes the rows or the partners; a seat member's page in
that order is then a merge of their rows, the partners without a Service Account and their own
partner, each part read in name order and stopping after the page (docs/performance.md, "Seat
users on Odoo's own screens"). Its rows and their order must be exactly those of Odoo's own search
under the seat-member rule.
"""


from odoo import Command
from odoo.tests import tagged

from ..hooks import uninstall_hook
from ..models import ov_sa_customer_assignment, res_partner
from .test_seat_member_rules import SeatMemberCase

# Patched on the addon's class: the registry's res.partner class inherits it.
Partner = res_partner.ResPartner


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
