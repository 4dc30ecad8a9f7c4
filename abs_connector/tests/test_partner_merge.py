from odoo import Command
from odoo.tests import tagged

from .common import AbsSaTreeCase


@tagged("post_install", "-at_install")
class TestPartnerMergeKeepsHistory(AbsSaTreeCase):
    """Odoo's Merge Contacts wizard on governed customers keeps every assignment row."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_branch = cls.make_branch("Ghana Field Operations")

    def merge(self, partners, survivor):
        wizard = (
            self.env["base.partner.merge.automatic.wizard"]
            .with_context(active_model="res.partner", active_ids=partners.ids)
            .create({"partner_ids": [Command.set(partners.ids)], "dst_partner_id": survivor.id})
        )
        wizard.action_merge()

    def rows(self, *partners):
        return (
            self.env["ov.sa_customer_assignment"]
            .sudo()
            .search([("partner_id", "in", [p.id for p in partners])])
        )

    def test_merge_of_two_customers_of_one_sa_expires_the_source_row_with_a_note(self):
        survivor = self.make_customer(self.tree.branch, self.tree.jean, email="dup@client.example.com")
        duplicate = self.make_customer(self.tree.branch, self.tree.kwame, email="dup2@client.example.com")
        duplicate.email = "dup@client.example.com"
        ids_before = set((self.rows(survivor) | self.rows(duplicate)).ids)
        kept = self.active_assignment(survivor, self.tree.branch)
        source_row = self.active_assignment(duplicate, self.tree.branch)

        self.merge(survivor | duplicate, survivor)

        self.assertFalse(duplicate.exists())
        rows = self.rows(survivor)
        self.assertEqual(set(rows.ids), ids_before, "no assignment row may be deleted by a merge")
        self.assertEqual(self.active_assignment(survivor, self.tree.branch), kept)
        self.assertEqual(source_row.state, "expired")
        self.assertTrue(source_row.date_to)
        self.assertIn(survivor.display_name, source_row.note)
        self.assertEqual(source_row.partner_id, survivor)

    def test_merge_across_sas_keeps_one_active_row_in_each(self):
        survivor = self.make_customer(self.tree.branch, self.tree.jean, email="x@client.example.com")
        other = self.make_customer(self.other_branch, None, email="x@client.example.com")

        self.merge(survivor | other, survivor)

        active = self.rows(survivor).filtered(lambda row: row.state == "active")
        self.assertEqual(active.account_id, self.tree.branch | self.other_branch)
        self.assertEqual(len(active), 2)

    def test_merge_into_an_ungoverned_contact_moves_the_history_to_it(self):
        plain = self.env["res.partner"].create({"name": "Plain", "email": "p@client.example.com"})
        governed = self.make_customer(self.tree.branch, self.tree.jean, email="p@client.example.com")
        row = self.active_assignment(governed, self.tree.branch)

        self.merge(plain | governed, plain)

        self.assertEqual(row.partner_id, plain)
        self.assertEqual(row.state, "active")
        self.assertEqual(plain.x_sa_id, self.tree.branch, "the V2 stamp follows the surviving partner")
