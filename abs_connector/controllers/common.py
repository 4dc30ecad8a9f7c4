"""Request/response plumbing shared by the API controllers.

JSON body parsing with a size limit, validation against the OpenAPI document, the Service
Account context of ``X-SA-ID``, list parameters and JSON responses. Errors are raised as
``governance.errors`` classes; ``ir.http._handle_error`` renders them (and rolls back).
"""

import base64
import binascii
import functools
import json
import re

from odoo import fields, http
from odoo.http import request
from odoo.osv import expression
from odoo.tools import SQL, config

from ..elevation import elevate
from ..governance import api_schemas, errors, list_cursor, openapi

_SA_HEADER_RE = re.compile(r"^[1-9][0-9]{0,9}$")
_INT_RE = re.compile(r"^(0|[1-9][0-9]{0,9})$")
# Printable ASCII without spaces, as the IETF draft and the common clients (UUIDs) send it.
_IDEMPOTENCY_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_INT = 2147483647
# What every SA-scoped request reads of its SA (access context, proxy company, capabilities).
_SA_REQUEST_FIELDS = ["state", "parent_path", "company_id", "abs_agents_confirm_orders"]


def api_route(path, auth, **kwargs):
    """An API route: plain HTTP, no CSRF (no cookies are used), no session, every method.

    Methods are dispatched by :func:`dispatch` so that a wrong one answers 405 in the API's
    JSON shape rather than werkzeug's HTML.
    """
    return http.route(
        path,
        type="http",
        auth=auth,
        csrf=False,
        save_session=False,
        max_content_length=api_schemas.MAX_BODY_BYTES,
        **kwargs,
    )


def dispatch(handlers, *args, **kwargs):
    """Call the handler of the request's HTTP method.

    :raise MethodNotAllowed: no handler for this method.
    """
    method = request.httprequest.method.upper()
    handler = handlers.get(method)
    if handler is None:
        raise errors.MethodNotAllowed(allowed=handlers)
    # Odoo's <int:...> converter accepts any size and sign; ids live in PostgreSQL int4.
    if any(isinstance(arg, int) and not 1 <= arg <= MAX_INT for arg in args):
        raise errors.NotFound()
    return handler(*args, **kwargs)


def identity():
    return request.abs_identity


def client_address():
    """The address of the client, as the sign-in throttle counts it.

    Behind a reverse proxy (Odoo's ``proxy_mode`` on), the last ``X-Forwarded-For`` entry:
    the one the trusted proxy appended, which the client cannot choose. Otherwise the TCP
    peer; a client's own ``X-Forwarded-For`` is then ignored.
    """
    httprequest = request.httprequest
    if config.get("proxy_mode"):
        forwarded = [part.strip() for part in httprequest.headers.get("X-Forwarded-For", "").split(",")]
        if forwarded[-1]:
            return forwarded[-1]
    return httprequest.remote_addr or ""


def json_response(body, status=200, headers=None):
    all_headers = {"Cache-Control": "no-store"}
    all_headers.update(headers or {})
    return request.make_json_response(body, headers=list(all_headers.items()), status=status)


# ---------------------------------------------------------------------------- idempotency


def idempotent(capability):
    """Make a create handler honour the ``Idempotency-Key`` header.

    The first request with a key runs ``handler`` and its answer is stored in the same
    transaction; a later request of the same caller with the same key and the same method,
    path, ``X-SA-ID`` and JSON body (within 24 h) gets that answer back, with the header
    ``Idempotent-Replayed: true``, and changes nothing. The same key with another request
    answers 422 ``idempotency_key_reused``. Without the header the handler simply runs.
    Refusals are not stored: they roll back with the rest of the request.

    Use it on the handler that ``dispatch`` calls (after authentication)::

        @idempotent("create_customers")
        def _create(self, params): ...

    :param capability: what a person's role in the ``X-SA-ID`` account must still grant to get
        a stored answer again, as it had to for the first request (None: no role, e.g. a
        handler for API keys only). A person must also still be a live member there.
    """
    return functools.partial(_idempotent_handler, capability=capability)


def _idempotent_handler(handler, capability):
    @functools.wraps(handler)
    def wrapper(*args, **kwargs):
        key = _idempotency_key()
        if key is None:
            return handler(*args, **kwargs)
        keys = request.env["abs.idempotency_key"]
        owner = _idempotency_owner()
        httprequest = request.httprequest
        fingerprint = keys._abs_fingerprint(
            httprequest.method,
            httprequest.path,
            httprequest.headers.get("X-SA-ID"),
            httprequest.get_data(cache=True),
        )
        stored = keys._abs_claim(owner, key, fingerprint)
        if stored is not None:
            if identity().kind == "jwt":
                # a person replays only while still a live member of the SA whose role grants
                # what the first request needed: a revoked or downgraded member gets the
                # refusal, not the stored answer
                context = sa_context()
                if capability:
                    context.require(capability)
            status, body_text = stored
            return json_response(
                json.loads(body_text), status=status, headers={"Idempotent-Replayed": "true"}
            )
        response = handler(*args, **kwargs)
        keys._abs_remember(owner, key, response.status_code, response.get_data(as_text=True))
        return response

    return wrapper


def _idempotency_key():
    """The request's ``Idempotency-Key``, or None.

    :raise BadRequest: present but empty, too long or not printable ASCII.
    """
    raw = request.httprequest.headers.get(IDEMPOTENCY_HEADER)
    if raw is None:
        return None
    if not _IDEMPOTENCY_KEY_RE.match(raw):
        raise errors.BadRequest(
            "The Idempotency-Key header must be 1 to 255 printable ASCII characters without spaces.",
            details={"header": IDEMPOTENCY_HEADER},
        )
    return raw


def _idempotency_owner():
    """Keys are per caller: nobody can replay, or block, another caller's answers."""
    caller = identity()
    if caller.kind == "api_key":
        return f"api_key:{caller.api_key.id}"
    if caller.kind == "jwt":
        return f"employee:{caller.employee.id}"
    return f"{caller.kind}:{request.httprequest.remote_addr}"


# ---------------------------------------------------------------------------- body


def _raise_bad_json(_constant):
    raise ValueError("NaN and Infinity are not JSON")


def read_json_body(schema_name):
    """Parse the request body as a JSON object and validate it against the published schema.

    :raise PayloadTooLarge: body over ``MAX_BODY_BYTES``.
    :raise BadRequest: not JSON, not UTF-8, or not ``application/json``.
    :raise Unprocessable: fails the schema (unknown / forbidden fields included).
    """
    httprequest = request.httprequest
    length = httprequest.content_length
    if length is not None and length > api_schemas.MAX_BODY_BYTES:
        raise errors.PayloadTooLarge(details={"max_bytes": api_schemas.MAX_BODY_BYTES})
    mimetype = (httprequest.mimetype or "").lower()
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise errors.BadRequest("Send the body as JSON with 'Content-Type: application/json'.")
    raw = httprequest.get_data(cache=True)
    if len(raw) > api_schemas.MAX_BODY_BYTES:
        raise errors.PayloadTooLarge(details={"max_bytes": api_schemas.MAX_BODY_BYTES})
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_raise_bad_json)
    except (ValueError, RecursionError):
        raise errors.BadRequest("The request body is not valid JSON.")
    _check_storable_text(body)
    return openapi.validate_body(schema_name, body)


def _check_storable_text(value, depth=0):
    """Refuse text PostgreSQL cannot store (NUL characters, lone surrogates) before it reaches
    the database, where it would fail as a server error.

    :raise Unprocessable: such a character in any key or string of the body.
    """
    if depth > 64:
        return  # deeper than any schema allows: validation refuses it anyway
    if isinstance(value, dict):
        for key, item in value.items():
            _check_storable_text(key, depth + 1)
            _check_storable_text(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_storable_text(item, depth + 1)
    elif isinstance(value, str) and not _storable(value):
        raise errors.Unprocessable("Text may not contain NUL characters or invalid Unicode.")


def _storable(text):
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# ---------------------------------------------------------------------------- parameters


def parse_int(value, name, minimum=1, maximum=MAX_INT, required=True):
    """An integer query parameter.

    :raise Unprocessable: missing (when required), not an integer, or out of range.
    """
    if value in (None, ""):
        if required:
            raise errors.Unprocessable(f"The parameter '{name}' is required.", details={"field": name})
        return None
    if not isinstance(value, str) or not _INT_RE.match(value) or not minimum <= int(value) <= maximum:
        raise errors.Unprocessable(
            f"The parameter '{name}' must be an integer between {minimum} and {maximum}.",
            details={"field": name},
        )
    return int(value)


def list_params(params, orders, list_name):
    """``limit``, ``offset`` or ``cursor``, ``search``, ``order`` and ``count`` of a list request.

    :param orders: ``{key: odoo_field}`` allowlist of sort keys.
    :param list_name: names the list in its cursors, so one list's cursor is refused by another.
    :returns: dict with limit, offset, search (str or None), the order (``key``: the API's value,
        ``order``: the Odoo expression, ``sort_field`` and ``descending`` for the keyset), the
        cursor's position (None without one) and whether the exact total is asked for.
    :raise Unprocessable: out-of-range values, an order not on the allowlist, an offset beyond
        ``LIST_MAX_OFFSET``, both offset and cursor, or a cursor this list did not hand out.
    """
    limit = parse_int(params.get("limit"), "limit", 1, api_schemas.LIST_MAX_LIMIT, required=False)
    offset = _offset_param(params)
    allowed = openapi.list_order_values(orders)
    order = params.get("order")
    if order is not None and order not in allowed:
        raise errors.Unprocessable(
            "The parameter 'order' is not one of the allowed sort orders.",
            details={"field": "order", "allowed": sorted(allowed)},
        )
    sort_key, direction = order.split(" ") if order else ("id", "asc")
    sort_field = orders[sort_key] if sort_key != "id" else None
    order_key = f"{sort_key} {direction}"
    return {
        "list": list_name,
        "limit": api_schemas.LIST_DEFAULT_LIMIT if limit is None else limit,
        "offset": offset,
        "search": _search_param(params),
        "key": order_key,
        "order": f"{allowed[order]}, id" if order and sort_field else f"id {direction}",
        "sort_field": sort_field,
        "descending": direction == "desc",
        "after": _cursor_param(params, list_name, order_key, offset),
        "exact_count": _count_param(params),
    }


def _offset_param(params):
    """:raise Unprocessable: beyond ``LIST_MAX_OFFSET`` (deep pages are read with the cursor)."""
    offset = parse_int(params.get("offset"), "offset", 0, MAX_INT, required=False) or 0
    if offset > api_schemas.LIST_MAX_OFFSET:
        raise errors.Unprocessable(
            f"The parameter 'offset' may be at most {api_schemas.LIST_MAX_OFFSET}: page further "
            "with 'cursor', the 'next_cursor' of the previous page.",
            details={"field": "offset", "maximum": api_schemas.LIST_MAX_OFFSET},
        )
    return offset


def _cursor_param(params, list_name, order_key, offset):
    """The position a list cursor names, or None without one.

    :raise Unprocessable: sent with an offset, or not a cursor this list handed out in this order.
    """
    raw = params.get("cursor")
    if raw in (None, ""):
        return None
    if offset:
        raise errors.Unprocessable("Send either 'offset' or 'cursor', not both.", details={"field": "cursor"})
    try:
        return list_cursor.decode(raw, _cursor_secret(), list_name, order_key)
    except list_cursor.InvalidCursor:
        raise errors.Unprocessable(
            "The parameter 'cursor' is not a cursor this list returned for this order.",
            details={"field": "cursor"},
        )


def _count_param(params):
    """Whether the caller asks for the exact total (``count=exact``).

    :raise Unprocessable: any other value.
    """
    count = params.get("count")
    if count not in (None, "", "exact"):
        raise errors.Unprocessable(
            "The parameter 'count' can only be 'exact'.", details={"field": "count", "allowed": ["exact"]}
        )
    return count == "exact"


def _cursor_secret():
    return request.env["ir.http"]._abs_native_config().key


def _search_param(params):
    """The stripped free-text ``search`` parameter, or None.

    :raise Unprocessable: longer than 256 characters or not storable text.
    """
    search = params.get("search")
    if search is not None and (not isinstance(search, str) or len(search) > 256 or not _storable(search)):
        raise errors.Unprocessable(
            "The parameter 'search' must be at most 256 characters.", details={"field": "search"}
        )
    return search.strip() if search and search.strip() else None


# ---------------------------------------------------------------------------- keyset paging
#
# A keyset page continues after the last id of the previous one: its cost does not grow with
# the depth of the page, and rows inserted meanwhile neither repeat nor shift a page.
# The cursor is opaque to clients (base64 of "id:<n>") so its content may change later.

_CURSOR_RE = re.compile(r"^id:(0|[1-9][0-9]{0,9})$")


def encode_cursor(last_id):
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor):
    """The last id a cursor names (0 without a cursor).

    :raise Unprocessable: not a cursor this API returned.
    """
    if cursor in (None, ""):
        return 0
    if not isinstance(cursor, str):  # an uploaded file, from a form body: never a cursor
        raise _not_a_cursor()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        match = _CURSOR_RE.match(base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii"))
    except (binascii.Error, UnicodeError, ValueError):
        match = None
    if not match or int(match.group(1)) > MAX_INT:
        raise _not_a_cursor()
    return int(match.group(1))


def _not_a_cursor():
    return errors.Unprocessable(
        "The parameter 'cursor' is not a cursor returned by this list.", details={"field": "cursor"}
    )


def keyset_params(params):
    """``limit``, ``search`` and ``cursor`` of a keyset-paged list request."""
    limit = parse_int(params.get("limit"), "limit", 1, api_schemas.LIST_MAX_LIMIT, required=False)
    return {
        "limit": api_schemas.LIST_DEFAULT_LIMIT if limit is None else limit,
        "search": _search_param(params),
        "after_id": decode_cursor(params.get("cursor")),
    }


def keyset_paged(model, domain, page, serialize):
    """One page in id order after the cursor; ``next_cursor`` is null on the last page.

    :param serialize: called once with the page's recordset, returns a list.
    """
    if page["after_id"]:
        domain = [*domain, ("id", ">", page["after_id"])]
    # one row more than the page tells whether another page follows, without counting
    records = model.search(domain, limit=page["limit"] + 1, order="id")
    page_records = records[: page["limit"]]
    more = len(records) > page["limit"]
    return {
        "items": serialize(page_records),
        "limit": page["limit"],
        "next_cursor": encode_cursor(page_records[-1].id) if more else None,
    }


def paged(model, domain, page, serialize, fields=(), page_domain=None, source=None, read_page=None):
    """One page of a list, its total and the cursor of the next page, as list responses return them.

    The page continues after the cursor's position when there is one (keyset: as cheap at any
    depth), else it skips ``offset`` rows. The total is exact up to ``LIST_COUNT_LIMIT`` rows,
    beyond which it is that limit and ``total_is_exact`` is false, unless the caller asked for the
    exact count -- Odoo's own list views count the same way.

    :param page: what :func:`list_params` returned.
    :param serialize: called once with the page's recordset, returns a list.
    :param fields: the fields ``serialize`` reads, fetched by the page's own query.
    :param page_domain: ``domain`` with what only the cursor's page needs (a keyset bound); the
        total is always counted on ``domain``.
    :param source: reads the same page and bounded count another way (``records(page, fields)``
        and ``count(limit)``), e.g. driven from the rows that make the list; None: ``domain``.
        An exact count is always asked of ``domain``.
    :param read_page: ``(model, domain, page, fields) -> records`` reads a page of ``domain``
        (default :func:`_page_records`), e.g. with what the answer names of each record.
    """
    records, total, exact = _page_and_total(
        model, domain, domain if page_domain is None else page_domain, page, fields, source, read_page
    )
    answer = {
        "items": serialize(records[: page["limit"]]),
        "total": total,
        "total_is_exact": exact,
        "limit": page["limit"],
        "offset": page["offset"],
        "next_cursor": None,
    }
    # one row more than the page tells whether another page follows, without counting
    if len(records) > page["limit"]:
        last = records[page["limit"] - 1]
        value = last[page["sort_field"]] if page["sort_field"] else None
        position = list_cursor.Position(page["list"], page["key"], None if value is False else value, last.id)
        answer["next_cursor"] = list_cursor.encode(position, _cursor_secret())
    return answer


def _page_and_total(model, domain, page_domain, page, fields, source=None, read_page=None):
    """(the page's rows and one more, the total, whether the total is exact)."""
    read_page = read_page or _page_records
    matches = _few_matches(model, domain) if page["search"] and not page["exact_count"] else None
    if matches is not None:
        # PostgreSQL cannot tell how few rows a ``%term%`` matches: walking the list's order to
        # fill a page can read most of the table, where the matches, once known, are a handful
        records = read_page(model, expression.AND([[("id", "in", matches)], page_domain]), page, fields)
        return records, len(matches), True
    if source is not None:
        records = source.records(page, fields)
    else:
        records = read_page(model, page_domain, page, fields)
    if page["after"] is None and (records or not page["offset"]) and len(records) <= page["limit"]:
        # the last page of an offset read: the total is known without counting, as Odoo's lists do
        return records, page["offset"] + len(records), True
    return records, *_total(model, domain, page["exact_count"], source)


def _page_records(model, domain, page, fields):
    """The page's rows and one more, in order, with ``fields`` (and the sort field) in one query."""
    query = page_query(model, domain, page)
    if query is None:
        return model.browse()
    return model._fetch_query(query, model._determine_fields_to_fetch(page_fields(page, fields)))


def page_fields(page, fields):
    """What a page reads of each record: ``fields`` and the field the list is sorted by."""
    return {*fields, page["sort_field"]} - {None}


def page_query(model, domain, page):
    """The query of the page's rows and one more, in order, after the cursor's position when
    there is one; None when it can match nothing."""
    query = model._search(domain, offset=page["offset"], limit=page["limit"] + 1, order=page["order"])
    if query.is_empty():
        return None
    if page["after"] is not None:
        id_sql = model._field_to_sql(model._table, "id", query)
        sort_sql = (
            model._field_to_sql(model._table, page["sort_field"], query) if page["sort_field"] else id_sql
        )
        query.add_where(_after_position(page, page["after"], id_sql, sort_sql))
    return query


def keyset_id_bound(page):
    """``(operator, id)`` past which an id-ordered cursor page starts, else None (see
    ``visibility.customer_domain``)."""
    if page["after"] is None or page["sort_field"]:
        return None
    return ("<" if page["descending"] else ">", page["after"].last_id)


def _few_matches(model, domain):
    """The ids ``domain`` matches when they are at most ``LIST_COUNT_LIMIT``, else None: one
    query, which the bounded total would have made anyway (as a count)."""
    ids = model._search(domain, limit=api_schemas.LIST_COUNT_LIMIT + 1).get_result_ids()
    return list(ids) if len(ids) <= api_schemas.LIST_COUNT_LIMIT else None


def _total(model, domain, exact, source=None):
    """(total, whether it is exact): counted up to ``LIST_COUNT_LIMIT`` unless ``exact``."""
    if exact:
        return model.search_count(domain), True
    limit = api_schemas.LIST_COUNT_LIMIT
    count = source.count(limit + 1) if source else model.search_count(domain, limit=limit + 1)
    return (count, True) if count <= limit else (limit, False)


def _after_position(page, position, id_sql, sort_sql):
    """The rows after ``position`` in the page's order (its sort field, then id ascending).

    PostgreSQL puts empty (NULL) values last in ascending order and first in descending order,
    which this follows.
    """
    after_id = SQL("%s > %s", id_sql, position.last_id)
    if not page["sort_field"]:
        return SQL("%s < %s", id_sql, position.last_id) if page["descending"] else after_id
    value = position.value
    if value is None:
        empty_after = SQL("(%s IS NULL AND %s)", sort_sql, after_id)
        return SQL("(%s OR %s IS NOT NULL)", empty_after, sort_sql) if page["descending"] else empty_after
    tie = SQL("(%s = %s AND %s)", sort_sql, value, after_id)
    if page["descending"]:
        return SQL("(%s < %s OR %s)", sort_sql, value, tie)
    return SQL("(%s > %s OR %s OR %s IS NULL)", sort_sql, value, tie, sort_sql)


# The mailbox of a whole e-mail address ("jane.doe@" of "jane.doe@example.com"): what a search
# asks the trigram indexes for instead of the address (search_domain).
_MAILBOX = re.compile(r"[^@]{3,}@")


def search_domain(search, fields_, model=None):
    """``|`` of ``ilike`` on ``fields_`` for a free-text search (or [] without one).

    With ``model``, a whole e-mail address is looked up by its mailbox first. Its domain's
    trigrams are in every address of that domain (a company's staff, every gmail.com
    contact): to intersect them the trigram index reads most of its pages (9,600 of 11,000 for
    one address among a million, 170 ms), against a few hundred for the mailbox. The candidates
    are then held to the whole term, as Odoo's ``ilike`` is, so the answer is the same
    (docs/performance.md#search-mailbox).
    """
    if not search:
        return []
    mailbox = _mailbox(search) if model is not None else None
    if not mailbox:
        return _any_field_ilike(search, fields_)
    return [("id", "in", _found_by_mailbox(model, search, mailbox, fields_))]


def _any_field_ilike(term, fields_):
    return ["|"] * (len(fields_) - 1) + [(name, "ilike", term) for name in fields_]


def _mailbox(term):
    """The mailbox that starts ``term``, when more follows it; else None."""
    match = _MAILBOX.match(term)
    return match.group() if match and match.end() < len(term) else None


def _found_by_mailbox(model, term, mailbox, fields_):
    """The records whose ``fields_`` hold ``term``, found by ``mailbox``, as a query.

    ``mailbox`` starts ``term``: whatever ``ilike`` pattern ``term`` makes (``%`` and ``_`` are
    wildcards to Odoo), a value it matches, its start matches too. Elevated: it only narrows
    the caller's search, which applies the caller's record rules; archived records are
    candidates too, for the same reason.
    """
    elevated = elevate(model, "candidates for the caller's own search, which applies its rules")
    candidates = elevated.with_context(active_test=False)._search(_any_field_ilike(mailbox, fields_))
    candidates.add_where(SQL("(%s)", SQL(" OR ").join(_holds(model, name, term) for name in fields_)))
    return candidates


def _holds(model, field_name, term):
    """Odoo's ``field ILIKE '%term%'``, written so that no index takes it: the candidates the
    mailbox found are checked one by one. COALESCE changes no answer: ``term`` holds an ``@``,
    which an empty value does not."""
    column = model._field_to_sql(model._table, field_name)
    unaccent = model.env.registry.unaccent
    return SQL("(%s ILIKE %s)", unaccent(SQL("COALESCE(%s, '')", column)), unaccent(SQL("%s", f"%{term}%")))


# ---------------------------------------------------------------------------- SA context


class SaContext:
    """The Service Account of an SA-scoped call and the caller's authority in it."""

    def __init__(self, sa, access, actor_partner):
        self.sa = sa
        self.access = access
        self.actor_partner = actor_partner

    def require(self, capability):
        """:raise Forbidden: the caller's role in this SA does not grant ``capability``."""
        if self.access is not None and not self.access.can(capability):
            raise errors.Forbidden(
                "Your role in this service account does not allow this.",
                details={"role_code": self.access.role_code},
            )


def sa_context(path_sa_id=None):
    """Resolve ``X-SA-ID`` and check the caller's live membership in it -- on every request.

    A person needs a membership that is active and within its dates (or an ancestor's
    covering sub-accounts); a system caller (API key) acts in any existing active SA.

    :raise BadRequest: header missing or not a positive integer.
    :raise Forbidden: not a live member of that SA (the SA's existence is not revealed), or
        the header names another SA than the URL.
    """
    sa_id = _sa_header()
    caller = identity()
    memberships = request.env["ov.membership"]
    # One query, read live on every request: the SA, the caller's live membership in it, and
    # whether a membership has lapsed with customers still assigned.
    sa, membership, lapsed = memberships._abs_request_gate(sa_id, caller.actor_partner, _SA_REQUEST_FIELDS)
    if lapsed:
        # Customers of memberships that ended since the last request become unassigned before
        # anyone reads or acts on them (the ended membership itself already grants nothing).
        memberships._abs_release_lapsed_memberships()
        membership = None  # read again after the release
    if path_sa_id is not None and path_sa_id != sa_id:
        raise errors.Forbidden(
            "X-SA-ID must name the service account of the URL.", details={"header": "X-SA-ID"}
        )
    if sa:
        _ensure_proxy_company(sa)
    if caller.kind == "api_key":
        return _system_sa_context(sa)
    access = memberships._abs_access_context(caller.partner, sa, live_membership=membership) if sa else None
    if access is None:
        raise errors.Forbidden(
            "You are not an active member of this service account.", details={"header": "X-SA-ID"}
        )
    return SaContext(sa, access, caller.partner)


def _sa_header():
    """The SA id ``X-SA-ID`` names. :raise BadRequest: missing or not a positive integer."""
    raw = request.httprequest.headers.get("X-SA-ID")
    if raw is None or not _SA_HEADER_RE.match(raw.strip()) or int(raw) > MAX_INT:
        raise errors.BadRequest(
            "The X-SA-ID header must name a service account id.", details={"header": "X-SA-ID"}
        )
    return int(raw)


def _system_sa_context(sa):
    """A system caller (API key) acts in any existing active SA, with no membership."""
    if not sa or sa.state != "active":
        raise errors.Forbidden(
            "This service account is not active or does not exist.", details={"header": "X-SA-ID"}
        )
    return SaContext(sa, None, None)


def _ensure_proxy_company(sa):
    """Let the proxy user act in the SA's company, for companies created after installation."""
    company = _sa_company(sa)
    # _get_company_ids() is Odoo's cached list (cleared when the user's companies change): no
    # query per request; the full relation is read only when the company seems missing.
    user = request.env.user
    if company and company.id not in user._get_company_ids() and company not in user.company_ids:
        request.env["res.users"]._abs_sync_proxy_companies()
        request.env.user.invalidate_recordset(["company_ids"])
        # a new context gives a new environment, whose env.companies includes the new company
        request.update_context(allowed_company_ids=request.env.user.company_ids.ids)


def _sa_company(sa):
    return elevate(sa, "read before knowing whether the proxy may read this company at all").company_id


# ---------------------------------------------------------------------------- serialization


def dt(value):
    """An ISO 8601 UTC timestamp, or None."""
    if not value:
        return None
    return fields.Datetime.to_datetime(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def text(value):
    return value or None
