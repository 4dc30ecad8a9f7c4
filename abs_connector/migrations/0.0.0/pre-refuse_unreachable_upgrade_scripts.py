"""Runs first on every version change of the addon, before anything is loaded.

The real upgrade scripts sit next to this folder when the addon comes from its
wheel, or in the repository's migrations/ reached through upgrade_path in a
checkout. This one always ships inside the addon, where Odoo always finds it,
and stops the upgrade loudly when they cannot be reached, or would run twice
(see docs/adr/0011-migrations-never-skipped.md).
"""

import odoo.upgrade
from odoo.modules.module import adapt_version, get_manifest

from odoo.addons.abs_connector.upgrade_guard import MODULE, check_upgrade_scripts_reachable


def migrate(cr, version):
    if not version:  # fresh install: the post_init_hook bootstraps instead
        return
    target = adapt_version(get_manifest(MODULE)["version"])
    check_upgrade_scripts_reachable(version, target, list(odoo.upgrade.__path__))
