"""One way to elevate: ``elevate(records, reason)``, never a bare ``.sudo()`` in the addon."""

import re
from pathlib import Path

import pytest
from elevation import elevate

ADDON = Path(__file__).resolve().parents[2] / "abs_connector"
BARE_SUDO = re.compile(r"\.sudo\(\)")


class FakeRecords:
    def sudo(self):
        return "elevated"


def test_elevate_returns_the_records_as_superuser():
    assert elevate(FakeRecords(), "the caller's authority was checked") == "elevated"


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_elevate_refuses_to_elevate_without_a_reason(reason):
    with pytest.raises(ValueError):
        elevate(FakeRecords(), reason)


def test_no_bare_sudo_in_production_code():
    offenders = [
        f"{path.relative_to(ADDON)}:{number}"
        for path in sorted(ADDON.rglob("*.py"))
        if "tests" not in path.relative_to(ADDON).parts and path.name != "elevation.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if BARE_SUDO.search(line)
    ]
    assert offenders == [], "use elevate(records, reason) instead of .sudo()"
