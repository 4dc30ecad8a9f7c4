"""A real Odoo 18 HTTP server with abs_connector, for end-to-end tests.

The database is a copy of the dependency template with the addon installed;
the configuration comes from the shipped odoo.conf (through the same code
``./dev run`` uses), pointed at a loopback broker.
"""

import subprocess
import sys
import time
from pathlib import Path

import odoo_cli
import requests
from devctl import odoo as devodoo
from services import free_port


class OdooServer:
    def __init__(self, dbname, mqtt_port, extra_config=None, name=None, env=None):
        """``name``: of the config and log files (default: the database's), for a second
        server on the same database; ``env``: the server process's environment."""
        self.db = dbname
        self.name = name or dbname
        self.env = env
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.mqtt_port = mqtt_port
        self.config = devodoo.write_config(
            odoo_cli.ODOO_PATH,
            f"e2e-{self.name}",
            http_port=self.port,
            mqtt_port=mqtt_port,
            extra={
                "abs_mqtt_topic_prefix": f"abs/{dbname}",
                # Every e2e client (the fuzzer's hundreds of wrong sign-ins included) comes from
                # 127.0.0.1: one address standing for many clients. The per-address limit is
                # proven over HTTP by the Odoo suite (TestApiSignInThrottle).
                "abs_login_max_failures_per_address": "1000000",
                **(extra_config or {}),
            },
        )
        self.log = odoo_cli.LOG_DIR / f"{self.name}.server.log"
        self.process = None
        self._api_key = None

    def create(self):
        odoo_cli.create_database(self.db)
        odoo_cli.odoo_bin(
            self.db,
            "-c",
            str(self.config),
            "-i",
            "abs_connector",
            "--without-demo=all",
            "--stop-after-init",
            "--no-http",
            label="install",
        )
        self._set_base_url()
        return self

    def _set_base_url(self):
        """Odoo's own URL is where wkhtmltopdf fetches a report's styles: this server's, not
        the default localhost:8069 (another server on a shared machine)."""
        conn = self.connect()
        try:
            with conn.cursor() as cr:
                for key, value in (("web.base.url", self.base_url), ("web.base.url.freeze", "True")):
                    cr.execute(
                        """
                        INSERT INTO ir_config_parameter
                            (key, value, create_uid, write_uid, create_date, write_date)
                        VALUES (%s, %s, 1, 1, now(), now())
                        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
                        """,
                        [key, value],
                    )
        finally:
            conn.close()

    def start(self):
        cmd = [
            sys.executable,
            str(odoo_cli.ODOO_PATH / "odoo-bin"),
            "-c",
            str(self.config),
            # the database by name only: a db-filter makes Odoo list the databases (a new
            # PostgreSQL connection) on every request without a session, i.e. every API call
            "-d",
            self.db,
            "--http-port",
            str(self.port),
            "--max-cron-threads",
            "1",
        ]
        with Path(self.log).open("a") as handle:
            self.process = subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT, env=self.env)
        self._wait_healthy()
        return self

    def _wait_healthy(self, seconds=120):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Odoo exited ({self.process.returncode}); log: {self.log}")
            try:
                if requests.get(f"{self.base_url}/web/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"Odoo did not answer on {self.base_url} within {seconds}s; log: {self.log}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self):
        self.stop()
        return self.start()

    def drop(self):
        self.stop()
        odoo_cli.drop_database(self.db)

    def connect(self):
        """A psycopg2 connection (autocommit) to the server's database."""
        return odoo_cli.connect(self.db)

    def cli(self, *args):
        """Run one of the addon's odoo-bin commands (e.g. abs_api_key) and return its stdout."""
        return devodoo.run_cli(odoo_cli.ODOO_PATH, self.config, self.db, *args)

    @property
    def api_key(self):
        """A system API key, created once through the addon's CLI command."""
        if self._api_key is None:
            self._api_key = self.cli("abs_api_key", "create", "--name", f"e2e-{int(time.time())}")
        return self._api_key

    def url(self, path):
        return f"{self.base_url}{path}"
