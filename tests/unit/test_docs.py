"""The documentation site builds strictly and stays true to the code.

``mkdocs build --strict`` runs once for the module; the checks then read the
built HTML: every key-concepts row of Home lands on a real heading, the
generated API reference lists every path and schema of ``build_openapi()``,
the event catalog every event schema, the configuration page every key the
code reads.
"""

import importlib.util
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
ADDON = REPO / "abs_connector"
EVENT_SCHEMAS = ADDON / "governance" / "schemas" / "events"

# Seed 001's key-concepts table: every concept must keep a row that links somewhere real.
SEED_001_CONCEPTS = (
    "Three-level model",
    "SA hierarchy",
    "Customer creation",
    "Visibility policies",
    "V3-canonical reassignment",
    "Membership revocation side-effects",
    "One-active-assignment-per-SA",
    "Legacy backfill",
    "Roadmap for Phase 2+",
    "Product taxonomy",
    "Warehouse & stock management",
    "Invoice governance gap",
    "Subscription lifecycle",
    "Complete API surface",
    "Odoo modules reference",
    "Operations pre-flight checklist",
    "Common config mistakes",
)


class _Anchors(HTMLParser):
    """Collects the ids of headings, and of any element, of one HTML page."""

    def __init__(self):
        super().__init__()
        self.heading_ids, self.ids, self._open_heading = set(), set(), None
        self.heading_text = {}

    def handle_starttag(self, tag, attrs):
        element_id = dict(attrs).get("id")
        if element_id:
            self.ids.add(element_id)
        if re.fullmatch(r"h[1-6]", tag):
            self._open_heading = element_id
            if element_id:
                self.heading_ids.add(element_id)
                self.heading_text[element_id] = ""

    def handle_endtag(self, tag):
        if re.fullmatch(r"h[1-6]", tag):
            self._open_heading = None

    def handle_data(self, data):
        if self._open_heading:
            self.heading_text[self._open_heading] += data


def anchors(html_file):
    parser = _Anchors()
    parser.feed(html_file.read_text(encoding="utf-8"))
    return parser


def page_html(site, md_path):
    """Built HTML file of a Markdown page (use_directory_urls: x/y.md -> x/y/index.html)."""
    md_path = md_path.removesuffix(".md")
    if md_path == "index":
        return site / "index.html"
    if md_path.endswith("/index"):
        return site / md_path.removesuffix("index") / "index.html"
    return site / md_path / "index.html"


def load_hook():
    spec = importlib.util.spec_from_file_location("abs_docs_generate", DOCS / "hooks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def isolated_imports():
    """The hook imports ``governance`` from the addon it is given: restore ours afterwards."""
    saved_path = list(sys.path)
    saved = {name: mod for name, mod in sys.modules.items() if name.split(".")[0] == "governance"}
    yield
    sys.path[:] = saved_path
    for name in [n for n in sys.modules if n.split(".")[0] == "governance"]:
        del sys.modules[name]
    sys.modules.update(saved)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(REPO / "mkdocs.yml"),
            "--site-dir",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, f"mkdocs build --strict failed:\n{completed.stdout}\n{completed.stderr}"
    return out


def key_concept_rows():
    text = (DOCS / "index.md").read_text(encoding="utf-8")
    section = text.split("## Key concepts", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|") and not line.startswith("|---")]
    return [tuple(cell.strip() for cell in row.strip("|").split("|")) for row in rows[1:]]


# ---------------------------------------------------------------------------
# The site
# ---------------------------------------------------------------------------


def test_site_builds_strictly_with_every_nav_page(site):
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))

    def pages(nav):
        for entry in nav:
            value = next(iter(entry.values())) if isinstance(entry, dict) else entry
            if isinstance(value, list):
                yield from pages(value)
            else:
                yield value

    for md_path in pages(config["nav"]):
        assert page_html(site, md_path).is_file(), f"{md_path} is in the nav but was not built"


def test_home_has_a_key_concept_row_for_every_seed_001_concept():
    concepts = [row[0] for row in key_concept_rows()]
    for concept in SEED_001_CONCEPTS:
        assert any(concept in text for text in concepts), f"Home lost the key concept {concept!r}"


def test_every_key_concept_row_links_to_an_existing_heading_anchor(site):
    rows = key_concept_rows()
    assert rows
    for concept, where in rows:
        link = re.fullmatch(r"\[[^\]]+\]\(([^)#]+)#([^)]+)\)", where)
        assert link, f"key concept {concept!r} does not link to a page section: {where!r}"
        page, anchor = link.groups()
        html_file = page_html(site, page)
        assert html_file.is_file(), f"{concept!r} links to {page}, which was not built"
        assert anchor in anchors(html_file).heading_ids, f"{concept!r}: {page} has no heading #{anchor}"


def test_architecture_decision_index_lists_every_record():
    index = (DOCS / "adr" / "index.md").read_text(encoding="utf-8")
    records = sorted(p.name for p in (DOCS / "adr").glob("[0-9][0-9][0-9][0-9]-*.md"))
    assert len(records) >= 10
    for name in records:
        assert f"]({name})" in index, f"docs/adr/index.md does not link {name}"


def test_generated_pages_are_never_committed():
    assert not (DOCS / "reference" / "api.md").exists()
    assert not (DOCS / "reference" / "events.md").exists()
    assert not (DOCS / "reference" / "asyncapi.md").exists()


# ---------------------------------------------------------------------------
# Generated reference pages
# ---------------------------------------------------------------------------


def test_api_reference_lists_every_path_method_and_schema(site, isolated_imports):
    hook = load_hook()
    document = hook.load_openapi(ADDON)
    page = anchors(page_html(site, "reference/api.md"))
    operations = [
        (path, method)
        for path, item in document["paths"].items()
        for method in hook.HTTP_METHODS
        if method in item
    ]
    assert operations
    for path, method in operations:
        anchor = hook.operation_anchor(method, path)
        assert anchor in page.heading_ids, f"API reference misses {method.upper()} {path}"
        assert path in page.heading_text[anchor]
    for name in document.get("components", {}).get("schemas", {}):
        assert f"schema-{hook.slug(name)}" in page.heading_ids, f"API reference misses schema {name}"


def test_event_catalog_lists_every_event_schema_and_field(site):
    files = sorted(EVENT_SCHEMAS.glob("*.schema.json"))
    assert files, "no event schema: the catalog has nothing to render"
    html_file = page_html(site, "reference/events.md")
    page = anchors(html_file)
    html = html_file.read_text(encoding="utf-8")
    hook = load_hook()
    for path in files:
        event_type = path.name.removesuffix(".schema.json")
        assert hook.slug(event_type) in page.heading_ids, f"event catalog misses {event_type}"
        schema = json.loads(path.read_text(encoding="utf-8"))
        for field in schema.get("properties", {}):
            assert f"<code>{field}</code>" in html, f"event catalog misses field {field} of {event_type}"


def test_asyncapi_page_lists_every_channel_address_and_links_its_event(site, isolated_imports):
    document = load_hook().load_asyncapi(ADDON)
    html = page_html(site, "reference/asyncapi.md").read_text(encoding="utf-8")
    for channel in document["channels"].values():
        assert f"<code>{channel['address']}</code>" in html, channel["address"]
        assert f'href="../events/#{load_hook().slug(channel["title"])}"' in html, channel["title"]


def _config_keys_read_by_code():
    pattern = re.compile(r"""config(?:\.get)?\s*[\[(]\s*["'](abs_[a-z0-9_]+)["']""")
    keys = set()
    for path in ADDON.rglob("*.py"):
        keys.update(pattern.findall(path.read_text(encoding="utf-8")))
    return keys


def test_configuration_page_documents_every_key_the_code_reads(site, isolated_imports):
    hook = load_hook()
    keys = _config_keys_read_by_code() | {key for key, _default, _text in hook.code_setting_keys(ADDON)}
    conf = REPO / "odoo.conf"
    if conf.is_file():
        keys |= {key for key, _value, _text in hook.parse_odoo_conf(conf)}
    assert keys, "found no abs_* configuration key at all"
    page = anchors(page_html(site, "reference/configuration.md"))
    missing = sorted(key for key in keys if hook.slug(key) not in page.ids)
    assert not missing, (
        f"the code reads {', '.join(missing)} but the configuration page cannot document them: "
        "add each, with a comment saying what it does, to the shipped odoo.conf"
    )


# ---------------------------------------------------------------------------
# The hook's behaviour on missing or broken sources
# ---------------------------------------------------------------------------


def test_hook_fails_the_build_when_a_schema_source_is_missing(tmp_path, isolated_imports):
    from mkdocs.exceptions import PluginError

    hook = load_hook()
    (tmp_path / "governance").mkdir()
    with pytest.raises(PluginError, match="openapi.py is missing"):
        hook.load_openapi(tmp_path)
    with pytest.raises(PluginError, match="no event schema"):
        hook.load_event_schemas(tmp_path)
    with pytest.raises(PluginError, match="visibility.py is missing"):
        hook.render_policy_table(tmp_path)


def test_hook_fails_the_build_when_the_openapi_module_is_broken(tmp_path, isolated_imports):
    from mkdocs.exceptions import PluginError

    hook = load_hook()
    package = tmp_path / "governance"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "openapi.py").write_text("def build_openapi():\n    raise RuntimeError('boom')\n")
    with pytest.raises(PluginError, match="boom"):
        hook.load_openapi(tmp_path)


def test_hook_fails_the_build_when_an_event_schema_is_invalid(tmp_path):
    from mkdocs.exceptions import PluginError

    hook = load_hook()
    folder = tmp_path / "governance" / "schemas" / "events"
    folder.mkdir(parents=True)
    (folder / "customer.created.schema.json").write_text('{"type": "no-such-type"}')
    with pytest.raises(PluginError, match=r"customer\.created"):
        hook.load_event_schemas(tmp_path)


def test_walkthrough_bash_blocks_are_valid_bash():
    text = (DOCS / "agent" / "start-here.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```bash[ \t]*\n(.*?)^```[ \t]*$", text, flags=re.MULTILINE | re.DOTALL)
    assert len(blocks) >= 8, "the walkthrough lost its executable steps"
    completed = subprocess.run(
        ["bash", "-n"], input="\n".join(blocks), capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
