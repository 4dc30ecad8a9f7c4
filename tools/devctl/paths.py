"""Where things live: the repository, the Odoo tree and the project's state."""

import os
from pathlib import Path

from .errors import DevError

REPO = Path(__file__).resolve().parents[2]
ADDON = REPO / "abs_connector"
MIGRATIONS = REPO / "migrations"
DEFAULT_STATE = Path.home() / ".cache" / "abs_connector"
STATE = Path(os.environ.get("ABS_STATE_DIR", DEFAULT_STATE))
VENV = Path(os.environ.get("ABS_VENV", STATE / "venv"))
VENV_PYTHON = VENV / "bin" / "python"


def odoo_path(required=True):
    """The Odoo 18 source tree named by ODOO_PATH (default /opt/odoo18).

    :raise DevError: when required and the tree is missing or not Odoo 18.
    """
    path = Path(os.environ.get("ODOO_PATH", "/opt/odoo18"))
    problem = odoo_tree_problem(path)
    if problem and required:
        raise DevError(f"{problem}; put an Odoo 18.0 source tree there or set ODOO_PATH to one")
    return None if problem else path


def odoo_tree_problem(path):
    """Why ``path`` is not a usable Odoo 18 tree, or None."""
    release = path / "odoo" / "release.py"
    if not (path / "odoo-bin").is_file() or not release.is_file():
        return f"no Odoo source tree at {path} (odoo-bin missing)"
    if "version_info = (18, 0" not in release.read_text():
        return f"the Odoo tree at {path} is not Odoo 18.0"
    return None
