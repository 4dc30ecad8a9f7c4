"""18.0.1.1.1 — the global root Service Account; every company seed moves under it.

Idempotent: an existing root is reused, seeds already under it stay put.
Same code as the install hook (abs_connector.bootstrap).
"""

from odoo import SUPERUSER_ID, api

from odoo.addons.abs_connector import bootstrap


def migrate(cr, version):
    if not version:  # fresh install: the post_init_hook bootstraps instead
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    bootstrap.ensure_global_root(env)
