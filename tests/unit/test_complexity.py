"""No production function of the addon is rated C or worse by radon (cyclomatic complexity > 10).

Small functions are what lets a newcomer change one rule without breaking another; a function
that grows past B is split into named steps. Tests and the developer tools are not production.
"""

from pathlib import Path

from radon.complexity import cc_rank, cc_visit

REPO = Path(__file__).resolve().parents[2]
PRODUCTION = [REPO / "abs_connector", REPO / "migrations"]


def _production_files():
    for root in PRODUCTION:
        for path in sorted(root.rglob("*.py")):
            if "tests" not in path.relative_to(REPO).parts:
                yield path


def _blocks(block):
    yield block
    for child in getattr(block, "closures", []) + getattr(block, "methods", []):
        yield from _blocks(child)


def test_no_production_function_is_rated_c_or_worse():
    too_complex = [
        f"{path.relative_to(REPO)}:{block.lineno} {block.fullname} {cc_rank(block.complexity)}"
        for path in _production_files()
        for top in cc_visit(path.read_text())
        for block in _blocks(top)
        if cc_rank(block.complexity) not in ("A", "B")
    ]
    assert too_complex == [], "split these into smaller functions:\n" + "\n".join(too_complex)
