"""A Mosquitto broker on loopback for ``./dev run``."""

import getpass
import shutil
import socket
import time

from . import processes
from .errors import DevError
from .paths import STATE
from .shell import say

CONFIG = """\
# Written by ./dev run: a broker for local development, loopback only.
listener {port} 127.0.0.1
# Started as root, mosquitto would switch to the 'mosquitto' user and lose
# access to this private state directory: stay who we are.
user {user}
allow_anonymous true
persistence true
persistence_location {state}/
log_dest file {state}/mosquitto.log
"""


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def start(port):
    """Start a broker on 127.0.0.1:port unless one already answers there.

    Returns the process it started, or None when it reused a running broker.
    """
    if port_open(port):
        say(f"reusing the MQTT broker already listening on 127.0.0.1:{port}")
        return None
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    state = STATE / "mosquitto"
    state.mkdir(parents=True, exist_ok=True)
    config = state / "mosquitto.conf"
    config.write_text(CONFIG.format(port=port, state=state, user=getpass.getuser()))
    process = processes.start([binary, "-c", str(config)])
    for _ in range(50):
        if port_open(port):
            say(f"MQTT broker on 127.0.0.1:{port}")
            return process
        if process.poll() is not None:
            break
        time.sleep(0.1)
    raise DevError(f"mosquitto did not start on port {port}; read {state / 'mosquitto.log'}")
