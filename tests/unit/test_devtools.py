"""The developer tool's own logic: result counting, requirements, Odoo tree checks."""

import configparser
import re
import shutil
import socket
from pathlib import Path

import pytest
from devctl import layers, node, odoo, paths, results, system, venv
from devctl.errors import DevError

CLOSING_LINE = re.compile(r"^(\w+: )?\d+ passed, \d+ failed(, \d+ skipped)?$")


def test_odoo_log_counts_failures_errors_and_skips():
    log = (
        "2026-01-01 INFO db odoo.addons.abs_connector.tests.test_x: skipped test_a : no broker\n"
        "2026-01-01 INFO db odoo.tests.result: 1 failed, 2 error(s) of 10 tests when loading database 'db'\n"
    )
    result = results.from_odoo_log("odoo", log, returncode=1)
    assert (result.passed, result.failed, result.skipped) == (6, 3, 1)


def test_odoo_log_without_a_report_is_a_failure():
    assert results.from_odoo_log("odoo", "Traceback ...", returncode=1).failed == 1


def test_loader_warning_about_the_addon_fails_the_layer():
    log = (
        "2026-01-01 WARNING db odoo.modules.loading: The model abs.thing has no access rules in module "
        "abs_connector\n"
        "2026-01-01 INFO db odoo.tests.result: 0 failed, 0 error(s) of 4 tests when loading database 'db'\n"
    )
    assert results.from_odoo_log("odoo", log, returncode=0).failed == 1


def test_field_warning_about_our_model_fails_the_layer_but_test_warnings_do_not():
    log = (
        "2026-01-01 WARNING db odoo.fields: Field ov.membership.role_code: unknown parameter 'trackng'\n"
        "2026-01-01 WARNING db odoo.addons.abs_connector.tests.test_api: expected, about abs.employee\n"
        "2026-01-01 INFO db odoo.tests.result: 0 failed, 0 error(s) of 4 tests when loading database 'db'\n"
    )
    assert results.from_odoo_log("odoo", log, returncode=0).failed == 1


def test_summary_lines_are_closing_lines_ci_can_read():
    layer = results.LayerResult("unit", passed=3, failed=1, skipped=2)
    assert CLOSING_LINE.match(layer.line())
    assert CLOSING_LINE.match(results.summary([layer, results.LayerResult("odoo", passed=4)]))
    assert results.summary([layer]) == "TOTAL: 3 passed, 1 failed, 2 skipped"


def test_skipped_layer_says_why_in_capitals():
    line = results.LayerResult("odoo", skip_reason="no Odoo source tree at /x").line()
    assert line == "odoo: SKIPPED — NO ODOO SOURCE TREE AT /X"


def test_junit_report_missing_counts_as_failure(tmp_path):
    assert results.from_junit("unit", tmp_path / "missing.xml").failed == 1


def test_junit_report_is_counted(tmp_path):
    report = tmp_path / "r.xml"
    report.write_text('<testsuites><testsuite tests="5" failures="1" errors="1" skipped="1"/></testsuites>')
    result = results.from_junit("e2e", report)
    assert (result.passed, result.failed, result.skipped) == (2, 2, 1)


def test_junit_skip_reasons_are_kept_once_each_to_be_shown_loudly(tmp_path):
    report = tmp_path / "r.xml"
    skipped = '<skipped type="pytest.skip" message="NO WKHTMLTOPDF: PDFs not checked"/>'
    report.write_text(
        '<testsuites><testsuite tests="3" failures="0" errors="0" skipped="2">'
        f'<testcase name="a">{skipped}</testcase><testcase name="b">{skipped}</testcase>'
        '<testcase name="c"/></testsuite></testsuites>'
    )
    result = results.from_junit("e2e", report)
    assert result.skipped == 2
    assert result.skip_notes == ["NO WKHTMLTOPDF: PDFs not checked"]


def test_pdf_renderer_is_an_optional_package_the_machine_installs():
    assert "wkhtmltopdf" in system.OPTIONAL_PACKAGES
    assert "wkhtmltopdf" not in system.PACKAGES


def test_cbor2_pin_is_replaced_in_odoo_requirements(tmp_path):
    (tmp_path / "requirements.txt").write_text(
        "cbor2==5.4.2 ; python_version < '3.12'\n" "cbor2==5.6.2 ; python_version >= '3.12'\nlxml==4.9.3\n"
    )
    text = venv.odoo_requirements(tmp_path)
    assert "5.4.2" not in text and "5.6.2" not in text
    assert text.count("cbor2==5.6.5") == 1 and "lxml==4.9.3" in text


def test_missing_or_wrong_odoo_tree_is_explained(tmp_path):
    assert "no Odoo source tree" in paths.odoo_tree_problem(tmp_path)
    (tmp_path / "odoo").mkdir()
    (tmp_path / "odoo-bin").write_text("")
    (tmp_path / "odoo" / "release.py").write_text("version_info = (17, 0, 0)\n")
    assert "not Odoo 18.0" in paths.odoo_tree_problem(tmp_path)
    (tmp_path / "odoo" / "release.py").write_text("version_info = (18, 0, 0, FINAL, 0, '')\n")
    assert paths.odoo_tree_problem(Path(tmp_path)) is None


def test_port_check_refuses_a_listening_port_and_accepts_a_closed_one():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert not odoo.port_free(port)
    assert odoo.port_free(port)


def test_missing_packages_names_only_what_is_missing():
    if not shutil.which("dpkg-query"):
        pytest.fail("dpkg-query is part of every Debian machine this project runs on")
    missing = system.missing_packages(["dpkg", "abs-no-such-package"])
    assert missing == ["abs-no-such-package"]


def test_only_the_dev_run_config_loads_demo_data(tmp_path, monkeypatch):
    monkeypatch.setattr(odoo, "STATE", tmp_path)
    tree = Path("/opt/odoo18")

    def options(path):
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(path)
        return parser["options"]

    run = options(odoo.write_run_config(tree, http_port=8069, mqtt_port=1883))
    test = options(odoo.write_config(tree, "test", http_port=8069))
    assert run["without_demo"] == "False"
    assert test["without_demo"] == "all"
    # a random master password of this machine, never the shipped (empty) one
    assert len(run["admin_passwd"]) >= 32


def test_missing_node_without_root_is_an_error_that_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(node.shutil, "which", lambda _name: None)
    monkeypatch.setattr(node, "is_root", lambda: False)
    with pytest.raises(DevError, match="apt-get install nodejs npm"):
        node.ensure_node()


def test_lint_fails_and_says_so_when_the_node_tools_cannot_be_installed(monkeypatch, capsys):
    def cannot(*_args):
        raise DevError("Node.js and npm are missing")

    monkeypatch.setattr(layers.node, "ensure_tools", cannot)
    monkeypatch.setattr(layers, "_step", lambda _cmd, _log: True)
    result = layers.lint()
    assert result.failed == len(layers.CONTRACT_CHECKS)
    assert "THE NODE TOOLS CANNOT BE INSTALLED" in capsys.readouterr().out


def test_test_database_gets_a_copy_of_the_template_filestore(tmp_path, monkeypatch):
    template_files = tmp_path / "shared" / "abs_tmpl_x"
    (template_files / "ab").mkdir(parents=True)
    (template_files / "ab" / "abcdef").write_bytes(b"logo")
    monkeypatch.setattr(odoo, "STATE", tmp_path / "state")
    monkeypatch.setattr(odoo.postgres, "psql_value", lambda sql, db="postgres": str(template_files))
    assert odoo.copy_filestore("abs_tmpl_x", "abs_test_1")
    copied = tmp_path / "state" / "data" / "filestore" / "abs_test_1" / "ab" / "abcdef"
    assert copied.read_bytes() == b"logo"
    odoo.drop_filestore("abs_test_1")
    assert not (tmp_path / "state" / "data" / "filestore" / "abs_test_1").exists()


def test_missing_template_filestore_is_reported_not_fatal(tmp_path, monkeypatch):
    monkeypatch.setattr(odoo, "STATE", tmp_path / "state")
    monkeypatch.setattr(odoo, "DEFAULT_STATE", tmp_path / "nowhere")
    monkeypatch.setattr(odoo.postgres, "psql_value", lambda sql, db="postgres": "")
    assert odoo.copy_filestore("abs_tmpl_x", "abs_test_1") is False
