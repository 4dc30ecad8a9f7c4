"""Runs first on every version change of the addon, before anything is loaded.

The real upgrade scripts sit in the repository's migrations/ and are reached
only through upgrade_path; this one ships inside the addon, where Odoo always
finds it, and stops the upgrade loudly when they cannot be reached (see
docs/adr/0011-migrations-never-skipped.md).
"""

import odoo.upgrade
from odoo.modules.module import adapt_version, get_manifest

from odoo.addons.abs_connector.upgrade_guard import MODULE, check_upgrade_scripts_reachable


def migrate(cr, version):
    if not version:  # fresh install: the post_init_hook bootstraps instead
        return
    target = adapt_version(get_manifest(MODULE)["version"])
    check_upgrade_scripts_reachable(version, target, list(odoo.upgrade.__path__))
