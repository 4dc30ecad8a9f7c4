import os
import subprocess
import sys

from .errors import DevError


def say(message):
    print(f"[dev] {message}", flush=True)


def run(cmd, *, check=True, quiet=False, env=None, **kwargs):
    """Run a command; on failure raise DevError naming the command."""
    if quiet:
        kwargs.setdefault("stdout", subprocess.DEVNULL)
        kwargs.setdefault("stderr", subprocess.PIPE)
    full_env = {**os.environ, **(env or {})}
    result = subprocess.run(cmd, env=full_env, text=True, check=False, **kwargs)
    if check and result.returncode != 0:
        tail = (result.stderr or "").strip().splitlines()[-1:] if quiet else []
        raise DevError(f"command failed ({result.returncode}): {' '.join(map(str, cmd))} {' '.join(tail)}")
    return result


def output(cmd, env=None):
    """Return a command's stdout, or None if it cannot run."""
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    except FileNotFoundError:
        return None
    return result.stdout if result.returncode == 0 else None


def is_root():
    return os.geteuid() == 0


def python_version_tag():
    return f"py{sys.version_info.major}{sys.version_info.minor}"
