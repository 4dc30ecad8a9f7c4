"""18.0.1.3.0 — a document of a customer's contact or address carries that customer's stamps.

Before, an order, a lead or an invoice made out to a contact or an address of a governed
customer (an invoice address is what Odoo invoices an order to) took no Service Account: the
seat rules showed it to every member. Same code as
abs_connector.backfill.stamp_documents_of_contacts; new documents get their stamps when they
are created.
"""

from odoo import SUPERUSER_ID, api

from odoo.addons.abs_connector import backfill


def migrate(cr, version):
    if not version:  # fresh install: documents are created with their stamps
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    backfill.stamp_documents_of_contacts(env)
