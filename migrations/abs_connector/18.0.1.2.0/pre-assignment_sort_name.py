"""18.0.1.2.0 — assignments carry their customer's complete_name (the contact lists' order).

The column is created and filled here, in one UPDATE, before the ORM sees the new field;
the model's init() then creates the triggers that keep it in step (docs/adr/0013).
"""

import logging

from odoo.tools import SQL
from odoo.tools.sql import column_exists, create_column, table_exists

_logger = logging.getLogger(__name__)

TABLE = "ov_sa_customer_assignment"


def migrate(cr, version):
    if not version:  # fresh install: the ORM creates the column on an empty table
        return
    if not table_exists(cr, TABLE):
        return
    if not column_exists(cr, TABLE, "abs_sort_name"):
        # the type of res_partner.complete_name, hence its collation and its order
        create_column(cr, TABLE, "abs_sort_name", "varchar")
    cr.execute(
        SQL(
            """
            UPDATE %(table)s a
               SET abs_sort_name = p.complete_name
              FROM res_partner p
             WHERE p.id = a.partner_id AND a.abs_sort_name IS DISTINCT FROM p.complete_name
            """,
            table=SQL.identifier(TABLE),
        )
    )
    _logger.info("abs_connector: %s assignment row(s) given their customer's sort name", cr.rowcount)
