"""``./dev wheel``: the addon's distribution, odoo-addon-abs_connector, with its upgrade scripts.

whool (OCA's build backend, named in abs_connector/pyproject.toml) packages the files git tracks
in the addon. The upgrade scripts are not among them: the repository keeps them in the top-level
``migrations/``, reached through ``upgrade_path`` in a checkout (docs/adr/0011). A wheel has no
``upgrade_path``, so the build puts them where Odoo finds a module's scripts natively:

1. whool builds the addon's sdist (its files, and PKG-INFO with the version from git);
2. the sdist is unpacked and every ``migrations/abs_connector/<version>/`` is copied into it
   as ``migrations/<version>/``, next to the guard of ``migrations/0.0.0/``;
3. whool builds the sdist and the wheel from that tree (it takes an unpacked sdist whole).

A pip-installed addon then upgrades with ``odoo -u abs_connector`` and no upgrade_path.
"""

import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from .errors import DevError
from .paths import ADDON, MIGRATIONS, REPO, VENV_PYTHON
from .shell import run

MODULE = ADDON.name


def upgrade_scripts():
    """The tracked files of ``migrations/abs_connector/``, as paths relative to that folder."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--", f"migrations/{MODULE}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    root = MIGRATIONS / MODULE
    return [(REPO / name).relative_to(root) for name in listing.split("\0") if name]


def _build(source, outdir, *kinds):
    """pypa build, without isolation: whool comes pinned from the project's virtualenv."""
    run(
        [str(VENV_PYTHON), "-m", "build", "--no-isolation", *kinds, "--outdir", str(outdir), str(source)],
        quiet=True,
    )


def stage(workdir):
    """The addon's unpacked sdist with the upgrade scripts in its own ``migrations/``."""
    _build(ADDON, workdir / "sdist", "--sdist")
    (archive,) = (workdir / "sdist").glob("*.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(workdir / "staged", filter="data")
    (tree,) = (workdir / "staged").iterdir()
    for script in upgrade_scripts():
        target = tree / "migrations" / script
        if target.exists():
            raise DevError(f"{target.relative_to(tree)} is both in the addon and in migrations/{MODULE}/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(MIGRATIONS / MODULE / script, target)
    return tree


def build(dist):
    """Build the sdist and the wheel into ``dist``; return the wheel's path."""
    dist.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="abs-wheel-") as workdir:
        tree = stage(Path(workdir))
        built = Path(workdir) / "dist"
        _build(tree, built)
        (wheel,) = built.glob("*.whl")
        for path in built.iterdir():
            shutil.copy2(path, dist / path.name)
    return dist / wheel.name
