"""Odoo configuration, databases and processes for the local machine."""

import ast
import configparser
import hashlib
import os
import secrets
import shutil
import socket
import subprocess
from pathlib import Path

from . import postgres
from .errors import DevError
from .paths import ADDON, DEFAULT_STATE, MIGRATIONS, REPO, STATE, VENV_PYTHON
from .shell import run, say


def addon_dependencies():
    manifest = ast.literal_eval((ADDON / "__manifest__.py").read_text())
    return sorted(set(manifest["depends"]) | {"base"})


def port_free(port, host="127.0.0.1"):
    """True when Odoo could listen there: like Odoo's server, ignore TIME_WAIT leftovers."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def local_secret(name, nbytes=48):
    """A random secret kept in the state directory, never in the repository."""
    path = STATE / "secrets" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(nbytes))
        path.chmod(0o600)
    return path.read_text().strip()


def write_config(odoo_path, name, http_port, mqtt_port=1883, extra=None):
    """Turn the shipped odoo.conf into one with this machine's paths and secrets."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(REPO / "odoo.conf")
    options = parser["options"]
    options.update(
        {
            "addons_path": f"{odoo_path / 'addons'},{REPO}",
            "upgrade_path": str(MIGRATIONS),
            "data_dir": str(STATE / "data"),
            "db_host": postgres.DB_HOST,
            "db_port": str(postgres.DB_PORT),
            "db_user": postgres.DB_USER,
            "db_password": postgres.DB_PASSWORD,
            "http_interface": "127.0.0.1",
            "http_port": str(http_port),
            "admin_passwd": local_secret("admin_passwd"),
            "abs_jwt_secret": local_secret("abs_jwt_secret"),
            "abs_mqtt_host": "127.0.0.1",
            "abs_mqtt_port": str(mqtt_port),
            **(extra or {}),
        }
    )
    path = STATE / f"{name}.conf"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        parser.write(handle)
    path.chmod(0o600)
    return path


def write_run_config(odoo_path, http_port, mqtt_port):
    """The config of ``./dev run``: the shipped odoo.conf says ``without_demo = all``; this
    local demo is the one place that loads demo data."""
    return write_config(odoo_path, "run", http_port, mqtt_port, extra={"without_demo": "False"})


def odoo_cmd(odoo_path, config, *args):
    return [str(VENV_PYTHON), str(odoo_path / "odoo-bin"), "-c", str(config), *args]


def template_name(odoo_path):
    key = f"{odoo_path.resolve()}|{','.join(addon_dependencies())}"
    return "abs_tmpl_" + hashlib.sha256(key.encode()).hexdigest()[:10]


def ensure_template(odoo_path, config):
    """A database with every dependency installed (no demo), copied per test run.

    Installing sale, crm and account takes minutes; copying a database takes
    seconds, so every test database starts from this one.
    """
    name = template_name(odoo_path)
    if postgres.database_exists(name) and postgres.psql_value(
        "SELECT count(*) FROM ir_module_module WHERE state = 'installed'", db=name
    ) not in (None, "0"):
        return name
    say(f"building the template database {name} (dependencies only; first time: a few minutes)")
    postgres.drop_database(name)
    log = STATE / f"{name}.log"
    with log.open("w") as handle:
        result = subprocess.run(
            odoo_cmd(
                odoo_path,
                config,
                "-d",
                name,
                "-i",
                ",".join(addon_dependencies()),
                "--without-demo=all",
                "--stop-after-init",
                "--no-http",
            ),
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if result.returncode != 0:
        postgres.drop_database(name)
        raise DevError(f"building the template database failed; read {log}")
    # The template is shared by every state directory on the machine; its files are not.
    postgres.psql_value(f"COMMENT ON DATABASE {name} IS '{filestore(name)}'")
    return name


def filestore(db):
    """Where Odoo keeps ``db``'s attachments under this state directory (``data_dir``)."""
    return STATE / "data" / "filestore" / db


def template_filestore(template):
    """The template's filestore: recorded on the database when it was built, else looked for."""
    recorded = postgres.psql_value(
        f"SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '{template}'"  # noqa: S608
    )
    candidates = [Path(recorded)] if recorded else []
    candidates += [filestore(template), DEFAULT_STATE / "data" / "filestore" / template]
    return next((path for path in candidates if path.is_dir()), None)


def copy_filestore(template, db):
    """Give ``db`` (a copy of ``template``) the template's files, so no attachment is missing.

    :returns: False when the template's filestore cannot be found (its attachments will be
        missing files; Odoo regenerates the asset bundles, and logs FileNotFoundError).
    """
    drop_filestore(db)
    source = template_filestore(template)
    if source is None:
        say(f"warning: the filestore of {template} was not found; attachments will miss their files")
        return False
    shutil.copytree(source, filestore(db))
    return True


def drop_filestore(db):
    shutil.rmtree(filestore(db), ignore_errors=True)


def install_addon(odoo_path, config, db, log, demo):
    args = ["-d", db, "-i", "abs_connector", "--stop-after-init", "--no-http"]
    if not demo:
        args.append("--without-demo=all")
    with log.open("w") as handle:
        result = subprocess.run(
            odoo_cmd(odoo_path, config, *args), stdout=handle, stderr=subprocess.STDOUT, check=False
        )
    if result.returncode != 0:
        raise DevError(f"installing abs_connector into {db} failed; read {log}")


POT = ADDON / "i18n" / "abs_connector.pot"


def export_pot(odoo_path, config, template):
    """Regenerate i18n/abs_connector.pot with Odoo's own export, on a scratch copy of the template."""
    db = f"abs_pot_{os.getpid()}"
    postgres.copy_database(template, db)
    copy_filestore(template, db)
    log = STATE / "logs" / "pot.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    try:
        install_addon(odoo_path, config, db, log, demo=False)
        POT.parent.mkdir(exist_ok=True)
        args = ["-d", db, f"--i18n-export={POT}", "--modules=abs_connector", "--stop-after-init", "--no-http"]
        with log.open("a") as handle:
            result = subprocess.run(
                odoo_cmd(odoo_path, config, *args), stdout=handle, stderr=subprocess.STDOUT, check=False
            )
        if result.returncode != 0:
            raise DevError(f"exporting the translation template failed; read {log}")
    finally:
        postgres.drop_database(db)
        drop_filestore(db)
    return POT


def module_state(db):
    return postgres.psql_value("SELECT state FROM ir_module_module WHERE name = 'abs_connector'", db=db)


def require_port(port):
    if not port_free(port):
        raise DevError(f"port {port} on 127.0.0.1 is already in use; stop what uses it or pass --port")


def run_cli(odoo_path, config, db, *args):
    cmd = [
        str(VENV_PYTHON),
        str(odoo_path / "odoo-bin"),
        f"--addons-path={odoo_path / 'addons'},{REPO}",
        *args[:1],
        "-c",
        str(config),
        "-d",
        db,
        *args[1:],
    ]
    return run(cmd, capture_output=True).stdout.strip()
