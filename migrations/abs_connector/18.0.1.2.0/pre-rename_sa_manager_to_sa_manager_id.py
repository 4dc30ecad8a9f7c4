"""18.0.1.2.0 (pre) — the SA's manager field is renamed ``sa_manager`` -> ``sa_manager_id``.

Odoo's naming rule for a Many2one is the ``_id`` suffix. Renaming the column
before the module loads keeps every manager: otherwise Odoo would create an
empty ``sa_manager_id`` column and every branch would lose its manager. The
field's metadata (ir_model_fields, its XML id, the foreign key and its
record) is renamed with it, so the tracking history of the field stays
attached to it.

Idempotent: nothing to do once the column has its new name.
"""

import logging

from odoo.tools import SQL
from odoo.tools.sql import column_exists, rename_column

_logger = logging.getLogger(__name__)

TABLE = "ov_serviced_account"
MODEL = "ov.serviced_account"
OLD, NEW = "sa_manager", "sa_manager_id"


def migrate(cr, version):
    if not version:  # fresh install: the column is created with its new name
        return
    if not column_exists(cr, TABLE, OLD) or column_exists(cr, TABLE, NEW):
        return
    rename_column(cr, TABLE, OLD, NEW)
    _rename_foreign_key(cr)
    _rename_field_metadata(cr)
    _logger.info("abs_connector upgrade: renamed %s.%s to %s", TABLE, OLD, NEW)


def _rename_foreign_key(cr):
    old_key, new_key = f"{TABLE}_{OLD}_fkey", f"{TABLE}_{NEW}_fkey"
    cr.execute(SQL("SELECT 1 FROM pg_constraint WHERE conname = %s", old_key))
    if cr.fetchone():
        cr.execute(
            SQL(
                "ALTER TABLE %s RENAME CONSTRAINT %s TO %s",
                SQL.identifier(TABLE),
                SQL.identifier(old_key),
                SQL.identifier(new_key),
            )
        )
    cr.execute(SQL("UPDATE ir_model_constraint SET name = %s WHERE name = %s", new_key, old_key))


def _rename_field_metadata(cr):
    cr.execute(SQL("UPDATE ir_model_fields SET name = %s WHERE model = %s AND name = %s", NEW, MODEL, OLD))
    old_xmlid = f"field_{TABLE}__{OLD}"
    new_xmlid = f"field_{TABLE}__{NEW}"
    cr.execute(
        SQL(
            """UPDATE ir_model_data SET name = %s
                WHERE module = 'abs_connector' AND model = 'ir.model.fields' AND name = %s""",
            new_xmlid,
            old_xmlid,
        )
    )
