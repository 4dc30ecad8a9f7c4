"""Counting what each test layer did, from the runners' own reports."""

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

ODOO_RESULT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")
ODOO_SKIPPED = re.compile(r" INFO \S+ \S+: skipped ")
LOADER_ERROR = re.compile(r" (ERROR|CRITICAL) (?!.*odoo\.tests\.result)")
ADDON_WARNING = re.compile(r" WARNING \S+ (?P<logger>\S+): (?P<msg>.*)")


@dataclass
class LayerResult:
    name: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    skip_reason: str = ""
    # why tests of the layer were skipped (pytest's skip messages, each once)
    skip_notes: list = field(default_factory=list)

    @property
    def ok(self):
        return self.failed == 0

    def line(self):
        if self.skip_reason:
            return f"{self.name}: SKIPPED — {self.skip_reason.upper()}"
        return f"{self.name}: {self.passed} passed, {self.failed} failed, {self.skipped} skipped"


def from_junit(name, path):
    """Counts from a pytest JUnit XML report; a missing report is one failure."""
    try:
        root = ET.parse(path).getroot()  # noqa: S314 - pytest wrote this file for us
    except (OSError, ET.ParseError):
        return LayerResult(name, failed=1)
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = sum(int(s.get("tests", 0)) for s in suites)
    failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    notes = list(dict.fromkeys(node.get("message", "") for node in root.iter("skipped")))
    return LayerResult(
        name, passed=total - failed - skipped, failed=failed, skipped=skipped, skip_notes=notes
    )


def from_odoo_log(name, text, returncode):
    """Counts from Odoo's test runner log.

    Besides failed tests, a non-zero exit, an ERROR outside a test report, or
    a loader WARNING that names the addon each count as one failure: the addon
    must load cleanly.
    """
    matches = ODOO_RESULT.findall(text)
    if not matches:
        return LayerResult(name, failed=1)
    failed, errors, total = (int(x) for x in matches[-1])
    skipped = len(ODOO_SKIPPED.findall(text))
    problems = int(returncode != 0 and failed + errors == 0) + len(addon_warnings(text))
    problems += sum(1 for line in text.splitlines() if is_stray_error(line))
    return LayerResult(
        name, passed=total - failed - errors - skipped, failed=failed + errors + problems, skipped=skipped
    )


def is_stray_error(line):
    """An ERROR logged by loading (not by a test, which the report counts)."""
    return bool(LOADER_ERROR.search(line)) and " odoo.modules" in line


OUR_NAMES = re.compile(r"abs_connector|\b(?:ov|abs)\.[a-z_]+")


def addon_warnings(text):
    """Warnings Odoo's loader, ORM or fields logged about the addon (not its tests)."""
    return [
        m.group(0)
        for m in ADDON_WARNING.finditer(text)
        if ".tests" not in m.group("logger") and OUR_NAMES.search(m.group("msg"))
    ]


def summary(results):
    passed = sum(r.passed for r in results)
    failed = sum(r.failed for r in results)
    skipped = sum(r.skipped for r in results)
    return f"TOTAL: {passed} passed, {failed} failed, {skipped} skipped"
