"""The local PostgreSQL cluster (Debian's), on loopback."""

import os
import re
import socket
import time

from .errors import DevError
from .shell import output, run, say

DB_HOST = os.environ.get("ABS_DB_HOST", "127.0.0.1")
DB_PORT = int(os.environ.get("ABS_DB_PORT", "5432"))
DB_USER = os.environ.get("ABS_DB_USER", "odoo")
DB_PASSWORD = os.environ.get("ABS_DB_PASSWORD", "odoo")


def client_env():
    return {"PGHOST": DB_HOST, "PGPORT": str(DB_PORT), "PGUSER": DB_USER, "PGPASSWORD": DB_PASSWORD}


def _clusters():
    """(version, name, port, status) of each Debian cluster."""
    text = output(["pg_lsclusters", "--no-header"]) or ""
    rows = [line.split() for line in text.splitlines() if line.strip()]
    return [(r[0], r[1], int(r[2]), r[3]) for r in rows if len(r) >= 4]


def _accepting():
    try:
        with socket.create_connection((DB_HOST, DB_PORT), timeout=1):
            return True
    except OSError:
        return False


def ensure_running():
    """Start the cluster on DB_PORT if needed. Returns the cluster it started, or None.

    :raise DevError: when no cluster serves that port or it will not start.
    """
    if _accepting():
        ensure_role()
        return None
    cluster = next((c for c in _clusters() if c[2] == DB_PORT), None)
    if cluster is None:
        raise DevError(
            f"no PostgreSQL cluster on port {DB_PORT}; create one with pg_createcluster or set ABS_DB_PORT"
        )
    version, name = cluster[0], cluster[1]
    say(f"starting PostgreSQL {version}/{name} on port {DB_PORT}")
    result = run(["pg_ctlcluster", version, name, "start"], check=False, quiet=True)
    if result.returncode != 0 or not _wait_accepting():
        log = f"/var/log/postgresql/postgresql-{version}-{name}.log"
        raise DevError(f"PostgreSQL {version}/{name} did not start; read {log}")
    ensure_role()
    return (version, name)


def _wait_accepting(seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _accepting():
            return True
        time.sleep(0.3)
    return False


def stop(cluster):
    if cluster:
        say(f"stopping PostgreSQL {cluster[0]}/{cluster[1]}")
        run(["pg_ctlcluster", cluster[0], cluster[1], "stop"], check=False, quiet=True)


def safe_name(name):
    """Database and role names are interpolated into SQL: allow plain identifiers only.

    :raise DevError: for anything else.
    """
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", name):
        raise DevError(f"{name!r} is not a usable name: letters, digits and underscores only")
    return name


def ensure_role():
    """The login role Odoo uses (Odoo refuses to run as 'postgres')."""
    safe_name(DB_USER)
    sql = (  # noqa: S608 - the role name passed safe_name, the password is quoted
        "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{u}') THEN "
        "CREATE ROLE \"{u}\" LOGIN CREATEDB SUPERUSER PASSWORD '{p}'; END IF; END$$;"
    ).format(u=DB_USER, p=DB_PASSWORD.replace("'", "''"))
    if psql_ok("SELECT 1"):
        return
    run(["runuser", "-u", "postgres", "--", "psql", "-p", str(DB_PORT), "-qc", sql], quiet=True)


def psql_ok(sql, db="postgres"):
    return output(["psql", "-qtAc", sql, db], env={**os.environ, **client_env()}) is not None


def psql_value(sql, db="postgres"):
    text = output(["psql", "-qtAc", sql, db], env={**os.environ, **client_env()})
    return None if text is None else text.strip()


def database_exists(name):
    return psql_value(f"SELECT 1 FROM pg_database WHERE datname = '{safe_name(name)}'") == "1"  # noqa: S608


def drop_database(name):
    run(["dropdb", "--if-exists", "--force", name], env=client_env(), quiet=True)


def copy_database(template, name):
    drop_database(name)
    run(["createdb", "-T", template, name], env=client_env(), quiet=True)
