"""Each assignment row carries its customer's standing (active, company, shared partner), kept in
step by the database whatever writes the rows or the partners (customer_standing.py,
docs/adr/0016): a list's bounded count reads it instead of the partners, so a copy that drifted
would make the count wrong."""

from odoo import Command
from odoo.tests import tagged

from .. import customer_standing
from ..hooks import uninstall_hook
from .test_seat_member_page import SortNameCase


class StandingCase(SortNameCase):
    def out_of_step(self):
        """Assignment rows (history too) whose copies are not their customer's columns."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT a.id FROM ov_sa_customer_assignment a JOIN res_partner p ON p.id = a.partner_id
             WHERE (a.abs_customer_active, a.abs_customer_company_id, a.abs_customer_share)
                   IS DISTINCT FROM (p.active, p.company_id, p.partner_share)
            """
        )
        return self.env.cr.fetchall()

    def standing(self, partner):
        """(active, company id, shared) of each of ``partner``'s rows, oldest first."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT abs_customer_active, abs_customer_company_id, abs_customer_share
              FROM ov_sa_customer_assignment WHERE partner_id = %s ORDER BY id
            """,
            [partner.id],
        )
        return self.env.cr.fetchall()


@tagged("post_install", "-at_install")
class TestAssignmentCustomerStanding(StandingCase):
    def test_every_row_carries_its_customers_active_flag_company_and_share(self):
        self.assertEqual(self.out_of_step(), [])
        customer = self.bobs_customer
        self.assertEqual(
            self.standing(customer), [(True, customer.company_id.id or None, customer.partner_share)]
        )

    def test_archiving_and_restoring_a_customer_through_the_lifecycle_reaches_its_rows(self):
        sam = self.sam.person_partner_id
        self.bobs_customer._abs_archive_governed_customer(self.sa, sam)
        self.assertEqual([active for active, *_rest in self.standing(self.bobs_customer)], [False])
        self.bobs_customer._abs_unarchive_governed_customer(self.sa, sam)
        self.assertEqual([active for active, *_rest in self.standing(self.bobs_customer)], [True])
        self.assertEqual(self.out_of_step(), [])

    def test_a_customer_moved_to_another_company_or_none_moves_its_rows_history_included(self):
        self.reassign(self.unassigned, self.bob)
        self.reassign(self.unassigned, None)
        company = self.env["res.company"].create({"name": "Standing Company"})
        self.unassigned.sudo().company_id = company
        self.assertEqual({row[1] for row in self.standing(self.unassigned)}, {company.id})
        self.assertEqual(len(self.standing(self.unassigned)), 3)
        self.unassigned.sudo().company_id = False
        self.assertEqual({row[1] for row in self.standing(self.unassigned)}, {None})
        self.assertEqual(self.out_of_step(), [])

    def test_a_customer_given_an_internal_user_is_no_longer_a_shared_partner_on_its_rows(self):
        self.assertEqual([share for *_rest, share in self.standing(self.unassigned)], [True])
        self.env["res.users"].create(
            {
                "name": "Standing Internal",
                "login": "standing-internal@example.com",
                "partner_id": self.unassigned.id,
                "groups_id": [Command.set([self.env.ref("base.group_user").id])],
            }
        )
        self.assertEqual([share for *_rest, share in self.standing(self.unassigned)], [False])
        self.assertEqual(self.out_of_step(), [])

    def test_raw_sql_inserts_updates_and_repointing_keep_the_copies(self):
        cr = self.env.cr
        self.env.flush_all()
        cr.execute("UPDATE res_partner SET active = FALSE WHERE id = %s", [self.vendor.id])
        cr.execute(
            """
            INSERT INTO ov_sa_customer_assignment (account_id, partner_id, state, date_from, date_to)
            VALUES (%s, %s, 'expired', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
            """,
            [self.other_sa.id, self.vendor.id],
        )
        self.assertEqual([active for active, *_rest in self.standing(self.vendor)], [False])
        cr.execute("UPDATE res_partner SET active = TRUE WHERE id = %s", [self.vendor.id])
        self.assertEqual([active for active, *_rest in self.standing(self.vendor)], [True])
        cr.execute("UPDATE res_partner SET active = FALSE WHERE id = %s", [self.elsewhere.id])
        cr.execute(
            "UPDATE ov_sa_customer_assignment SET partner_id = %s WHERE partner_id = %s",
            [self.elsewhere.id, self.vendor.id],
        )
        self.assertEqual([active for active, *_rest in self.standing(self.elsewhere)], [False, False])
        self.env.invalidate_all()
        self.assertEqual(self.out_of_step(), [])

    def test_one_statement_archiving_many_customers_reaches_every_row(self):
        customers = self.bobs_customer | self.unassigned | self.adas_customer
        self.env.flush_all()
        self.env.cr.execute("UPDATE res_partner SET active = FALSE WHERE id = ANY(%s)", [customers.ids])
        for customer in customers:
            self.assertEqual({active for active, *_rest in self.standing(customer)}, {False})
        self.assertEqual(self.out_of_step(), [])

    def test_a_statement_writing_more_partners_than_a_cached_plan_takes_reaches_every_row(self):
        """Past a few dozen partners the trigger plans its update for the rows at hand (EXECUTE):
        the same rows, history included, whichever way it goes."""
        partners = self.env["res.partner"].create(
            [{"name": f"Standing Bulk {n}"} for n in range(customer_standing._CACHED_PLAN_MAX_ROWS + 6)]
        )
        self.env.flush_all()
        for state in ("active", "expired"):
            self.env.cr.execute(
                """
                INSERT INTO ov_sa_customer_assignment (account_id, partner_id, state, date_from)
                SELECT %s, id, %s, now() AT TIME ZONE 'UTC' FROM res_partner WHERE id = ANY(%s)
                """,
                [self.other_sa.id if state == "active" else self.sa.id, state, partners.ids],
            )
        company = self.env["res.company"].create({"name": "Standing Bulk Company"})
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_partner SET company_id = %s, active = FALSE WHERE id = ANY(%s)",
            [company.id, partners.ids],
        )
        self.env.cr.execute(
            """
            SELECT count(*) FROM ov_sa_customer_assignment
             WHERE partner_id = ANY(%s) AND abs_customer_company_id = %s AND NOT abs_customer_active
            """,
            [partners.ids, company.id],
        )
        self.assertEqual(self.env.cr.fetchone()[0], 2 * len(partners))
        self.assertEqual(self.out_of_step(), [])

    def test_a_bulk_insert_giving_the_copies_itself_is_not_looked_up_again(self):
        """The backfill joins the partners already: the rows it inserts keep what it gives (the
        insert trigger fires only for a row without them)."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            INSERT INTO ov_sa_customer_assignment (account_id, partner_id, state, date_from, date_to,
                                                   abs_customer_active, abs_customer_company_id,
                                                   abs_customer_share)
            VALUES (%s, %s, 'expired', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', FALSE, NULL, FALSE)
            """,
            [self.other_sa.id, self.vendor.id],
        )
        self.assertEqual(self.standing(self.vendor), [(False, None, False)])
        self.assertEqual(customer_standing.mend(self.env.cr), 1)
        self.assertEqual(self.out_of_step(), [])

    def test_an_upgrade_mends_rows_that_differ(self):
        self.env.flush_all()
        self.env.cr.execute("ALTER TABLE res_partner DISABLE TRIGGER abs_partner_standing_upd")
        self.env.cr.execute("UPDATE res_partner SET active = FALSE WHERE id = %s", [self.bobs_customer.id])
        self.env.cr.execute("ALTER TABLE res_partner ENABLE TRIGGER abs_partner_standing_upd")
        self.assertTrue(self.out_of_step())
        self.env["ov.sa_customer_assignment"].init()
        self.assertEqual(self.out_of_step(), [])

    def test_the_copies_are_no_fields_the_orm_or_rpc_could_read_or_write(self):
        fields = self.env["ov.sa_customer_assignment"]._fields
        self.assertFalse(set(customer_standing.COPIES) & set(fields))

    def test_uninstall_removes_the_trigger_it_put_on_the_partners(self):
        def triggers():
            self.env.cr.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'abs_%%standing%%'")
            return {name for (name,) in self.env.cr.fetchall()}

        self.assertEqual(triggers(), {name for name, *_rest in customer_standing.TRIGGERS})
        uninstall_hook(self.env)  # rolled back with the test transaction
        self.assertEqual(triggers(), set())
