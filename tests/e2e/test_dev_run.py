"""``./dev run`` stops everything it started, whichever way it is asked to stop."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests
from services import free_port

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def run_state(tmp_path_factory):
    """One state directory for these runs (its API key is created once), the test venv reused."""
    return {
        **os.environ,
        "ABS_STATE_DIR": str(tmp_path_factory.mktemp("dev-run-state")),
        "ABS_VENV": str(Path(sys.executable).parents[1]),
    }


def _wait_until_serving(process, port, seconds=180):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"./dev run exited early ({process.returncode})"
        try:
            if requests.get(f"http://127.0.0.1:{port}/web/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    pytest.fail(f"./dev run did not serve on port {port} within {seconds}s")


def _send(process, how):
    if how == "ctrl-c":  # the terminal signals the whole foreground process group
        os.killpg(process.pid, signal.SIGINT)
    else:  # a supervisor or a closing terminal signals ./dev itself
        process.send_signal(getattr(signal, how))


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGTERM", "SIGHUP", "ctrl-c"])
def test_dev_run_leaves_no_process_behind_when_stopped(how, odoo_server, run_state):
    port, mqtt_port = free_port(), free_port()
    command = [
        str(REPO / "dev"),
        "run",
        "--db",
        odoo_server.db,
        "--port",
        str(port),
        "--mqtt-port",
        str(mqtt_port),
    ]
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=run_state,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        _wait_until_serving(process, port)
        started = psutil.Process(process.pid).children(recursive=True)
        names = " ".join(" ".join(child.cmdline()) for child in started)
        assert "odoo-bin" in names and "mosquitto" in names, names

        _send(process, how)

        assert process.wait(timeout=90) == 0, process.stderr.read().decode()
        _gone, alive = psutil.wait_procs(started, timeout=10)
        assert not alive, [child.cmdline() for child in alive]
        assert not _listening(port) and not _listening(mqtt_port)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def _listening(port):
    return any(
        conn.laddr.port == port and conn.status == psutil.CONN_LISTEN
        for conn in psutil.net_connections("tcp")
    )
