"""Unit tests import the addon's plain-Python core as the top-level package
``governance``: importing it through ``abs_connector`` would pull in Odoo."""

import sys
from pathlib import Path

ADDON_DIR = Path(__file__).resolve().parents[2] / "abs_connector"
if str(ADDON_DIR) not in sys.path:
    sys.path.insert(0, str(ADDON_DIR))
