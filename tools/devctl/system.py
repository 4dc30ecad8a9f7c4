"""Debian packages the project needs on the machine, installed when absent."""

import shutil
import subprocess

from .errors import DevError
from .shell import run, say

PACKAGES = {
    "postgresql": "PostgreSQL server",
    "mosquitto": "MQTT broker",
    "mosquitto-clients": "MQTT command-line clients",
    "nginx": "reverse proxy in front of the Odoo nodes (topology tests, load benchmark)",
    "libpq-dev": "headers to build psycopg2",
    "libldap2-dev": "headers to build python-ldap",
    "libsasl2-dev": "headers to build python-ldap",
    "chromium": "headless browser for Odoo's tours",
    "build-essential": "compiler for Python packages without wheels",
}

# Installed with the others; a machine where they cannot be installed still runs, and the
# tests that need them say so loudly instead of failing.
OPTIONAL_PACKAGES = {
    "wkhtmltopdf": "Odoo's PDF renderer: invoice PDFs and the quotation mail's attachment (503 without it)",
}


def missing_packages(names=PACKAGES):
    # dpkg-query exits 1 as soon as one name is unknown, yet still reports the others.
    status = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\n", *names],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    installed = {line.split()[0] for line in status.splitlines() if line.endswith(" installed")}
    return [name for name in names if name not in installed]


def ensure_packages():
    """Install the missing packages; an optional one that cannot be installed only warns."""
    missing = missing_packages({**PACKAGES, **OPTIONAL_PACKAGES})
    if not missing:
        return
    if not shutil.which("apt-get"):
        raise DevError(f"missing Debian packages {' '.join(missing)} and no apt-get here: install them")
    say(f"installing Debian packages: {' '.join(missing)}")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update", "-qq"], quiet=True, env=env)
    required = [name for name in missing if name in PACKAGES]
    if required:
        run(["apt-get", "install", "-y", "-qq", *required], quiet=True, env=env)
    for name in (name for name in missing if name in OPTIONAL_PACKAGES):
        try:
            run(["apt-get", "install", "-y", "-qq", name], quiet=True, env=env)
        except DevError as error:
            say(f"WARNING: COULD NOT INSTALL {name.upper()}: {error}")


def warn_missing_optional():
    """Say loudly which optional packages are missing and what is skipped without them."""
    for name in missing_packages(OPTIONAL_PACKAGES):
        needed_for = OPTIONAL_PACKAGES[name]
        say(f"WARNING: {name.upper()} IS NOT INSTALLED, TESTS THAT NEED IT ARE SKIPPED: {needed_for}")
