"""Refuse an upgrade whose migration scripts Odoo cannot reach, or would run twice.

In a repository checkout the addon's upgrade scripts live in the top-level
``migrations/`` and Odoo finds them only through ``upgrade_path``. The wheel
(``./dev wheel``) carries them in the addon's own ``migrations/<version>/``,
where Odoo always finds them. Without either, Odoo would upgrade the module and
skip every script without a word; with both, it would run each script twice.
The guard script in the addon's ``migrations/0.0.0/`` (which Odoo always finds
and runs first on every version change) calls
:func:`check_upgrade_scripts_reachable` before anything is loaded. See
docs/adr/0011-migrations-never-skipped.md.

Plain Python: no Odoo import, so unit tests can call it.
"""

import os

MODULE = "abs_connector"

# The addon's own migrations folder: the guard's alone in a checkout, every step's in the wheel.
ADDON_MIGRATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations")

# Every version folder under migrations/abs_connector/, oldest first. A unit
# test keeps this list equal to the folders on disk.
UPGRADE_STEPS = ("18.0.1.0.2", "18.0.1.1.0", "18.0.1.1.1", "18.0.1.2.0", "18.0.1.3.0", "18.0.1.4.0")


class UpgradeScriptsUnreachable(RuntimeError):
    """The upgrade would skip migration scripts: refuse it before anything changes."""


class UpgradeScriptsTwice(RuntimeError):
    """The upgrade would run migration scripts twice: refuse it before anything changes."""


def _version_key(version):
    return tuple(int(part) for part in version.split("."))


def pending_steps(installed_version, target_version, steps=UPGRADE_STEPS):
    """The steps an upgrade from ``installed_version`` to ``target_version`` must run."""
    installed, target = _version_key(installed_version), _version_key(target_version)
    return [step for step in steps if installed < _version_key(step) <= target]


def script_folders(upgrade_dirs, addon_migrations=ADDON_MIGRATIONS):
    """Where Odoo looks for the addon's ``<version>/`` folders: the addon's own ``migrations/``
    and ``<entry>/abs_connector/`` of every upgrade_path entry."""
    return [addon_migrations] + [os.path.join(path, MODULE) for path in upgrade_dirs]


def _holders(step, folders):
    return [folder for folder in folders if os.path.isdir(os.path.join(folder, step))]


def unreachable_steps(pending, upgrade_dirs, addon_migrations=ADDON_MIGRATIONS):
    """The pending steps found in none of the folders Odoo searches."""
    folders = script_folders(upgrade_dirs, addon_migrations)
    return [step for step in pending if not _holders(step, folders)]


def doubled_steps(pending, upgrade_dirs, addon_migrations=ADDON_MIGRATIONS):
    """The pending steps found in more than one folder: Odoo would run each copy."""
    folders = script_folders(upgrade_dirs, addon_migrations)
    return [step for step in pending if len(_holders(step, folders)) > 1]


def check_upgrade_scripts_reachable(
    installed_version, target_version, upgrade_dirs, addon_migrations=ADDON_MIGRATIONS
):
    """Raise when a pending step cannot be found, or is found twice.

    :raise UpgradeScriptsUnreachable: a step is in no folder Odoo searches.
    :raise UpgradeScriptsTwice: a step is both in the addon and under upgrade_path.
    """
    pending = pending_steps(installed_version, target_version)
    folders = script_folders(upgrade_dirs, addon_migrations)
    if missing := unreachable_steps(pending, upgrade_dirs, addon_migrations):
        raise UpgradeScriptsUnreachable(
            f"Upgrade of {MODULE} from {installed_version} to {target_version} refused: "
            f"the migration scripts of {', '.join(missing)} are not reachable: neither in the "
            f"addon's own migrations/ nor through upgrade_path (searched: {', '.join(folders)}). "
            f"Install the addon from its wheel (./dev wheel), which carries them, or set "
            f"upgrade_path (odoo.conf) or --upgrade-path to the repository's migrations/ "
            f"directory, the one holding {MODULE}/<version>/, and run the upgrade again. "
            f"Nothing was changed."
        )
    if doubled := doubled_steps(pending, upgrade_dirs, addon_migrations):
        raise UpgradeScriptsTwice(
            f"Upgrade of {MODULE} from {installed_version} to {target_version} refused: the "
            f"migration scripts of {', '.join(doubled)} are both in the addon's own migrations/ "
            f"and through upgrade_path (searched: {', '.join(folders)}), so Odoo would run them "
            f"twice. The addon carries its scripts: remove the {MODULE} entry from upgrade_path "
            f"and run the upgrade again. Nothing was changed."
        )
