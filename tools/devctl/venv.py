"""The project's virtualenv: Odoo's requirements plus the project's own."""

import hashlib
import re
import sys

from .paths import REPO, STATE, VENV, VENV_PYTHON
from .shell import run, say

# Odoo 18 pins cbor2 5.4.2 for Python < 3.12, which does not build on recent
# toolchains; 5.6.x is API-compatible and ships wheels.
PIN_OVERRIDES = {"cbor2": "cbor2==5.6.5"}

# The packaging tools the virtualenv is built with. Odoo 18 pins gevent 22.10.2 for
# Python < 3.12, whose gevent.events imports pkg_resources, which setuptools 82 removed:
# with the newest setuptools the gevent process (``/websocket``) dies at import, over
# and over, while HTTP keeps answering. Part of the requirements digest, so an existing
# virtualenv is repaired on the next run.
BUILD_TOOLS = ("pip", "wheel", "setuptools==80.9.0")


def odoo_requirements(odoo_path):
    """Odoo's requirements.txt with the overrides applied, as text."""
    lines = []
    for line in (odoo_path / "requirements.txt").read_text().splitlines():
        name = re.split(r"[=<>; ]", line.strip(), maxsplit=1)[0].lower()
        if name in PIN_OVERRIDES:
            if PIN_OVERRIDES[name] not in lines:
                lines.append(PIN_OVERRIDES[name])
            continue
        lines.append(line)
    return "\n".join(lines) + "\n"


def ensure(odoo_path):
    """Create or update the virtualenv when any requirement changed.

    Without an Odoo tree only the project's requirements are installed (enough
    for the unit tests and linters); they are completed once a tree appears.
    """
    merged = STATE / "odoo-requirements.txt"
    odoo_reqs = odoo_requirements(odoo_path) if odoo_path else ""
    ours = "".join((REPO / name).read_text() for name in ("requirements.txt", "requirements-dev.txt"))
    digest = hashlib.sha256((odoo_reqs + ours + " ".join(BUILD_TOOLS) + sys.version).encode()).hexdigest()
    stamp = VENV / ".abs-requirements.sha256"
    if not (VENV_PYTHON.exists() and stamp.exists() and stamp.read_text() == digest):
        _install(odoo_reqs, merged, digest, stamp)
    link_odoo(odoo_path)


def link_odoo(odoo_path):
    """Make ``import odoo`` work in the virtualenv (pytest-odoo and the e2e helpers need it)."""
    site = next((VENV / "lib").glob("python3*/site-packages"))
    pth = site / "abs-odoo-path.pth"
    if odoo_path:
        pth.write_text(f"{odoo_path.resolve()}\n")
    else:
        pth.unlink(missing_ok=True)


def _install(odoo_reqs, merged, digest, stamp):
    STATE.mkdir(parents=True, exist_ok=True)
    merged.write_text(odoo_reqs)
    if not VENV_PYTHON.exists():
        say(f"creating the virtualenv {VENV}")
        run([sys.executable, "-m", "venv", str(VENV)])
    say("installing Odoo's and the project's Python requirements (first time: several minutes)")
    pip = [str(VENV_PYTHON), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    run([*pip, "--upgrade", *BUILD_TOOLS], quiet=True)
    run([*pip, "-r", str(merged), "-r", str(REPO / "requirements-dev.txt")], cwd=REPO)
    stamp.write_text(digest)


LOCUST_VENV = STATE / "locust-venv"


def ensure_locust():
    """The load benchmark's own virtualenv (requirements-load.txt); returns its locust binary.

    Separate from the project's: Locust pins a gevent that Odoo's requirements pin differently.
    """
    requirements = REPO / "requirements-load.txt"
    digest = hashlib.sha256((requirements.read_text() + sys.version).encode()).hexdigest()
    stamp = LOCUST_VENV / ".abs-requirements.sha256"
    python = LOCUST_VENV / "bin" / "python"
    if not (python.exists() and stamp.exists() and stamp.read_text() == digest):
        say(f"creating the load benchmark's virtualenv {LOCUST_VENV} (Locust)")
        if not python.exists():
            run([sys.executable, "-m", "venv", str(LOCUST_VENV)])
        run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                "-r",
                str(requirements),
            ]
        )
        stamp.write_text(digest)
    return LOCUST_VENV / "bin" / "locust"
