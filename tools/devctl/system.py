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
    missing = missing_packages()
    if not missing:
        return
    if not shutil.which("apt-get"):
        raise DevError(f"missing Debian packages {' '.join(missing)} and no apt-get here: install them")
    say(f"installing Debian packages: {' '.join(missing)}")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update", "-qq"], quiet=True, env=env)
    run(["apt-get", "install", "-y", "-qq", *missing], quiet=True, env=env)
