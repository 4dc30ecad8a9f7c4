"""The Node tools of the lint layer, pinned by tools/npm/package-lock.json.

Redocly CLI lints the OpenAPI document, the AsyncAPI project's parser validates
the AsyncAPI document, and the Redoc bundle the addon serves is compared with
the pinned npm package. They are installed with ``npm ci`` into the state
directory (never into the repository) and reinstalled when the lock changes.
"""

import hashlib
import shutil

from .errors import DevError
from .paths import REPO, STATE
from .shell import is_root, output, run, say

NPM_SOURCE = REPO / "tools" / "npm"
NPM_HOME = STATE / "npm"
MIN_NODE_MAJOR = 18
_TOOL_FILES = ("package.json", "package-lock.json", "validate-asyncapi.mjs", "redocly.yaml")


def node_modules():
    return NPM_HOME / "node_modules"


def _node_major():
    version = output(["node", "--version"]) or ""
    try:
        return int(version.strip().lstrip("v").split(".")[0])
    except ValueError:
        return None


def ensure_node():
    """Node.js and npm, from Debian when missing.

    :raise DevError: they are missing and cannot be installed, or Node is too old.
    """
    if not (shutil.which("node") and shutil.which("npm")):
        if not (is_root() and shutil.which("apt-get")):
            raise DevError("Node.js and npm are missing: install them (apt-get install nodejs npm)")
        say("installing Node.js and npm from Debian")
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        run(["apt-get", "update", "-qq"], quiet=True, env=env)
        run(["apt-get", "install", "-y", "-qq", "nodejs", "npm"], quiet=True, env=env)
    major = _node_major()
    if major is None or major < MIN_NODE_MAJOR:
        raise DevError(f"Node.js {MIN_NODE_MAJOR} or newer is needed for the lint tools (found {major})")


def ensure_tools():
    """Install the pinned npm packages when the lock file changed; return node_modules.

    :raise DevError: Node/npm unavailable or ``npm ci`` failed.
    """
    ensure_node()
    digest = hashlib.sha256(b"".join((NPM_SOURCE / name).read_bytes() for name in _TOOL_FILES)).hexdigest()
    stamp = NPM_HOME / ".abs-npm.sha256"
    if node_modules().is_dir() and stamp.exists() and stamp.read_text() == digest:
        return node_modules()
    NPM_HOME.mkdir(parents=True, exist_ok=True)
    for name in _TOOL_FILES:
        shutil.copyfile(NPM_SOURCE / name, NPM_HOME / name)
    say("installing the pinned npm tools (Redocly CLI, AsyncAPI parser, Redoc; first time: a minute)")
    run(
        ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=NPM_HOME,
        quiet=True,
    )
    stamp.write_text(digest)
    return node_modules()
