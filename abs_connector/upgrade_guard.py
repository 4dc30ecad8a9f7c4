"""Refuse an upgrade whose migration scripts Odoo cannot reach.

The addon's upgrade scripts live in the repository's top-level
``migrations/`` and Odoo finds them only through ``upgrade_path``. Without
that setting (or with a wrong one) Odoo would upgrade the module and skip
every script without a word. The guard script in the addon's own
``migrations/0.0.0/`` (which Odoo always finds and runs on every version
change) calls :func:`check_upgrade_scripts_reachable` before anything is
loaded. See docs/adr/0011-migrations-never-skipped.md.

Plain Python: no Odoo import, so unit tests can call it.
"""

import os

MODULE = "abs_connector"

# Every version folder under migrations/abs_connector/, oldest first. A unit
# test keeps this list equal to the folders on disk.
UPGRADE_STEPS = ("18.0.1.0.2", "18.0.1.1.0", "18.0.1.1.1", "18.0.1.2.0")


class UpgradeScriptsUnreachable(RuntimeError):
    """The upgrade would skip migration scripts: refuse it before anything changes."""


def _version_key(version):
    return tuple(int(part) for part in version.split("."))


def pending_steps(installed_version, target_version, steps=UPGRADE_STEPS):
    """The steps an upgrade from ``installed_version`` to ``target_version`` must run."""
    installed, target = _version_key(installed_version), _version_key(target_version)
    return [step for step in steps if installed < _version_key(step) <= target]


def unreachable_steps(pending, upgrade_dirs):
    """The pending steps with no ``<upgrade dir>/abs_connector/<step>/`` folder."""
    return [
        step
        for step in pending
        if not any(os.path.isdir(os.path.join(path, MODULE, step)) for path in upgrade_dirs)
    ]


def check_upgrade_scripts_reachable(installed_version, target_version, upgrade_dirs):
    """Raise :class:`UpgradeScriptsUnreachable` when a pending step cannot be found."""
    missing = unreachable_steps(pending_steps(installed_version, target_version), upgrade_dirs)
    if missing:
        searched = ", ".join(upgrade_dirs) or "nothing"
        raise UpgradeScriptsUnreachable(
            f"Upgrade of {MODULE} from {installed_version} to {target_version} refused: "
            f"the migration scripts of {', '.join(missing)} are not reachable through "
            f"upgrade_path (searched: {searched}). Set upgrade_path (odoo.conf) or "
            f"--upgrade-path to the repository's migrations/ directory, the one holding "
            f"{MODULE}/<version>/, and run the upgrade again. Nothing was changed."
        )
