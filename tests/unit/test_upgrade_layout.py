"""The upgrade scripts are where `odoo -u abs_connector` looks for them.

Odoo only runs migrations found through ``upgrade_path``; a wrong path or a
version directory above the manifest version makes an upgrade silently skip
them. These checks read the shipped files, no Odoo needed.
"""

import ast
import configparser
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
MIGRATIONS = REPO / "migrations" / "abs_connector"
EXPECTED_VERSIONS = ["18.0.1.0.2", "18.0.1.1.0", "18.0.1.1.1", "18.0.1.2.0", "18.0.1.3.0", "18.0.1.4.0"]


def _version_key(version):
    return tuple(int(part) for part in version.split("."))


def _manifest_version():
    return ast.literal_eval((REPO / "abs_connector" / "__manifest__.py").read_text())["version"]


def _migrate_function(script):
    tree = ast.parse(script.read_text(), filename=str(script))
    return next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "migrate")


def test_shipped_odoo_conf_upgrade_path_is_where_docker_compose_mounts_migrations():
    config = configparser.ConfigParser(interpolation=None)
    config.read(REPO / "odoo.conf")
    upgrade_path = config["options"]["upgrade_path"]
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    mounts = {}
    for volume in compose["services"]["odoo"]["volumes"]:
        source, target = volume.split(":")[:2]
        mounts[target] = source
    assert mounts.get(upgrade_path) == "./migrations"


def test_migration_versions_are_seed_002s_three_then_the_analysis_column_each_with_a_script():
    versions = sorted((path.name for path in MIGRATIONS.iterdir() if path.is_dir()), key=_version_key)
    assert versions == EXPECTED_VERSIONS
    for version in versions:
        assert list((MIGRATIONS / version).glob("p*-*.py")), version


def test_manifest_version_is_the_newest_migration_so_every_script_runs_on_upgrade():
    newest = max(EXPECTED_VERSIONS, key=_version_key)
    assert _manifest_version() == newest


def test_every_script_defines_migrate_cr_version_and_skips_fresh_installs():
    scripts = sorted(MIGRATIONS.glob("*/*.py"))
    assert scripts
    for script in scripts:
        migrate = _migrate_function(script)
        assert [arg.arg for arg in migrate.args.args] == ["cr", "version"], script
        first = migrate.body[0]
        # `if not version: return` -- a fresh install is bootstrapped by the install hook.
        assert isinstance(first, ast.If), script
        assert ast.unparse(first.test) == "not version", script
        assert isinstance(first.body[0], ast.Return), script


def test_upgrade_guard_lists_every_migration_version_folder():
    from upgrade_guard import UPGRADE_STEPS

    folders = sorted((path.name for path in MIGRATIONS.iterdir() if path.is_dir()), key=_version_key)
    assert list(UPGRADE_STEPS) == folders


def test_upgrade_guard_ships_inside_the_addon_where_odoo_always_finds_it():
    guard = REPO / "abs_connector" / "migrations" / "0.0.0"
    scripts = [path.name for path in guard.glob("*.py")]
    assert scripts == ["pre-refuse_unreachable_upgrade_scripts.py"]
    migrate = _migrate_function(guard / scripts[0])
    assert [arg.arg for arg in migrate.args.args] == ["cr", "version"]


def test_upgrade_guard_accepts_the_repository_migrations_directory():
    from upgrade_guard import check_upgrade_scripts_reachable

    check_upgrade_scripts_reachable("18.0.1.0.1", _manifest_version(), [str(REPO / "migrations")])


def test_upgrade_guard_refuses_a_missing_or_wrong_upgrade_path():
    from upgrade_guard import UpgradeScriptsUnreachable, check_upgrade_scripts_reachable

    for upgrade_dirs in ([], [str(MIGRATIONS)], ["/nonexistent"]):
        with pytest.raises(UpgradeScriptsUnreachable, match="18.0.1.0.2, 18.0.1.1.0"):
            check_upgrade_scripts_reachable("18.0.1.0.1", _manifest_version(), upgrade_dirs)


def test_upgrade_guard_only_requires_the_steps_newer_than_the_installed_version():
    from upgrade_guard import check_upgrade_scripts_reachable, pending_steps

    assert pending_steps("18.0.1.1.0", "18.0.1.1.1", ("18.0.1.0.2", "18.0.1.1.0", "18.0.1.1.1")) == [
        "18.0.1.1.1"
    ]
    newest = max(EXPECTED_VERSIONS, key=_version_key)
    check_upgrade_scripts_reachable(newest, newest, [])


def _addon_migrations_with_every_step(folder):
    for step in EXPECTED_VERSIONS:
        (folder / step).mkdir(parents=True)
        (folder / step / "post-x.py").write_text("def migrate(cr, version):\n    pass\n")
    return str(folder)


def test_upgrade_guard_accepts_scripts_in_the_addons_own_migrations_folder_without_upgrade_path(tmp_path):
    from upgrade_guard import check_upgrade_scripts_reachable

    addon_migrations = _addon_migrations_with_every_step(tmp_path / "migrations")
    check_upgrade_scripts_reachable("18.0.1.0.1", _manifest_version(), [], addon_migrations=addon_migrations)


def test_upgrade_guard_refuses_scripts_reachable_neither_in_the_addon_nor_through_upgrade_path(tmp_path):
    from upgrade_guard import UpgradeScriptsUnreachable, check_upgrade_scripts_reachable

    guard_only = tmp_path / "migrations" / "0.0.0"
    guard_only.mkdir(parents=True)
    with pytest.raises(UpgradeScriptsUnreachable, match="neither in the addon's own migrations/ nor through"):
        check_upgrade_scripts_reachable(
            "18.0.1.0.1",
            _manifest_version(),
            [str(tmp_path / "elsewhere")],
            addon_migrations=str(guard_only.parent),
        )


def test_upgrade_guard_refuses_scripts_both_in_the_addon_and_through_upgrade_path(tmp_path):
    from upgrade_guard import UpgradeScriptsTwice, check_upgrade_scripts_reachable

    addon_migrations = _addon_migrations_with_every_step(tmp_path / "migrations")
    with pytest.raises(UpgradeScriptsTwice, match="18.0.1.2.0, 18.0.1.3.0, 18.0.1.4.0 are both in the addon"):
        check_upgrade_scripts_reachable(
            "18.0.1.1.1", _manifest_version(), [str(REPO / "migrations")], addon_migrations=addon_migrations
        )
