"""18.0.1.0.2 — one seed Service Account per company.

Runs before 18.0.1.1.1 creates the global root when a database jumps several
versions at once: seeds created here start without a parent and 18.0.1.1.1
moves them under the root. On a database that already has a root they are
created in place. Same code as the install hook (abs_connector.bootstrap).
"""

from odoo import SUPERUSER_ID, api

from odoo.addons.abs_connector import bootstrap


def migrate(cr, version):
    if not version:  # fresh install: the post_init_hook bootstraps instead
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    bootstrap.ensure_company_seeds(env)
