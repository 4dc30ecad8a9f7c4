"""The delta-sync change log on real, separately committed transactions.

These tests need transactions that commit in another order than they wrote, so they write their
own change rows through their own connections, commit them, and delete them afterwards. The
test transaction itself is left untouched.
"""

from contextlib import closing
from datetime import timedelta
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, fields
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from ..governance import api_schemas, sync
from ..hooks import uninstall_hook
from ..models.abs_contact_change import COMPACTED_HORIZON_PARAM, REPRESENTED_COLUMNS, AbsContactChange
from .common import AbsGovernanceCase

# Customer ids far above anything a test database holds: cleanup finds exactly these rows.
PARTNER_BASE = 2_000_000_000


@tagged("post_install", "-at_install", "abs_api")
class TestContactChangeLog(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dbname = cls.env.cr.dbname
        # an account committed at installation, visible to every connection
        cls.account_id = cls.env["ov.serviced_account"].search([], order="id", limit=1).id

    def setUp(self):
        super().setUp()
        compacted = self.env["ir.config_parameter"].sudo().get_param(COMPACTED_HORIZON_PARAM)
        self.addCleanup(self._cleanup, compacted)

    def _cursor(self):
        return db_connect(self.dbname).cursor()

    def _cleanup(self, compacted):
        with closing(self._cursor()) as cr:
            cr.execute("DELETE FROM abs_contact_change WHERE partner_id >= %s", [PARTNER_BASE])
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ir.config_parameter"].set_param(COMPACTED_HORIZON_PARAM, compacted or False)
            # Its own connection, not the test's: the rows it removes were committed.
            cr.commit()  # pylint: disable=invalid-commit

    def _write_change(self, cr, partner_id):
        cr.execute(
            "INSERT INTO abs_contact_change (partner_id, account_id, old_visible, new_visible, changed_at) "
            "VALUES (%s, %s, false, true, now() AT TIME ZONE 'UTC') RETURNING id",
            [partner_id, self.account_id],
        )
        return cr.fetchone()[0]

    def _read(self, horizon):
        """What a sync request in its own transaction reads: (our changed ids, its new horizon)."""
        with closing(self._cursor()) as cr:
            changes = api.Environment(cr, SUPERUSER_ID, {})["abs.contact.change"]
            new_horizon = changes._abs_horizon()
            ids = changes._abs_changed_partner_ids(
                [("account_id", "=", self.account_id)], horizon, PARTNER_BASE - 1, 1000
            )
        return ids, new_horizon

    def test_change_committed_late_with_an_earlier_id_is_never_skipped(self):
        _ids, start = self._read(0)
        late = self._cursor()
        self.addCleanup(late.close)
        late_id = self._write_change(late, PARTNER_BASE + 1)  # takes its id first, commits last
        with closing(self._cursor()) as quick:
            quick_id = self._write_change(quick, PARTNER_BASE + 2)
            quick.commit()  # pylint: disable=invalid-commit

        seen, horizon = self._read(start)
        self.assertEqual(seen, [PARTNER_BASE + 2])
        late.commit()  # pylint: disable=invalid-commit
        seen_next, _horizon = self._read(horizon)

        self.assertLess(late_id, quick_id, "the late change holds the smaller sequence value")
        self.assertIn(PARTNER_BASE + 1, seen_next)

    def test_compaction_resets_cursors_older_than_the_retention_only(self):
        _ids, old_horizon = self._read(0)
        with closing(self._cursor()) as cr:
            self._write_change(cr, PARTNER_BASE + 3)
            cr.execute("SELECT pg_current_xact_id()::text::bigint")
            after_it = cr.fetchone()[0] + 1
            cr.commit()  # pylint: disable=invalid-commit
        # The real horizon is the oldest transaction running anywhere on the cluster (this test's
        # own, other databases'...): pin it just past the change, as on a quiet server.
        with (
            closing(self._cursor()) as cr,
            patch.object(AbsContactChange, "_abs_horizon", return_value=after_it),
        ):
            env = api.Environment(cr, SUPERUSER_ID, {})
            # every change written so far is older than a cut-off in the future
            env["abs.contact.change"]._abs_compact(fields.Datetime.now() + timedelta(days=1))
            compacted = env["abs.contact.change"]._abs_compacted_horizon()
            cr.commit()  # pylint: disable=invalid-commit
        seen, _horizon = self._read(0)

        self.assertNotIn(PARTNER_BASE + 3, seen)
        self.assertEqual(compacted, after_it)
        old = sync.Cursor(1, 1, "f", sync.MODE_DELTA, old_horizon)
        fresh = sync.Cursor(1, 1, "f", sync.MODE_DELTA, after_it)
        self.assertEqual(sync.reset_reason(old, "f", compacted, False), sync.RESET_EXPIRED)
        self.assertIsNone(sync.reset_reason(fresh, "f", compacted, False))

    def test_compaction_never_passes_a_running_transaction(self):
        running = self._cursor()
        self.addCleanup(running.close)
        self._write_change(running, PARTNER_BASE + 4)
        with closing(self._cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["abs.contact.change"]._abs_compact(fields.Datetime.now() + timedelta(days=1))
            cr.commit()  # pylint: disable=invalid-commit
        running.commit()  # pylint: disable=invalid-commit
        seen, _horizon = self._read(0)
        self.assertIn(PARTNER_BASE + 4, seen)

    def test_retention_comes_from_the_server_configuration(self):
        changes = self.env["abs.contact.change"]
        self.env["ir.config_parameter"].sudo().set_param("abs_connector.sync_retention_days", "7")
        self.assertEqual(changes._abs_retention_days(), 7)
        self.env["ir.config_parameter"].sudo().set_param("abs_connector.sync_retention_days", "soon")
        with mute_logger("odoo.addons.abs_connector.models.abs_contact_change"):
            self.assertEqual(changes._abs_retention_days(), 30)

    def test_uninstall_removes_the_triggers_it_put_on_odoo_tables(self):
        def triggers():
            self.env.cr.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'abs_contact_change_%%'")
            return {name for (name,) in self.env.cr.fetchall()}

        self.assertEqual(len(triggers()), 5)
        uninstall_hook(self.env)  # rolled back with the test transaction
        self.assertEqual(triggers(), set())

    def test_every_field_a_client_writes_is_a_logged_column(self):
        # a field added to the contact representation must reach offline replicas too
        missing = set(api_schemas.CONTACT_WRITABLE_FIELDS.values()) - set(REPRESENTED_COLUMNS)
        self.assertFalse(missing, "add them to REPRESENTED_COLUMNS in models/abs_contact_change.py")


@tagged("post_install", "-at_install", "abs_api")
class TestChangeLogOfBulkStatements(AbsGovernanceCase):
    """The change log's statement triggers on statements of many rows."""

    def test_a_bulk_statement_after_a_one_row_write_logs_exactly_its_changed_customers(self):
        branch = self.make_branch("Bulk Log")
        customers = self.env["res.partner"].concat(*(self.make_customer(branch) for _index in range(30)))
        self.env.flush_all()
        cr = self.env.cr
        # the connection's first write through each trigger is of one row: a plan kept from it
        # would be a nested loop over both transition tables (docs of _PARTNER_TRIGGER_FUNCTION)
        cr.execute("UPDATE res_partner SET city = 'One' WHERE id = %s", [customers[0].id])
        cr.execute("SELECT max(id) FROM abs_contact_change")
        before = cr.fetchone()[0] or 0

        cr.execute("UPDATE res_partner SET city = 'Many' WHERE id = ANY(%s)", [customers.ids])
        cr.execute("UPDATE res_partner SET ref = 'not represented' WHERE id = ANY(%s)", [customers.ids])

        cr.execute("SELECT partner_id, account_id FROM abs_contact_change WHERE id > %s", [before])
        self.assertCountEqual(cr.fetchall(), [(customer.id, branch.id) for customer in customers])

    def test_every_statement_joining_old_and_new_rows_is_planned_for_its_rows(self):
        # PL/pgSQL keeps a statement's first plan for the connection: made for a one-row write, it
        # compares every old row with every new one of a later bulk write (155 s for 20,000)
        self.env.cr.execute(
            "SELECT proname, prosrc FROM pg_proc WHERE proname LIKE 'abs_contact_change_on_%%'"
        )
        functions = dict(self.env.cr.fetchall())
        self.assertEqual(len(functions), 3)
        for name, source in functions.items():
            statements = "".join(source.split("$statement$")[::2]).split(";")
            with self.subTest(function=name):
                self.assertFalse(
                    [sql for sql in statements if "abs_old_rows" in sql and "abs_new_rows" in sql],
                    "a join of the transition tables outside EXECUTE",
                )
