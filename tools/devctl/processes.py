"""Child processes of ``./dev run`` and the signals that stop them.

A supervisor stops a program with SIGTERM and a closed terminal sends SIGHUP:
both must stop what ``./dev run`` started exactly as Ctrl-C does, or the Odoo
server and the broker outlive it as orphans.
"""

import contextlib
import ctypes
import signal
import subprocess

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
_PR_SET_PDEATHSIG = 1


class Stopped(KeyboardInterrupt):
    """Raised in the main thread when a stop signal arrives; handled like Ctrl-C."""


def _raise_stopped(signum, _frame):
    ignore_stop_signals()  # a second signal must not cut the clean-up short
    raise Stopped(signal.Signals(signum).name)


def ignore_stop_signals():
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


@contextlib.contextmanager
def stop_signals_interrupt():
    """Within the block, Ctrl-C, SIGTERM and SIGHUP interrupt (KeyboardInterrupt)."""
    previous = {signum: signal.signal(signum, _raise_stopped) for signum in STOP_SIGNALS}
    # A shell starts background jobs with SIGINT ignored, and Python then keeps it
    # ignored: restore Ctrl-C explicitly so it always stops what was started here.
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _die_with_parent():
    """In the child: get SIGTERM when ./dev dies, even when it is killed without a chance to clean up."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def start(cmd, **kwargs):
    """Start a child in its own session: signals reach it through ./dev only, once.

    Odoo reads a second SIGINT as "force quit" and SIGHUP as "restart", so the
    terminal's signals must not reach it directly as well as through ``stop``.
    """
    return subprocess.Popen(cmd, start_new_session=True, preexec_fn=_die_with_parent, **kwargs)


def stop(process, timeout=30):
    """Ask a child to stop (SIGTERM), wait, and kill it if it does not."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
