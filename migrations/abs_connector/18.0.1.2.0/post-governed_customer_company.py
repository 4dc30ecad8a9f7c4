"""18.0.1.2.0 — a governed customer belongs to its Service Account's company.

Odoo's multi-company rule on contacts then keeps other companies' users out.
Same code as abs_connector.backfill.assign_customer_companies; new customers get
their company when they are created.
"""

from odoo import SUPERUSER_ID, api

from odoo.addons.abs_connector import backfill


def migrate(cr, version):
    if not version:  # fresh install: customers are created with their company
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    backfill.assign_customer_companies(env)
