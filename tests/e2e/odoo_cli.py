"""Drive a real Odoo 18 from tests: odoo-bin runs, an ORM shell and plain SQL.

The tests in tests/e2e run outside Odoo's test runner, with the project's
virtualenv (``sys.executable``). Odoo comes from ``ODOO_PATH`` (default
/opt/odoo18); PostgreSQL from ``ABS_DB_HOST`` / ``ABS_DB_PORT`` /
``ABS_DB_USER`` / ``ABS_DB_PASSWORD`` (default 127.0.0.1 / 5432 / odoo / odoo).
Every odoo-bin run's output is kept in a log file next to the database name so
a failing test can point at it.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg2
from psycopg2 import sql

REPO = Path(__file__).resolve().parents[2]
MIGRATIONS = REPO / "migrations"
ODOO_PATH = Path(os.environ.get("ODOO_PATH", "/opt/odoo18"))
TEMPLATE_DB = os.environ.get("ABS_TEMPLATE_DB", "abs_tmpl_deps")
LOG_DIR = Path(os.environ.get("ABS_E2E_LOG_DIR", tempfile.gettempdir()))


class OdooRunError(AssertionError):
    """odoo-bin exited with an error or logged one; the message names the log file."""


def db_params():
    return {
        "host": os.environ.get("ABS_DB_HOST", "127.0.0.1"),
        "port": int(os.environ.get("ABS_DB_PORT", "5432")),
        "user": os.environ.get("ABS_DB_USER", "odoo"),
        "password": os.environ.get("ABS_DB_PASSWORD", "odoo"),
    }


def connect(dbname):
    """A psycopg2 connection in autocommit mode (each statement is its own transaction)."""
    conn = psycopg2.connect(dbname=dbname, **db_params())
    conn.autocommit = True
    return conn


def database_exists(dbname):
    with connect("postgres") as conn, conn.cursor() as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname])
        return cr.fetchone() is not None


def drop_database(dbname):
    conn = connect("postgres")
    try:
        with conn.cursor() as cr:
            cr.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))
    finally:
        conn.close()


def create_database(dbname, template=TEMPLATE_DB):
    """A fresh database copied from ``template`` (dropped first if it exists)."""
    drop_database(dbname)
    conn = connect("postgres")
    try:
        with conn.cursor() as cr:
            cr.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(dbname), sql.Identifier(template)
                )
            )
    finally:
        conn.close()


def _base_args(dbname, subcommand=None, upgrade_path=MIGRATIONS, addons=REPO):
    params = db_params()
    return [
        sys.executable,
        str(ODOO_PATH / "odoo-bin"),
        *([subcommand] if subcommand else []),
        f"--addons-path={ODOO_PATH / 'addons'},{addons}",
        *([f"--upgrade-path={upgrade_path}"] if upgrade_path else []),
        f"--db_host={params['host']}",
        f"--db_port={params['port']}",
        f"--db_user={params['user']}",
        f"--db_password={params['password']}",
        "-d",
        dbname,
    ]


def odoo_bin(
    dbname,
    *args,
    label="run",
    timeout=1800,
    stdin=None,
    subcommand=None,
    upgrade_path=MIGRATIONS,
    addons=REPO,
):
    """Run odoo-bin on ``dbname`` with ``args``; return its log text.

    Raises :class:`OdooRunError` when it exits non-zero or logs an ERROR or
    CRITICAL line, so a broken upgrade can never look like a passing one.
    ``upgrade_path=None`` runs it as an operator who forgot ``upgrade_path``;
    ``addons``: the folder holding abs_connector (default: the repository).
    """
    log_path = LOG_DIR / f"{dbname}.{label}.log"
    command = [*_base_args(dbname, subcommand, upgrade_path, addons), *args]
    with open(log_path, "w") as log:
        completed = subprocess.run(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            input=stdin,
            text=True,
            timeout=timeout,
            cwd=REPO,
            check=False,
        )
    output = log_path.read_text()
    errors = [line for line in output.splitlines() if " ERROR " in line or " CRITICAL " in line]
    if completed.returncode or errors:
        raise OdooRunError(
            f"odoo-bin {' '.join(args)} on {dbname} failed (exit {completed.returncode}); "
            f"log: {log_path}\n" + "\n".join(errors[:20] or output.splitlines()[-30:])
        )
    return output


def install(dbname, module="abs_connector"):
    return odoo_bin(dbname, "-i", module, "--stop-after-init", "--no-http", label="install")


def upgrade(dbname, module="abs_connector", label="upgrade", upgrade_path=MIGRATIONS, addons=REPO):
    return odoo_bin(
        dbname,
        "-u",
        module,
        "--stop-after-init",
        "--no-http",
        label=label,
        upgrade_path=upgrade_path,
        addons=addons,
    )


def shell(dbname, code, label="shell"):
    """Execute ``code`` in ``odoo-bin shell`` (``env`` is the superuser environment).

    The shell rolls back when it ends: ``code`` must call ``env.cr.commit()``
    to keep its changes.
    """
    return odoo_bin(dbname, "--no-http", label=label, stdin=code, subcommand="shell")
