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
    """

    def __init__(self, port=None, deny_publish=()):
        self.port = port or free_port()
        self.deny_publish = tuple(deny_publish)
        self.directory = Path(tempfile.mkdtemp(prefix="abs-mosquitto-"))
        self.process = None

    @property
    def log_path(self):
        return self.directory / "mosquitto.log"

    def _write_config(self):
        lines = [
            f"listener {self.port} 127.0.0.1",
            # Started as root, mosquitto would switch to the 'mosquitto' user and
            # lose access to this private temporary directory: stay who we are.
            f"user {getpass.getuser()}",
            "allow_anonymous true",
            "persistence false",
            f"log_dest file {self.log_path}",
            "log_type all",
        ]
        if self.deny_publish:
            # Everyone may read and write everything except the denied topics.
            acl = self.directory / "acl"
            rules = ["topic readwrite #"] + [f"topic deny {pattern}" for pattern in self.deny_publish]
            acl.write_text("\n".join(rules) + "\n", encoding="utf-8")
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


class MqttSubscriber:
    """Subscribes (QoS 1) to a topic filter and records every message received."""

    def __init__(self, port, topic_filter="#", host="127.0.0.1"):
        self.port = port
        self.host = host
        self.topic_filter = topic_filter
        self.messages = []
        self._cond = threading.Condition()
        self._subscribed = False
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            protocol=mqtt.MQTTv5,
            client_id=f"abs-test-sub-{os.getpid()}-{id(self)}",
        )
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        client.subscribe(self.topic_filter, qos=1)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        with self._cond:
            self._subscribed = True
            self._cond.notify_all()

    def _on_message(self, client, userdata, message):
        with self._cond:
            self.messages.append((message.topic, json.loads(message.payload.decode("utf-8"))))
            self._cond.notify_all()

    def __enter__(self):
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
