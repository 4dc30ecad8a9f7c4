"""18.0.1.2.0 — a governed customer belongs to its Service Account's company.

Odoo's multi-company rule on contacts then keeps other companies' users out.
Same code as the backfill (abs_connector.backfill.give_customers_their_companies): more
customers than one batch are left to the scheduled action, a batch per transaction. New
customers get their company when they are created.
"""

from odoo import SUPERUSER_ID, api

from odoo.addons.abs_connector import backfill


def migrate(cr, version):
    if not version:  # fresh install: customers are created with their company
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    backfill.give_customers_their_companies(env)
