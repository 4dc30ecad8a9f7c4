"""The production shape on loopback: Odoo nodes in prefork mode behind Debian's nginx.

Used by the e2e topology tests and ``./dev bench load``; no Docker, no home-made
balancer. Each node is one ``odoo-bin --workers N`` master (HTTP workers, a cron
worker and the gevent process for ``/websocket``) on its own loopback ports; nginx
balances between them exactly as docker/nginx.conf does in production.

    cluster = LoopbackCluster(odoo_path, python, config, db, nodes=2).start()
    requests.get(cluster.url("/web/health"))
    cluster.nodes[0].kill()          # kill -9 of one node: nginx routes to the other
    cluster.stop()
"""

import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from .errors import DevError

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

NGINX_CONF = """\
# Written by tools/devctl/cluster.py: the production proxy (docker/nginx.conf) on loopback.
{user_line}
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log {dir}/access.log combined;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    client_max_body_size 16m;

    upstream odoo {{
{http_servers}
        keepalive 32;
    }}
    upstream odoo_websocket {{
{gevent_servers}
    }}
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
    server {{
        listen 127.0.0.1:{port};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_connect_timeout 2s;
        proxy_read_timeout 120s;
        # A refused or failed connection moves the request to the other node. A POST
        # that reached a node is never replayed (nginx's default): the client retries
        # with its Idempotency-Key instead.
        proxy_next_upstream error timeout;
        proxy_next_upstream_tries 2;

        location /websocket {{
            proxy_pass http://odoo_websocket;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
        }}
        location / {{
            proxy_pass http://odoo;
        }}
    }}
}}
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http_ok(url, seconds, process=None, log=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise DevError(f"process exited ({process.returncode}) before {url} answered; log: {log}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback URL
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise DevError(f"{url} did not answer 200 within {seconds}s; log: {log}")


class OdooNode:
    """One Odoo master in prefork mode: ``workers`` HTTP workers, one cron worker, gevent."""

    def __init__(self, name, cmd_prefix, db, workers, log_dir, env=None):
        self.name = name
        self.db = db
        self.workers = workers
        self.http_port = free_port()
        self.gevent_port = free_port()
        self.cmd_prefix = list(cmd_prefix)
        self.log = Path(log_dir) / f"{name}.log"
        self.env = env
        self.process = None

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.http_port}"

    def command(self):
        return [
            *self.cmd_prefix,
            # by name only: a db-filter costs a PostgreSQL connection per API request
            "-d",
            self.db,
            "--http-port",
            str(self.http_port),
            "--gevent-port",
            str(self.gevent_port),
            "--workers",
            str(self.workers),
            "--max-cron-threads",
            "1",
            "--proxy-mode",
        ]

    def start(self, wait=True):
        with self.log.open("a") as handle:
            self.process = subprocess.Popen(
                self.command(), stdout=handle, stderr=subprocess.STDOUT, start_new_session=True, env=self.env
            )
        if wait:
            self.wait_healthy()
        return self

    @property
    def websocket_url(self):
        return f"http://127.0.0.1:{self.gevent_port}"

    def wait_healthy(self, seconds=180):
        """Both halves answer: the HTTP workers and the gevent process that serves ``/websocket``.

        A gevent process that dies at import is respawned forever while HTTP answers: only
        its own health route shows it.
        """
        wait_http_ok(f"{self.base_url}/web/health", seconds, self.process, self.log)
        wait_http_ok(f"{self.websocket_url}/websocket/health", seconds, self.process, self.log)

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    def terminate(self, timeout=130):
        """SIGTERM, as systemd or Docker stop a node; returns the seconds it took to exit."""
        if not self.running:
            return 0.0
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired as timed_out:
            still_running = self.processes()
            self.kill()
            raise DevError(
                f"{self.name} did not stop within {timeout}s of SIGTERM; still running:\n{still_running}"
            ) from timed_out
        finally:
            self._reap_group()
        return time.monotonic() - started

    def processes(self):
        """``ps`` of the node's session (started with its own): each process's state and where it waits."""
        listing = subprocess.run(
            ["ps", "-o", "pid,ppid,stat,wchan:24,etimes,args", "-s", str(self.process.pid)],
            capture_output=True,
            text=True,
            check=False,
        )
        return listing.stdout.strip()

    def kill(self):
        """kill -9 of the whole node (master, workers, cron, gevent): a crashed machine."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def _reap_group(self):
        # Workers orphaned by a master that gave up must not outlive the node.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


class Nginx:
    """Debian's nginx with a generated configuration in a private directory."""

    def __init__(self, directory, port=None):
        self.directory = Path(directory)
        self.port = port or free_port()
        self.process = None

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def write_config(self, nodes):
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.directory / name).mkdir(parents=True, exist_ok=True)
        # Started as root, nginx workers would switch to 'nobody' and lose access to
        # this private directory: stay who we are (as the test broker does).
        user = getpass.getuser()
        text = NGINX_CONF.format(
            user_line=f"user {user};" if os.geteuid() == 0 else "",
            dir=self.directory,
            port=self.port,
            http_servers="\n".join(
                f"        server 127.0.0.1:{node.http_port} max_fails=1 fail_timeout=3s;" for node in nodes
            ),
            gevent_servers="\n".join(f"        server 127.0.0.1:{node.gevent_port};" for node in nodes),
        )
        path = self.directory / "nginx.conf"
        path.write_text(text)
        return path

    def start(self, nodes):
        if not Path(NGINX).exists():
            raise DevError("nginx is missing: install Debian's nginx (./dev test installs it as root)")
        config = self.write_config(nodes)
        self.process = subprocess.Popen(
            [NGINX, "-c", str(config), "-p", str(self.directory), "-e", str(self.directory / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_http_ok(f"{self.base_url}/web/health", 30, self.process, self.directory / "error.log")
        return self

    def reload(self, nodes):
        """Balance over ``nodes`` from now on (nginx reloads without dropping a connection)."""
        self.write_config(nodes)
        self.process.send_signal(signal.SIGHUP)
        time.sleep(1.0)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # nginx's graceful shutdown
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class LoopbackCluster:
    """``nodes`` Odoo nodes on one database behind one nginx, all on 127.0.0.1."""

    def __init__(self, cmd_prefix, db, nodes=2, workers=2, env=None, directory=None):
        self.db = db
        self.directory = Path(directory or tempfile.mkdtemp(prefix="abs-cluster-"))
        self.nodes = [
            OdooNode(f"{db}-node{index + 1}", cmd_prefix, db, workers, self.directory, env=env)
            for index in range(nodes)
        ]
        self.nginx = Nginx(self.directory / "nginx")

    @property
    def base_url(self):
        return self.nginx.base_url

    def url(self, path):
        return f"{self.base_url}{path}"

    def start(self):
        for node in self.nodes:
            node.start(wait=False)
        for node in self.nodes:
            node.wait_healthy()
        self.nginx.start(self.nodes)
        return self

    def stop(self):
        self.nginx.stop()
        for node in self.nodes:
            with contextlib.suppress(DevError):
                node.terminate(timeout=60)

    def logs(self):
        """Every node's log text, for assertions on what the servers reported."""
        return {node.name: node.log.read_text(errors="replace") for node in self.nodes if node.log.exists()}
