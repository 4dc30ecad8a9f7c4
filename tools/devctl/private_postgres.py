"""A PostgreSQL server of one's own, in a temporary directory, on a free loopback port.

The fault tests restart PostgreSQL; doing that to the machine's shared cluster would
break every other test run on it. This one belongs to whoever started it.

    pg = PrivatePostgres().start()
    pg.copy_database_from(shared_params, "abs_tmpl_...", "abs_topo")
    pg.restart(down_seconds=3)
    pg.cleanup()
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from .errors import DevError

USER = "odoo"
PASSWORD = "odoo"  # noqa: S105 - a throwaway loopback server, like the shared one's role


def _bin_dir():
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not candidates:
        raise DevError("no PostgreSQL server binaries under /usr/lib/postgresql (Debian's postgresql)")
    return candidates[-1].parent


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivatePostgres:
    def __init__(self, port=None):
        self.bin = _bin_dir()
        self.port = port or _free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="abs-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "postgres.log"
        # PostgreSQL refuses to run as root: run it as the 'postgres' account then.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def params(self):
        return {"host": "127.0.0.1", "port": self.port, "user": USER, "password": PASSWORD}

    def _run(self, *cmd, check=True):
        return subprocess.run([*self.as_user, *cmd], capture_output=True, text=True, check=check)

    def start(self):
        if not self.data.exists():
            self._init()
        self._pg_ctl(
            "start", "-w", "-t", "60", "-l", str(self.log), "-o", f"-p {self.port} -k {self.directory}"
        )
        self._wait_accepting()
        return self

    def _init(self):
        if self.as_user:
            entry = pwd.getpwnam("postgres")
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)
        pwfile = self.directory / "pw"
        pwfile.write_text(PASSWORD)
        if self.as_user:
            os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, -1)
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            USER,
            f"--pwfile={pwfile}",
            "-A",
            "scram-sha-256",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("listen_addresses = '127.0.0.1'\nmax_connections = 200\nfsync = off\n")

    def _pg_ctl(self, *args, check=True):
        result = self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), *args, check=False)
        if check and result.returncode != 0:
            raise DevError(f"pg_ctl {args[0]} failed: {result.stderr or result.stdout}; log: {self.log}")
        return result

    def _wait_accepting(self, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise DevError(f"private PostgreSQL did not listen on {self.port}; log: {self.log}")

    def stop(self, mode="fast"):
        if (self.data / "postmaster.pid").exists():
            self._pg_ctl("stop", "-w", "-m", mode, check=False)

    def restart(self, down_seconds=0.0):
        """Stop (fast: connections are cut as a crash or failover cuts them) and start again."""
        self.stop()
        time.sleep(down_seconds)
        return self.start()

    def copy_database_from(self, source_params, source_db, target_db):
        """Copy a database of another server here (pg_dump | pg_restore)."""
        env = {**os.environ, "PGPASSWORD": source_params["password"]}
        dump = subprocess.Popen(
            [
                str(self.bin / "pg_dump"),
                "-h",
                source_params["host"],
                "-p",
                str(source_params["port"]),
                "-U",
                source_params["user"],
                "-Fc",
                source_db,
            ],
            stdout=subprocess.PIPE,
            env=env,
        )
        target_env = {**os.environ, "PGPASSWORD": PASSWORD}
        common = ["-h", "127.0.0.1", "-p", str(self.port), "-U", USER]
        subprocess.run([str(self.bin / "createdb"), *common, target_db], env=target_env, check=True)
        restore = subprocess.run(
            [str(self.bin / "pg_restore"), *common, "-d", target_db, "--no-owner"],
            stdin=dump.stdout,
            env=target_env,
            capture_output=True,
            text=True,
            check=False,
        )
        dump.stdout.close()
        if dump.wait() != 0 or restore.returncode != 0:
            raise DevError(f"copying {source_db} failed: {restore.stderr[-2000:]}")

    def cleanup(self):
        self.stop(mode="immediate")
        shutil.rmtree(self.directory, ignore_errors=True)
