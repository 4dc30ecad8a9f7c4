"""The test layers of ``./dev test``: lint, unit, odoo, e2e."""

import os
import subprocess

from . import node, odoo, postgres
from .errors import DevError
from .paths import ADDON, REPO, STATE, VENV, VENV_PYTHON
from .results import LayerResult, from_junit, from_odoo_log
from .shell import say

PYLINT_RC = REPO / ".pylintrc-mandatory"


def _bin(name):
    return str(VENV / "bin" / name)


def _step(cmd, log_name):
    """Run one check, its output to a log file; True when it passed."""
    log = STATE / "logs" / log_name
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as handle:
        code = subprocess.run(cmd, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT, check=False).returncode
    if code != 0:
        say(f"{log_name} failed:")
        print(log.read_text()[-6000:], flush=True)
    return code == 0


CONTRACT_CHECKS = ("openapi", "asyncapi", "redoc")


def lint():
    """ruff over the repository, pylint-odoo's mandatory checks over the addon, and the API
    contracts checked by their ecosystems' own tools (Redocly CLI, the AsyncAPI parser)."""
    checks = [
        ([_bin("ruff"), "check", "."], "ruff.log"),
        ([_bin("ruff"), "format", "--check", "."], "ruff-format.log"),
        ([_bin("pylint"), f"--rcfile={PYLINT_RC}", str(ADDON)], "pylint-odoo.log"),
    ]
    try:
        modules = node.ensure_tools()
    except DevError as error:
        # Not a skip: the contracts stay unchecked, so the layer fails and says why.
        say(f"THE NODE TOOLS CANNOT BE INSTALLED, SO THE API CONTRACTS ARE NOT CHECKED: {error}")
        passed = sum(_step(cmd, log) for cmd, log in checks)
        return LayerResult("lint", passed=passed, failed=len(checks) - passed + len(CONTRACT_CHECKS))
    script = str(REPO / "tools" / "contracts.py")
    checks += [
        ([str(VENV_PYTHON), script, name, str(modules)], f"contract-{name}.log") for name in CONTRACT_CHECKS
    ]
    passed = sum(_step(cmd, log) for cmd, log in checks)
    return LayerResult("lint", passed=passed, failed=len(checks) - passed)


def pytest_layer(name, path, env=None, extra=()):
    junit = STATE / "logs" / f"junit-{name}.xml"
    junit.parent.mkdir(parents=True, exist_ok=True)
    junit.unlink(missing_ok=True)
    # pytest-odoo would boot Odoo inside pytest; these layers test from outside.
    cmd = [
        str(VENV_PYTHON),
        "-m",
        "pytest",
        str(path),
        "-q",
        "-rs",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:odoo",
        f"--junitxml={junit}",
        *extra,
    ]
    code = subprocess.run(cmd, cwd=REPO, env={**os.environ, **(env or {})}, check=False).returncode
    if code == 5:  # pytest: no test collected
        return LayerResult(name, failed=1, skip_reason="")
    return from_junit(name, junit)


def unit(k=None):
    return pytest_layer("unit", REPO / "tests" / "unit", extra=("-k", k) if k else ())


def odoo_suites(odoo_path, config, template, keep=False, test_tags="/abs_connector"):
    """Install the addon on a copy of the template with tests enabled.

    ``test_tags`` narrows the run (Odoo's --test-tags syntax), e.g.
    ``/abs_connector:TestApiAuth`` while working on one suite.
    """
    db = f"abs_test_{os.getpid()}"
    postgres.copy_database(template, db)
    odoo.copy_filestore(template, db)
    log = STATE / "logs" / "odoo-tests.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    port = odoo.free_port()
    say(f"Odoo suites on database {db} (log: {log})")
    cmd = odoo.odoo_cmd(
        odoo_path,
        config,
        "-d",
        db,
        "-i",
        "abs_connector",
        "--without-demo=all",
        "--test-enable",
        "--test-tags",
        test_tags or "/abs_connector",
        "--stop-after-init",
        "--http-port",
        str(port),
        "--log-level",
        "test",
    )
    try:
        with log.open("w") as handle:
            code = subprocess.run(cmd, stdout=handle, stderr=subprocess.STDOUT, check=False).returncode
        text = log.read_text()
        result = from_odoo_log("odoo", text, code)
        if not result.ok:
            _print_failures(text)
        return result
    finally:
        if not keep:
            postgres.drop_database(db)
            odoo.drop_filestore(db)


def _print_failures(text):
    lines = text.splitlines()
    shown = 0
    for index, line in enumerate(lines):
        if (" ERROR " in line or " CRITICAL " in line or " FAIL" in line) and shown < 40:
            print("\n".join(lines[index : index + 25]), flush=True)
            shown += 1


def e2e(odoo_path, template, k=None):
    env = {
        "ODOO_PATH": str(odoo_path),
        "ABS_TEMPLATE_DB": template,
        "ABS_STATE_DIR": str(STATE),
        **postgres_env(),
    }
    return pytest_layer("e2e", REPO / "tests" / "e2e", env=env, extra=("-k", k) if k else ())


def postgres_env():
    return {
        "ABS_DB_HOST": postgres.DB_HOST,
        "ABS_DB_PORT": str(postgres.DB_PORT),
        "ABS_DB_USER": postgres.DB_USER,
        "ABS_DB_PASSWORD": postgres.DB_PASSWORD,
    }
