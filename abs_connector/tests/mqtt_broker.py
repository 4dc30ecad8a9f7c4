"""A real Mosquitto broker and a subscriber for tests (never a mock).

Plain Python (stdlib + paho), so the Odoo suites and ``tests/e2e`` share it:
``tests/e2e/services.py`` loads this file by path.

    broker = MosquittoBroker(deny_publish=["abs/+/sa/+/customer.archived"]).start()
    with MqttSubscriber(broker.port, "abs/#") as sub:
        ...
        messages = sub.wait_for(3)
    broker.stop()
"""

import getpass
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


class MosquittoBroker:
    """Mosquitto on 127.0.0.1 with a config generated in a temporary directory.

    ``deny_publish``: topic patterns nobody may publish to (an ACL), to make the
    broker refuse some events with a real PUBACK failure code.
    ``users``: ``{name: password}``; when given, anonymous clients are refused and the
    password file is made with Debian's ``mosquitto_passwd``.
    ``acl``: the text of an ACL file (with ``users``).
    ``tls``: ``(certfile, keyfile)`` of the listener's server certificate.
    ``config``: a whole configuration instead (``{dir}`` and ``{port}`` are filled in),
    to run a shipped configuration on loopback.
    ``persistence``: sessions and queued QoS 1 messages survive a restart (``stop()`` then
    ``start()``), as on a production broker.
    ``quiet``: Mosquitto's default logging (no line per message), for benchmarks.
    """

    def __init__(
        self,
        port=None,
        deny_publish=(),
        users=None,
        acl=None,
        tls=None,
        config=None,
        persistence=False,
        quiet=False,
    ):
        self.port = port or free_port()
        self.deny_publish = tuple(deny_publish)
        self.persistence = persistence
        self.users = dict(users or {})
        self.acl = acl
        self.tls = tls
        self.config = config
        self.quiet = quiet
        self.directory = Path(tempfile.mkdtemp(prefix="abs-mosquitto-"))
        self.process = None

    @property
    def log_path(self):
        return self.directory / "mosquitto.log"

    def _common_lines(self):
        return [
            # Started as root, mosquitto would switch to the 'mosquitto' user and
            # lose access to this private temporary directory: stay who we are.
            f"user {getpass.getuser()}",
            f"log_dest file {self.log_path}",
            *(
                ["log_type error", "log_type warning", "log_type notice", "log_type information"]
                if self.quiet
                else ["log_type all"]
            ),
        ]

    def _persistence_lines(self):
        if not self.persistence:
            return ["persistence false"]
        return ["persistence true", f"persistence_location {self.directory}/", "autosave_interval 1"]

    def _write_password_file(self):
        path = self.directory / "passwd"
        for number, (name, password) in enumerate(self.users.items()):
            create = ["-c"] if number == 0 else []
            subprocess.run(
                [MOSQUITTO_PASSWD, *create, "-b", str(path), name, password],
                check=True,
                capture_output=True,
            )
        return path

    def _write_config(self):
        if self.config is not None:
            if self.users:
                self._write_password_file()
            text = self.config.format(dir=self.directory, port=self.port)
            config = self.directory / "mosquitto.conf"
            config.write_text(text + "\n" + "\n".join(self._common_lines()) + "\n", encoding="utf-8")
            return config
        lines = [f"listener {self.port} 127.0.0.1", *self._common_lines(), *self._persistence_lines()]
        if self.tls:
            certfile, keyfile = self.tls
            lines += [f"certfile {certfile}", f"keyfile {keyfile}"]
        if self.users:
            lines += ["allow_anonymous false", f"password_file {self._write_password_file()}"]
        else:
            lines.append("allow_anonymous true")
        rules = self.acl
        if rules is None and self.deny_publish:
            # Everyone may read and write everything except the denied topics.
            rules = "\n".join(
                ["topic readwrite #"] + [f"topic deny {pattern}" for pattern in self.deny_publish]
            )
        if rules is not None:
            acl = self.directory / "acl"
            acl.write_text(rules + "\n", encoding="utf-8")
            lines.append(f"acl_file {acl}")
        config = self.directory / "mosquitto.conf"
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return config

    def start(self, timeout=10.0):
        if self.process and self.process.poll() is None:
            return self
        config = self._write_config()
        self.process = subprocess.Popen(
            [MOSQUITTO, "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if port_open(self.port):
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        log = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        self.stop()
        raise RuntimeError(f"mosquitto did not start on port {self.port}:\n{log[-2000:]}")

    def stop(self):
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        deadline = time.monotonic() + 5
        while port_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.cleanup()
        return False


def make_throwaway_ca(directory, host="127.0.0.1"):
    """A CA and a server certificate for ``host`` (an IP address), made with openssl for one
    test run. Returns ``(ca_cert, server_cert, server_key)`` paths."""
    directory = Path(directory)
    ca_key, ca_cert = directory / "ca.key", directory / "ca.crt"
    key, request, cert = directory / "server.key", directory / "server.csr", directory / "server.crt"
    extensions = directory / "server.ext"
    extensions.write_text(f"subjectAltName = IP:{host}\n", encoding="utf-8")
    commands = [
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=abs test CA",
         "-keyout", ca_key, "-out", ca_cert],
        ["req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={host}", "-keyout", key, "-out", request],
        ["x509", "-req", "-in", request, "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial", "-days", "2",
         "-extfile", extensions, "-out", cert],
    ]  # fmt: skip
    for arguments in commands:
        subprocess.run([OPENSSL, *map(str, arguments)], check=True, capture_output=True)
    return ca_cert, cert, key


def _decoded(payload):
    """An event's JSON payload, or the raw text of anything else (e.g. $SYS topics)."""
    text = payload.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


class MqttSubscriber:
    """Subscribes (QoS 1) to a topic filter (or a list of them) and records every message received.

    ``raw=True`` keeps each payload as bytes instead of decoding it on arrival.
    ``durable=True`` subscribes the way the event catalog tells integrators to: MQTT 5
    with a fixed ``client_id``, ``clean_start=False`` and a session expiry interval, so
    the broker queues QoS 1 messages while the consumer (or the broker) is away, and
    paho reconnects on its own.
    """

    SESSION_EXPIRY = 3600

    def __init__(
        self,
        port,
        topic_filter="#",
        host="127.0.0.1",
        username=None,
        password=None,
        ca_certs=None,
        durable=False,
        client_id=None,
        raw=False,
    ):
        self.port = port
        self.raw = raw  # keep payloads as bytes (decode later: benchmarks)
        self.host = host
        self.topic_filter = topic_filter
        self.durable = durable
        self.messages = []
        self.received_at = []  # time.time() of each message, for delay figures
        self._cond = threading.Condition()
        self._subscribed = False
        self.granted = []  # per topic filter: did the broker accept the subscription
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            protocol=mqtt.MQTTv5,
            client_id=client_id or f"abs-test-sub-{os.getpid()}-{id(self)}",
        )
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        if username:
            self.client.username_pw_set(username, password)
        if ca_certs:
            self.client.tls_set(ca_certs=ca_certs)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        filters = [self.topic_filter] if isinstance(self.topic_filter, str) else self.topic_filter
        client.subscribe([(topic_filter, 1) for topic_filter in filters])

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        with self._cond:
            self.granted = [not code.is_failure for code in reason_codes]
            self._subscribed = True
            self._cond.notify_all()

    def _on_message(self, client, userdata, message):
        with self._cond:
            self.messages.append((message.topic, message.payload if self.raw else _decoded(message.payload)))
            self.received_at.append(time.time())
            self._cond.notify_all()

    def __enter__(self):
        if self.durable:
            properties = mqtt.Properties(mqtt.PacketTypes.CONNECT)
            properties.SessionExpiryInterval = self.SESSION_EXPIRY
            self.client.connect(self.host, self.port, keepalive=5, clean_start=False, properties=properties)
        else:
            self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_start()
        with self._cond:
            if not self._cond.wait_for(lambda: self._subscribed, timeout=10):
                raise RuntimeError(f"could not subscribe to {self.topic_filter} on port {self.port}")
        return self

    def __exit__(self, *exc_info):
        self.client.disconnect()
        self.client.loop_stop()
        return False

    def wait_for(self, count, timeout=10.0):
        """The messages received once ``count`` arrived (or the timeout passed)."""
        with self._cond:
            self._cond.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
            return list(self.messages)

    def settle(self, quiet=0.5, timeout=10.0):
        """Wait until no new message arrived for ``quiet`` seconds; return all messages."""
        deadline = time.monotonic() + timeout
        seen = -1
        while time.monotonic() < deadline:
            with self._cond:
                if len(self.messages) == seen:
                    return list(self.messages)
                seen = len(self.messages)
            time.sleep(quiet)
        with self._cond:
            return list(self.messages)
