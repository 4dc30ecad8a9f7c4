"""18.0.1.4.0 — assignments carry their customer's standing (active, company, shared partner).

The columns are created and filled here, in one UPDATE, and the three partial indexes of the
active rows are dropped: the model's init() creates them again with the copies included, and the
triggers that keep the copies in step (docs/adr/0016). Same code as
abs_connector.customer_standing.
"""

import logging

from odoo.tools import SQL
from odoo.tools.sql import table_exists

from odoo.addons.abs_connector import customer_standing

_logger = logging.getLogger(__name__)

# Built again by init() with the customer's standing included.
REBUILT_INDEXES = (
    "ov_sa_customer_assignment_active_actor_rows",
    "ov_sa_customer_assignment_active_unassigned_rows",
    "ov_sa_customer_assignment_active_account_rows",
)


def migrate(cr, version):
    if not version:  # fresh install: init() creates the columns on an empty table
        return
    if not table_exists(cr, customer_standing.TABLE):
        return
    for index in REBUILT_INDEXES:
        cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(index)))
    customer_standing.add_columns(cr)
    mended = customer_standing.mend(cr)
    _logger.info("abs_connector: %s assignment row(s) given their customer's standing", mended)
