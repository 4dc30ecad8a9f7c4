"""mkdocs hook: render the API reference and the event catalog at build time.

Both pages are generated from the files the running code uses (DESIGN.md
decision 10): the OpenAPI document returned by
``abs_connector/governance/openapi.py:build_openapi()`` and the JSON Schemas in
``abs_connector/governance/schemas/events/``. Nothing is copied by hand, so the
documentation cannot drift from the code.

A source that is missing or cannot be loaded stops the build (PluginError):
a broken or deleted schema must never ship as a silently empty page.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

API_PAGE = "reference/api.md"
EVENTS_PAGE = "reference/events.md"
ASYNCAPI_PAGE = "reference/asyncapi.md"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


# ---------------------------------------------------------------------------
# mkdocs entry points
# ---------------------------------------------------------------------------


def on_config(config):
    # `mkdocs serve` rebuilds when the schema sources change, not only the pages.
    governance = addon_dir(config) / "governance"
    if governance.is_dir():
        config.watch.append(str(governance))
    return config


def on_files(files, config):
    addon = addon_dir(config)
    api_md = render_openapi(load_openapi(addon))
    events_md = render_events(load_event_schemas(addon), load_topic_example(addon))
    asyncapi_md = render_asyncapi(load_asyncapi(addon))
    for src_uri, content in ((API_PAGE, api_md), (EVENTS_PAGE, events_md), (ASYNCAPI_PAGE, asyncapi_md)):
        existing = files.get_file_from_path(src_uri)
        if existing is not None:
            raise PluginError(
                f"docs/{src_uri} must not exist: the page is generated at build time "
                "from the code's own schema files."
            )
        files.append(File.generated(config, src_uri, content=content))
    return files


MARKER = re.compile(r"<!-- abs:([a-z_]+) -->")


def on_page_markdown(markdown, page, config, files):
    """Replace ``<!-- abs:NAME -->`` markers with text generated from the code."""
    addon = addon_dir(config)

    def replace(match):
        name = match.group(1)
        renderer = MARKERS.get(name)
        if renderer is None:
            raise PluginError(f"{page.file.src_uri}: unknown generated-content marker abs:{name}")
        return renderer(addon)

    return MARKER.sub(replace, markdown)


def addon_dir(config) -> Path:
    return Path(config.config_file_path).resolve().parent / "abs_connector"


def read_manifest(addon: Path) -> dict:
    import ast

    return ast.literal_eval((addon / "__manifest__.py").read_text(encoding="utf-8"))


def render_module_version(addon: Path) -> str:
    """The version declared in the manifest (the one `odoo -u` upgrades to)."""
    return f"`{read_manifest(addon)['version']}`"


def render_manifest_depends(addon: Path) -> str:
    depends = read_manifest(addon).get("depends", [])
    return "`depends`: " + ", ".join(f"`{name}`" for name in depends) + "\n"


def render_manifest_python(addon: Path) -> str:
    python = read_manifest(addon).get("external_dependencies", {}).get("python", [])
    return "`external_dependencies.python`: " + ", ".join(f"`{name}`" for name in python) + "\n"


def _visibility(addon: Path):
    if not (addon / "governance" / "visibility.py").is_file():
        raise PluginError("abs_connector/governance/visibility.py is missing: the policy tables come from it")
    try:
        return _import_governance_module(addon, "visibility")
    except Exception as exc:
        raise PluginError(f"governance.visibility cannot be imported: {exc!r}") from exc


def render_roles_table(addon: Path) -> str:
    """Role by capability matrix, from the table the visibility helper enforces."""
    visibility = _visibility(addon)
    roles = list(visibility.ROLES)
    capabilities = sorted(set().union(*visibility.ROLE_CAPABILITIES.values()))
    out = [
        "| Capability | " + " | ".join(f"`{r}`" for r in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    settings = getattr(visibility, "SETTING_CAPABILITIES", {})
    for capability in capabilities:
        marks = [_role_mark(visibility, settings, role, capability) for role in roles]
        out.append(f"| `{capability}` | " + " | ".join(marks) + " |")
    out.append(
        "| default policy | " + " | ".join(f"`{visibility.ROLE_DEFAULT_POLICY[r]}`" for r in roles) + " |"
    )
    return "\n".join(out) + "\n"


def render_authority_table(addon: Path) -> str:
    """Ranks of roles, policies and hierarchy scopes, from the module that enforces them."""
    try:
        authority = _import_governance_module(addon, "authority")
    except Exception as exc:
        raise PluginError(f"governance.authority cannot be imported: {exc!r}") from exc
    out = ["| Rank | Roles | Visibility policy | Hierarchy scope |", "|---|---|---|---|"]
    for rank in sorted(set(authority.ROLE_RANK.values()), reverse=True):

        def named(table, rank=rank):
            return ", ".join(f"`{name}`" for name, value in table.items() if value == rank) or "—"

        out.append(
            f"| {rank} | {named(authority.ROLE_RANK)} | {named(authority.POLICY_WIDTH)} "
            f"| {named(authority.HIERARCHY_WIDTH)} |"
        )
    return "\n".join(out) + "\n"


def _role_mark(visibility, settings, role, capability):
    """✅ granted by the role; "SA setting `x`" when only a Service Account setting grants it."""
    if visibility.has_capability(role, capability):
        return "✅"
    enabling = [name for name, grants in settings.items() if capability in grants.get(role, ())]
    return "if SA setting " + ", ".join(f"`{name}`" for name in enabling) if enabling else "—"


POLICY_MEANING = {
    # The SQL each policy adds to the assignment sub-select, read from the helper below.
    "sa_wide": "All active assignments in the SA",
    "assigned_plus_unassigned": "`actor_id = me OR actor_id IS NULL`",
    "assigned_only": "`actor_id = me`",
}


def render_policy_table(addon: Path) -> str:
    """Policy → domain → default roles, computed by calling the helper itself."""
    visibility = _visibility(addon)
    out = [
        "| Policy | Sees | Domain on `ov.sa_customer_assignment` (SA 42, person 7) | Default for |",
        "|---|---|---|---|",
    ]
    for policy in visibility.POLICIES:
        ctx = visibility.AccessContext(
            person_id=7,
            sa_id=42,
            sa_parent_path="1/42/",
            membership_id=1,
            membership_sa_id=42,
            role_code="staff",
            policy=policy,
        )
        domain = visibility.assignment_domain(ctx)
        roles = [r for r in visibility.ROLES if visibility.ROLE_DEFAULT_POLICY.get(r) == policy]
        default_for = ", ".join(f"`{r}`" for r in roles) or "manual override only"
        out.append(f"| `{policy}` | {POLICY_MEANING.get(policy, '')} | `{domain!r}` | {default_for} |")
    return "\n".join(out) + "\n"


def parse_odoo_conf(path: Path) -> list[tuple[str, str, str]]:
    """(key, shipped value, description) of every ``abs_*`` key of odoo.conf.

    The description is the block of ``;`` comment lines right above the key,
    which is where the shipped odoo.conf explains each setting. A separator
    line (``; ----``) ends a section banner; keys listed back to back share
    the comment above the first of them.
    """
    entries, comments, previous = [], [], None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith((";", "#")):
            text = line.lstrip(";#").strip()
            if text and set(text) <= set("-=*"):
                comments = []  # a banner separator: what came before was a section title
            elif text:
                comments.append(text)
            previous = None
            continue
        if "=" in line and not line.startswith("["):
            key, value = (part.strip() for part in line.split("=", 1))
            description = " ".join(comments) if comments else (previous or "")
            if key.startswith("abs_"):
                entries.append((key, value, description))
            previous = description
        else:
            previous = None
        comments = []
    return entries


def code_setting_keys(addon: Path) -> list[tuple[str, str, str]]:
    """(key, default, meaning) tables the code itself declares (``SETTING_KEYS``)."""
    if not (addon / "governance" / "events.py").is_file():
        return []
    try:
        module = _import_governance_module(addon, "events")
    except Exception as exc:
        raise PluginError(f"governance.events cannot be imported: {exc!r}") from exc
    return [tuple(entry) for entry in getattr(module, "SETTING_KEYS", ())]


def render_config_table(addon: Path) -> str:
    """Every ``abs_*`` key: the code's own defaults and the shipped odoo.conf."""
    conf = addon.parent / "odoo.conf"
    shipped = {key: (value, text) for key, value, text in parse_odoo_conf(conf)} if conf.is_file() else {}
    declared = {key: (default, text) for key, default, text in code_setting_keys(addon)}
    keys = list(shipped) + [key for key in declared if key not in shipped]
    if not keys:
        raise PluginError("no abs_* configuration key found in odoo.conf or governance/events.py")

    def cell(value):
        return f"`{esc(value)}`" if value else "*(empty)*"

    out = ["| Key | Shipped `odoo.conf` | Code default | Meaning |", "|---|---|---|---|"]
    for key in keys:
        conf_value, conf_text = shipped.get(key, (None, ""))
        default, code_text = declared.get(key, (None, ""))
        out.append(
            f"| `{key}`{{ #{slug(key)} }} | {cell(conf_value) if key in shipped else 'not listed'} | "
            f"{cell(default) if key in declared else '—'} | {esc(code_text or conf_text)} |"
        )
    return "\n".join(out) + "\n"


MARKERS = {
    "config_table": render_config_table,
    "manifest_depends": render_manifest_depends,
    "manifest_python": render_manifest_python,
    "module_version": render_module_version,
    "roles_table": render_roles_table,
    "policy_table": render_policy_table,
    "authority_table": render_authority_table,
}


# ---------------------------------------------------------------------------
# Loading the sources
# ---------------------------------------------------------------------------


def _import_governance_module(addon: Path, name: str):
    """Import ``governance.<name>`` the way tests/unit does (addon dir on sys.path).

    Cached modules are dropped first so that `mkdocs serve` sees edits.
    """
    if str(addon) not in sys.path:
        sys.path.insert(0, str(addon))
    for mod in [m for m in sys.modules if m == "governance" or m.startswith("governance.")]:
        del sys.modules[mod]
    return importlib.import_module(f"governance.{name}")


def load_openapi(addon: Path) -> dict:
    """The published OpenAPI document."""
    if not (addon / "governance" / "openapi.py").is_file():
        raise PluginError("abs_connector/governance/openapi.py is missing: the API reference comes from it")
    try:
        module = _import_governance_module(addon, "openapi")
        document = module.build_openapi()
    except Exception as exc:
        raise PluginError(f"governance.openapi.build_openapi() failed: {exc!r}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise PluginError("governance.openapi.build_openapi() must return a dict with a 'paths' object")
    return document


def load_asyncapi(addon: Path) -> dict:
    """The published AsyncAPI document of the MQTT events."""
    try:
        document = _import_governance_module(addon, "asyncapi").build_asyncapi()
    except Exception as exc:
        raise PluginError(f"governance.asyncapi.build_asyncapi() failed: {exc!r}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("channels"), dict):
        raise PluginError("governance.asyncapi.build_asyncapi() must return a dict with a 'channels' object")
    return document


def load_event_schemas(addon: Path) -> list[tuple[str, dict]]:
    """(event type, schema) pairs sorted by type."""
    folder = addon / "governance" / "schemas" / "events"
    paths = sorted(folder.glob("*.schema.json")) if folder.is_dir() else []
    if not paths:
        raise PluginError(f"no event schema in {folder}: the event catalog is built from them")
    from jsonschema.validators import validator_for

    schemas = []
    for path in paths:
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
            validator_for(schema).check_schema(schema)
        except Exception as exc:
            raise PluginError(f"{path}: not a valid JSON Schema: {exc}") from exc
        event_type = path.name.removesuffix(".schema.json")
        schemas.append((event_type, schema))
    return schemas


def load_topic_example(addon: Path) -> str | None:
    """An example MQTT topic built by the relay's own topic function, if it exists."""
    if not (addon / "governance" / "events.py").is_file():
        return None
    try:
        module = _import_governance_module(addon, "events")
    except Exception as exc:
        raise PluginError(f"governance.events cannot be imported: {exc!r}") from exc
    builder = getattr(module, "build_topic", None)
    if builder is None:
        return None
    try:
        return builder("abs/<database>", "<sa_id>", "<type>")
    except TypeError:
        return None


# ---------------------------------------------------------------------------
# Markdown helpers
# ---------------------------------------------------------------------------


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def esc(text) -> str:
    """Text from a schema, made safe inside a Markdown table cell.

    Outside code spans: raw HTML is neutralised and ``|`` escaped. Inside code
    spans nothing is touched: Markdown already shows them literally, and table
    cells do not split on a ``|`` within backticks.
    """
    if text is None:
        return ""
    parts = re.split(r"(`[^`]*`)", str(text).replace("\n", " "))
    for i in range(0, len(parts), 2):
        parts[i] = (
            parts[i].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
        )
    return "".join(parts).strip()


def esc_block(text) -> str:
    """Multi-line description: keep paragraphs, neutralise raw HTML."""
    if not text:
        return ""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").strip()


def code_json(value) -> str:
    return "```json\n" + json.dumps(value, indent=2, ensure_ascii=False) + "\n```"


def indent(text: str, spaces: int = 4) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line else line for line in text.splitlines())


def schema_type(schema: dict, link_ref=None) -> str:
    """Short human type: `string`, `integer | null`, `array of Contact`, `one of A, B`."""
    if not isinstance(schema, dict):
        return ""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return link_ref(name) if link_ref else esc(name)
    for combiner, word in (("oneOf", "one of"), ("anyOf", "any of"), ("allOf", "all of")):
        if combiner in schema:
            return f"{word} " + ", ".join(schema_type(s, link_ref) for s in schema[combiner])
    kind = schema.get("type")
    if kind is None and "const" in schema:
        kind = JSON_TYPES.get(type(schema["const"]), "any")
    if isinstance(kind, list):
        text = " \\| ".join(kind)
    else:
        text = kind or ("object" if "properties" in schema else "any")
    if kind == "array" or (isinstance(kind, list) and "array" in kind):
        text += " of " + schema_type(schema.get("items", {}), link_ref)
    if schema.get("format"):
        text += f" ({esc(schema['format'])})"
    return text


JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}


def literal(value) -> str:
    """A schema value as a reader writes it in JSON: `active`, `false`, `null`, `1`."""
    return value if isinstance(value, str) else json.dumps(value)


def constraints(schema: dict) -> str:
    parts = []
    if "const" in schema:
        parts.append(f"always `{literal(schema['const'])}`")
    if "enum" in schema:
        parts.append("one of " + ", ".join(f"`{literal(v)}`" for v in schema["enum"]))
    for key, word in (
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("minimum", "min"),
        ("maximum", "max"),
        ("minItems", "min items"),
        ("maxItems", "max items"),
        ("pattern", "pattern"),
        ("default", "default"),
    ):
        if key in schema:
            value = schema[key]
            parts.append(f"{word} `{literal(value)}`" if key in ("pattern", "default") else f"{word} {value}")
    return "; ".join(parts)


def field_rows(schema: dict, link_ref=None, prefix: str = "", depth: int = 0) -> list[str]:
    """Rows `| field | type | required | description |`, nested objects dotted."""
    rows = []
    if not isinstance(schema, dict):
        return rows
    required = set(schema.get("required", []))
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        full = f"{prefix}{name}"
        details = " ".join(x for x in (esc(prop.get("description")), esc(constraints(prop))) if x)
        needed = "yes" if name in required else "no"
        rows.append(f"| `{full}` | {schema_type(prop, link_ref)} | {needed} | {details} |")
        nested = prop
        if prop.get("type") == "array" and isinstance(prop.get("items"), dict):
            nested = prop["items"]
            full += "[]"
        if depth < 3 and isinstance(nested, dict) and nested.get("properties"):
            rows.extend(field_rows(nested, link_ref, prefix=f"{full}.", depth=depth + 1))
    return rows


def field_table(schema: dict, link_ref=None) -> str:
    rows = field_rows(schema, link_ref)
    if not rows:
        return ""
    extra = ""
    if isinstance(schema, dict) and schema.get("additionalProperties") is False:
        extra = "\n\nNo other field is allowed (`additionalProperties: false`)."
    return "| Field | Type | Required | Description |\n|---|---|---|---|\n" + "\n".join(rows) + extra


# ---------------------------------------------------------------------------
# API reference
# ---------------------------------------------------------------------------


def operation_anchor(method: str, path: str) -> str:
    return slug(f"{method} {path}")


def render_openapi(document: dict) -> str:
    out = ["# API reference", ""]
    info = document.get("info", {})
    schemas = (document.get("components") or {}).get("schemas") or {}

    def link_ref(name: str) -> str:
        if name in schemas:
            return f"[{esc(name)}](#schema-{slug(name)})"
        return esc(name)

    out += [
        '!!! info "Generated page"',
        "    This page is generated at build time from `build_openapi()` in",
        "    `abs_connector/governance/openapi.py` — the same document the server publishes at",
        "    `GET /api/openapi.json` and validates request bodies against. Do not edit it by hand.",
        "",
        f"**{esc(info.get('title', 'API'))}** — version `{esc(info.get('version', '?'))}`, "
        f"OpenAPI `{esc(document.get('openapi', '?'))}`, license "
        f"`{esc((info.get('license') or {}).get('identifier', '?'))}`.",
        "",
        "A running server also renders this document as an interactive reference at `GET /api/docs`",
        "(Redoc, served by the addon itself: no CDN).",
        "",
    ]
    if info.get("description"):
        out += [esc_block(info["description"]), ""]

    security_schemes = (document.get("components") or {}).get("securitySchemes") or {}
    if security_schemes:
        out += ["## Authentication", "", "| Scheme | Kind | Details |", "|---|---|---|"]
        for name, scheme in security_schemes.items():
            kind = scheme.get("type", "")
            detail = []
            if scheme.get("scheme"):
                detail.append(f"HTTP `{esc(scheme['scheme'])}`")
            if scheme.get("bearerFormat"):
                detail.append(f"format {esc(scheme['bearerFormat'])}")
            if scheme.get("in"):
                detail.append(f"`{esc(scheme.get('name'))}` in {esc(scheme['in'])}")
            if scheme.get("description"):
                detail.append(esc(scheme["description"]))
            out.append(f"| `{esc(name)}` | {esc(kind)} | {'; '.join(detail)} |")
        out.append("")

    operations = []
    for path, item in document["paths"].items():
        if not isinstance(item, dict):
            continue
        shared_params = item.get("parameters", [])
        for method in HTTP_METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                operations.append((path, method, op, shared_params))

    out += ["## Endpoints", "", "| Method | Path | Summary | Auth |", "|---|---|---|---|"]
    global_security = document.get("security")
    for path, method, op, _params in operations:
        anchor = operation_anchor(method, path)
        out.append(
            f"| `{method.upper()}` | [`{path}`](#{anchor}) | {esc(op.get('summary'))} | "
            f"{security_text(op.get('security', global_security), security_schemes)} |"
        )
    out.append("")

    # Operations grouped by their first tag, in the order the document lists them.
    tags = {tag.get("name"): tag for tag in document.get("tags", []) if isinstance(tag, dict)}
    groups = {}
    for operation in operations:
        groups.setdefault((operation[2].get("tags") or ["other"])[0], []).append(operation)
    for tag, members in groups.items():
        out += [f"## {esc(tag.replace('-', ' ').capitalize())} {{ #tag-{slug(tag)} }}", ""]
        if tags.get(tag, {}).get("description"):
            out += [esc_block(tags[tag]["description"]), ""]
        for path, method, op, shared_params in members:
            out += render_operation(
                path, method, op, shared_params, document, link_ref, global_security, security_schemes
            )

    if schemas:
        out += ["## Schemas", ""]
        for name, schema in schemas.items():
            out += [f"### {esc(name)} {{ #schema-{slug(name)} }}", ""]
            if isinstance(schema, dict) and schema.get("description"):
                out += [esc_block(schema["description"]), ""]
            table = field_table(schema, link_ref)
            if table:
                out += [table, ""]
            else:
                out += [f"Type: {schema_type(schema, link_ref)}", ""]
            out += [f'??? note "JSON Schema of {esc(name)}"', indent(code_json(schema)), ""]
    return "\n".join(out)


def scheme_label(name: str, schemes: dict) -> str:
    """`bearerAuth` -> "JWT (`Authorization: Bearer`)", `apiKeyAuth` -> "`X-API-KEY` header"."""
    scheme = schemes.get(name) or {}
    if scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "bearer":
        kind = scheme.get("bearerFormat") or "token"
        return f"{kind} (`Authorization: Bearer`)"
    if scheme.get("type") == "apiKey":
        return f"`{scheme.get('name')}` {scheme.get('in', '')}".strip()
    return f"`{name}`"


def security_text(requirements, schemes=None) -> str:
    if requirements is None:
        return "—"
    if not requirements:
        return "none"
    names = []
    for requirement in requirements:
        names.append(" + ".join(scheme_label(n, schemes or {}) for n in requirement) or "none")
    return " or ".join(names)


def resolve(document: dict, obj):
    """Follow a local $ref (parameters, request bodies, responses)."""
    seen = 0
    while isinstance(obj, dict) and "$ref" in obj and seen < 10:
        ref = obj["$ref"]
        if not ref.startswith("#/"):
            return obj
        target = document
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        obj = target
        seen += 1
    return obj


def render_operation(
    path, method, op, shared_params, document, link_ref, global_security, security_schemes
) -> list[str]:
    anchor = operation_anchor(method, path)
    out = [f"### `{method.upper()} {path}` {{ #{anchor} }}", ""]
    if op.get("summary"):
        out += [f"**{esc(op['summary'])}**", ""]
    if op.get("description"):
        out += [esc_block(op["description"]), ""]
    out += [f"Authentication: {security_text(op.get('security', global_security), security_schemes)}", ""]

    params = [resolve(document, p) for p in list(shared_params) + list(op.get("parameters", []))]
    params = [p for p in params if isinstance(p, dict) and p.get("name")]
    if params:
        out += ["| Parameter | In | Type | Required | Description |", "|---|---|---|---|---|"]
        for p in params:
            schema = p.get("schema", {})
            details = " ".join(x for x in (esc(p.get("description")), esc(constraints(schema))) if x)
            out.append(
                f"| `{esc(p['name'])}` | {esc(p.get('in'))} | {schema_type(schema, link_ref)} | "
                f"{'yes' if p.get('required') else 'no'} | {details} |"
            )
        out.append("")

    body = resolve(document, op.get("requestBody"))
    if isinstance(body, dict) and body.get("content"):
        for media, content in body["content"].items():
            schema = content.get("schema", {})
            out += [
                f"Request body (`{esc(media)}`{', required' if body.get('required') else ''}): "
                f"{schema_type(schema, link_ref)}",
                "",
            ]
            table = field_table(resolve(document, schema), link_ref)
            if table:
                out += [table, ""]
            example = content.get("example")
            if example is None and content.get("examples"):
                first = next(iter(content["examples"].values()))
                example = first.get("value") if isinstance(first, dict) else None
            if example is not None:
                out += ["Example request body:", "", code_json(example), ""]

    responses = op.get("responses") or {}
    if responses:
        out += ["| Status | Meaning | Body |", "|---|---|---|"]
        for status, response in responses.items():
            response = resolve(document, response)
            content = (response or {}).get("content") or {}
            bodies = ", ".join(schema_type(c.get("schema", {}), link_ref) for c in content.values())
            out.append(f"| `{esc(status)}` | {esc((response or {}).get('description'))} | {bodies or '—'} |")
        out.append("")
        for status, response in responses.items():
            for content in ((resolve(document, response) or {}).get("content") or {}).values():
                example = next(iter((content.get("examples") or {}).values()), {}).get("value")
                if example is not None:
                    out += [f"Example response (`{esc(status)}`):", "", code_json(example), ""]
    return out


# ---------------------------------------------------------------------------
# AsyncAPI
# ---------------------------------------------------------------------------


def render_asyncapi(document: dict) -> str:
    info = document.get("info", {})
    out = [
        "# AsyncAPI: the MQTT contract",
        "",
        '!!! info "Generated page"',
        "    This page is generated at build time from `build_asyncapi()` in",
        "    `abs_connector/governance/asyncapi.py` — the same document a running server publishes at",
        "    `GET /api/asyncapi.json`, built from the event JSON Schemas. Do not edit it by hand.",
        "",
        f"**{esc(info.get('title', 'Events'))}** — version `{esc(info.get('version', '?'))}`, "
        f"AsyncAPI `{esc(document.get('asyncapi', '?'))}`. Load `/api/asyncapi.json` into any AsyncAPI "
        "tool (Studio, code generators) to get clients for these events.",
        "",
    ]
    if info.get("description"):
        out += [info["description"], ""]
    for name, server in (document.get("servers") or {}).items():
        out += [f"Server `{esc(name)}`: `{esc(server.get('protocol'))}://{esc(server.get('host'))}` — "
                f"{esc(server.get('description'))}", ""]  # fmt: skip
    operations = {
        op["channel"]["$ref"].rsplit("/", 1)[-1]: op for op in (document.get("operations") or {}).values()
    }
    messages = (document.get("components") or {}).get("messages") or {}
    out += ["## Channels", "", "| Channel address | Message | Delivery |", "|---|---|---|"]
    for channel_id, channel in document["channels"].items():
        qos = ((operations.get(channel_id) or {}).get("bindings") or {}).get("mqtt", {}).get("qos")
        message = messages.get(channel_id, {})
        out.append(
            f"| `{esc(channel.get('address'))}` | [`{esc(message.get('name', channel_id))}`]"
            f"(events.md#{slug(message.get('name', channel_id))}) — {esc(message.get('title'))} | "
            f"{esc(operations.get(channel_id, {}).get('action', ''))}, QoS {esc(qos)} |"
        )
    out.append("")
    parameters = (document.get("components") or {}).get("parameters") or {}
    if parameters:
        out += ["| Address parameter | Meaning |", "|---|---|"]
        out += [f"| `{esc(name)}` | {esc(p.get('description'))} |" for name, p in parameters.items()]
        out.append("")
    out += ['??? note "The whole AsyncAPI document"', indent(code_json(document)), ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------
# Event catalog
# ---------------------------------------------------------------------------


DURABLE_SUBSCRIPTION = [
    "## Subscribe durably { #subscribe-durably }",
    "",
    "QoS 1 is *at least once* only for a consumer whose session outlives a disconnection.",
    "Subscribe the way the topology tests do, so that a consumer restart, a network cut or a",
    "broker restart (with persistence on) loses nothing:",
    "",
    "* **MQTT 5**, a **fixed client id** per consumer, `clean_start = false` and a",
    "  **session expiry interval** longer than your longest outage (the broker keeps the",
    "  subscription and queues QoS 1 messages while you are away);",
    "* subscribe with **QoS 1** and let the client library reconnect on its own;",
    "* treat the event `id` as the de-duplication key: after a reconnection the broker may",
    "  deliver a message again; events of one subject arrive in the order they happened.",
    "",
    "```python",
    "import paho.mqtt.client as mqtt",
    "from paho.mqtt.enums import CallbackAPIVersion",
    "",
    'client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5, client_id="crm-sync")',
    'client.username_pw_set("integration", PASSWORD)',
    "properties = mqtt.Properties(mqtt.PacketTypes.CONNECT)",
    "properties.SessionExpiryInterval = 7 * 24 * 3600",
    'client.on_connect = lambda c, *_: c.subscribe("abs/prod/#", qos=1)',
    "client.on_message = handle  # skip an event whose id was already processed",
    'client.connect("broker", 1883, clean_start=False, properties=properties)',
    "client.loop_forever()",
    "```",
    "",
    "Operations: [Scaling](../operations/scaling.md#events-and-the-broker) explains the broker side.",
    "",
]


def render_events(schemas: list[tuple[str, dict]], topic_example: str | None = None) -> str:
    out = ["# Event catalog", ""]
    out += [
        '!!! info "Generated page"',
        "    This page is generated at build time from",
        "    `abs_connector/governance/schemas/events/*.schema.json`, the JSON Schemas the test",
        "    suites validate real event payloads against. Do not edit it by hand.",
        "",
        "Every change to a governed customer, a membership or a Service Account writes one event to",
        "the outbox in the same database transaction; the relay publishes it to MQTT (QoS 1) after",
        "the transaction commits. Consumers de-duplicate on the event `id`.",
        "",
    ]
    if topic_example:
        out += [f"Topic, as built by the relay: `{topic_example}`.", ""]
    out += DURABLE_SUBSCRIPTION
    out += ["| Event type | Description |", "|---|---|"]
    for event_type, schema in schemas:
        summary = esc(schema.get("title") or schema.get("description"))
        out.append(f"| [`{event_type}`](#{slug(event_type)}) | {summary} |")
    out.append("")

    for event_type, schema in schemas:
        out += [f"## `{event_type}` {{ #{slug(event_type)} }}", ""]
        if schema.get("title"):
            out += [f"**{esc(schema['title'])}**", ""]
        if schema.get("description"):
            out += [esc_block(schema["description"]), ""]
        out += [f"Schema file: `abs_connector/governance/schemas/events/{event_type}.schema.json`", ""]
        table = field_table(schema, link_ref=None)
        if table:
            out += [table, ""]
        examples = schema.get("examples")
        if isinstance(examples, list) and examples:
            out += ["Example payload:", "", code_json(examples[0]), ""]
        out += [f'??? note "JSON Schema of {event_type}"', indent(code_json(schema)), ""]
    return "\n".join(out)
