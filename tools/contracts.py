"""Check the published API contracts with the tools of their own ecosystems.

    python tools/contracts.py openapi NODE_MODULES   Redocly CLI lint: zero errors and zero warnings
    python tools/contracts.py asyncapi NODE_MODULES  the AsyncAPI parser: zero errors and warnings
    python tools/contracts.py redoc NODE_MODULES     the Redoc bundle served at /api/docs is the
                                                     pinned npm package's, byte for byte

Run by the lint layer of ./dev test with the project's virtualenv (the
documents are built by the addon's plain-Python core, as the server builds them).
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ADDON = REPO / "abs_connector"
NPM = REPO / "tools" / "npm"
sys.path.insert(0, str(ADDON))


def _write(document, name, folder):
    path = Path(folder) / name
    path.write_text(json.dumps(document, indent=2))
    return path


def check_openapi(node_modules, folder):
    from governance.openapi import build_openapi

    path = _write(build_openapi(), "openapi.json", folder)
    env = {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"}
    cmd = [str(node_modules / ".bin" / "redocly"), "lint", str(path), "--config", str(NPM / "redocly.yaml")]
    result = subprocess.run([*cmd, "--format=json"], capture_output=True, text=True, env=env, check=False)
    try:
        totals = json.loads(result.stdout)["totals"]
    except (ValueError, KeyError):
        print(result.stdout, result.stderr)
        return 1
    problems = totals["errors"] + totals["warnings"]
    if problems:  # show them in the readable format
        print(subprocess.run(cmd, capture_output=True, text=True, env=env, check=False).stdout)
    print(f"redocly lint openapi.json: {totals['errors']} error(s), {totals['warnings']} warning(s)")
    return 1 if problems else 0


def check_asyncapi(node_modules, folder):
    from governance.asyncapi import build_asyncapi

    path = _write(build_asyncapi(), "asyncapi.json", folder)
    script = node_modules.parent / "validate-asyncapi.mjs"
    return subprocess.run(["node", str(script), str(path)], check=False).returncode


def check_redoc(node_modules, _folder):
    pinned = node_modules / "redoc" / "bundles"
    served = ADDON / "static" / "lib" / "redoc"
    for name in ("redoc.standalone.js", "redoc.standalone.js.LICENSE.txt"):
        if (pinned / name).read_bytes() != (served / name).read_bytes():
            print(f"{served / name} is not the pinned npm package's {name}: copy it from {pinned}")
            return 1
    if (node_modules / "redoc" / "LICENSE").read_bytes() != (served / "LICENSE").read_bytes():
        print(f"{served / 'LICENSE'} is not the pinned package's license")
        return 1
    version = json.loads((node_modules / "redoc" / "package.json").read_text())["version"]
    print(f"static/lib/redoc is redoc {version} from npm, license kept")
    return 0


CHECKS = {"openapi": check_openapi, "asyncapi": check_asyncapi, "redoc": check_redoc}

if __name__ == "__main__":
    name, node_modules = sys.argv[1], Path(sys.argv[2])
    with tempfile.TemporaryDirectory() as folder:
        sys.exit(CHECKS[name](node_modules, folder))
