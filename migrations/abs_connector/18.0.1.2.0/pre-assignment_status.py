"""18.0.1.2.0 — assignments store whether they have an agent (the analysis views group by it).

The column is created and filled here, in one UPDATE, before the ORM sees the
new stored field: left to the ORM, it would be computed row by row.
"""

from odoo.tools import SQL
from odoo.tools.sql import column_exists, create_column, table_exists

TABLE = "ov_sa_customer_assignment"


def migrate(cr, version):
    if not version:  # fresh install: the ORM creates the column on an empty table
        return
    if not table_exists(cr, TABLE):
        return
    if not column_exists(cr, TABLE, "assignment_status"):
        create_column(cr, TABLE, "assignment_status", "varchar")
    cr.execute(
        SQL(
            """
            UPDATE %(table)s
               SET assignment_status = CASE WHEN actor_id IS NULL THEN 'unassigned' ELSE 'assigned' END
             WHERE assignment_status IS DISTINCT FROM
                   CASE WHEN actor_id IS NULL THEN 'unassigned' ELSE 'assigned' END
            """,
            table=SQL.identifier(TABLE),
        )
    )
