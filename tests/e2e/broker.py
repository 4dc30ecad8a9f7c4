"""A real Mosquitto broker on loopback for end-to-end tests (never a mock)."""

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

CONFIG = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence false
log_dest file {log}
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, seconds=10, expect_open=True):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.3):
                is_open = True
        except OSError:
            is_open = False
        if is_open == expect_open:
            return True
        time.sleep(0.1)
    return False


class Mosquitto:
    """One broker on a fixed free port; stop() and start() keep the port, so
    clients configured with it reconnect to the same address after an outage."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="abs-mosquitto-"))
        self.config = self.workdir / "mosquitto.conf"
        self.log = self.workdir / "mosquitto.log"
        self.config.write_text(CONFIG.format(port=self.port, log=self.log))
        self.process = None

    def start(self):
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.process = subprocess.Popen([binary, "-c", str(self.config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        if not wait_for_port(self.port):
            self.stop()
            raise RuntimeError(f"mosquitto did not listen on {self.port}; log: {self.log}")
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None
        wait_for_port(self.port, expect_open=False)
