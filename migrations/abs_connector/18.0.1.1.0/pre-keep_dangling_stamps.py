"""18.0.1.1.0 (pre) — let the upgrade through stamps that point at nothing.

A V2 database whose stamp foreign keys were dropped (hand-made columns,
restored partial dumps, bulk loads with triggers off) can hold ``x_sa_id`` /
``x_actor_id`` values that reference a deleted Service Account or partner.
Odoo re-creates the missing foreign key while loading the module, before any
post script runs, and PostgreSQL refuses it on such rows: the whole upgrade
would abort.

This script creates that foreign key itself, exactly as Odoo would (same
target, same ON DELETE as the field declares in ir_model_fields) but
``NOT VALID``: new writes are checked, existing rows are left as they are so
the backfill (post script) can report and skip them instead of guessing.
Odoo finds the key in place and keeps it. Once the operator has fixed the
reported rows, ``ALTER TABLE ... VALIDATE CONSTRAINT`` makes it a normal key
(see docs/operations/upgrade.md).
"""

import logging

from odoo.tools import SQL
from odoo.tools.sql import column_exists, table_exists

_logger = logging.getLogger(__name__)

GOVERNED_TABLES = {
    "res_partner": "res.partner",
    "sale_order": "sale.order",
    "crm_lead": "crm.lead",
    "account_move": "account.move",
}
STAMP_TARGETS = {"x_sa_id": "ov_serviced_account", "x_actor_id": "res_partner"}


def migrate(cr, version):
    if not version:
        return
    for table, model in GOVERNED_TABLES.items():
        for column, target in STAMP_TARGETS.items():
            if table_exists(cr, target) and column_exists(cr, table, column):
                _keep_dangling(cr, table, model, column, target)


def _has_foreign_key(cr, table, column):
    cr.execute(
        SQL(
            """
        SELECT 1
          FROM pg_constraint fk
          JOIN pg_class c ON c.oid = fk.conrelid
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = fk.conkey[1]
         WHERE fk.contype = 'f' AND c.relname = %s AND a.attname = %s
        """,
            table,
            column,
        )
    )
    return bool(cr.fetchone())


def _keep_dangling(cr, table, model, column, target):
    if _has_foreign_key(cr, table, column):
        return
    cr.execute(
        SQL(
            "SELECT COUNT(*) FROM %(table)s t WHERE t.%(column)s IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM %(target)s x WHERE x.id = t.%(column)s)",
            table=SQL.identifier(table),
            column=SQL.identifier(column),
            target=SQL.identifier(target),
        )
    )
    dangling = cr.fetchone()[0]
    if not dangling:
        return  # Odoo adds a normal, validated key itself
    cr.execute(
        SQL(
            "SELECT on_delete FROM ir_model_fields WHERE model = %s AND name = %s",
            model,
            column,
        )
    )
    row = cr.fetchone()
    on_delete = ((row and row[0]) or "set null").upper()
    if on_delete not in ("SET NULL", "RESTRICT", "CASCADE"):
        on_delete = "SET NULL"
    cr.execute(
        SQL(
            "ALTER TABLE %s ADD FOREIGN KEY (%s) REFERENCES %s(id) ON DELETE %s NOT VALID",
            SQL.identifier(table),
            SQL.identifier(column),
            SQL.identifier(target),
            SQL(on_delete),
        )
    )
    _logger.warning(
        "abs_connector upgrade: %s row(s) of %s have a %s pointing at a missing %s; "
        "foreign key added as NOT VALID, rows kept for review",
        dangling,
        table,
        column,
        target,
    )
