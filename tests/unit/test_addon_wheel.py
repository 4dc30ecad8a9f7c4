"""abs_connector is pip-installable the OCA way: odoo-addon-abs_connector, built by whool.

whool builds the wheel from the addon's own metadata (manifest: name, version,
summary, license, depends, external Python dependencies) and packages every
file git tracks in the addon under ``odoo/addons/abs_connector/``, where an
Odoo installed with pip finds it without any addons_path change. ``./dev wheel``
(tools/devctl/wheel.py, built here with the same code) adds the top-level
upgrade scripts in the addon's own ``migrations/<version>/``.
"""

import ast
import email
import subprocess
import zipfile
from pathlib import Path

import pytest
from devctl import wheel as addon_wheel

REPO = Path(__file__).resolve().parents[2]
ADDON = REPO / "abs_connector"
PREFIX = "odoo/addons/abs_connector/"
UPGRADE_SCRIPTS = REPO / "migrations" / "abs_connector"


@pytest.fixture(scope="module")
def manifest():
    return ast.literal_eval((ADDON / "__manifest__.py").read_text())


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    path = addon_wheel.build(tmp_path_factory.mktemp("dist"))
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        metadata_name = next(name for name in names if name.endswith(".dist-info/METADATA"))
        metadata = email.message_from_bytes(archive.read(metadata_name))
    return {"path": path, "names": names, "metadata": metadata}


def _tracked_addon_files():
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ADDON,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {name for name in listing.split("\0") if name and name != "pyproject.toml"}


def _upgrade_scripts():
    """Every file of the top-level migrations/abs_connector/, as ``migrations/<version>/<name>``."""
    return {
        f"migrations/{path.relative_to(UPGRADE_SCRIPTS)}"
        for path in UPGRADE_SCRIPTS.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_addon_builds_with_whool_as_oca_addons_do():
    pyproject = (ADDON / "pyproject.toml").read_text()
    assert 'build-backend = "whool.buildapi"' in pyproject
    assert 'requires = ["whool"]' in pyproject


@pytest.mark.slow
def test_wheel_is_odoo_addon_abs_connector_at_the_manifest_version(wheel, manifest):
    metadata = wheel["metadata"]
    assert metadata["Name"] == "odoo-addon-abs_connector"
    assert metadata["Version"].startswith(manifest["version"])
    assert metadata["License"] == manifest["license"]
    assert "Framework :: Odoo :: 18.0" in metadata.get_all("Classifier")


@pytest.mark.slow
def test_wheel_requires_odoo_18_and_the_manifests_python_dependencies(wheel, manifest):
    required = {line.split(";")[0].strip() for line in wheel["metadata"].get_all("Requires-Dist")}
    assert "odoo==18.0.*" in required
    assert set(manifest["external_dependencies"]["python"]) <= required


@pytest.mark.slow
def test_wheel_holds_the_manifest_data_files_static_assets_and_migrations(wheel, manifest):
    names = wheel["names"]
    expected = ["__manifest__.py", "__init__.py", *manifest["data"]]
    expected += [
        "static/description/icon.png",
        "static/lib/redoc/redoc.standalone.js",
        "static/lib/redoc/LICENSE",
        "static/src/api_docs/api_docs.js",
        "governance/api_examples.json",
        "migrations/0.0.0/pre-refuse_unreachable_upgrade_scripts.py",
    ]
    expected += [str(path.relative_to(ADDON)) for path in (ADDON / "governance" / "schemas").rglob("*.json")]
    missing = [name for name in expected if PREFIX + name not in names]
    assert not missing, missing


@pytest.mark.slow
def test_wheel_holds_every_upgrade_script_in_the_addons_own_migrations_folder(wheel):
    scripts = _upgrade_scripts()
    assert {script.split("/")[1] for script in scripts} == {
        path.name for path in UPGRADE_SCRIPTS.iterdir() if path.is_dir()
    }
    missing = sorted(script for script in scripts if PREFIX + script not in wheel["names"])
    assert not missing, f"upgrade scripts missing from the wheel: {missing}"
    with zipfile.ZipFile(wheel["path"]) as archive:
        for script in scripts:
            assert (
                archive.read(PREFIX + script)
                == (UPGRADE_SCRIPTS / script.removeprefix("migrations/")).read_bytes()
            )


@pytest.mark.slow
def test_wheel_holds_every_file_of_the_addon_and_the_upgrade_scripts_and_nothing_else(wheel):
    packaged = {name.removeprefix(PREFIX) for name in wheel["names"] if name.startswith(PREFIX)}
    assert packaged == _tracked_addon_files() | _upgrade_scripts()
