"""The two baselines the governance benchmark compares GET /api/contacts with.

Both run as the API's proxy user (its id is put in the system parameter
``abs_connector_bench.proxy_uid`` by the benchmark), with the page size,
offset, search, fields and order of the governed request, and answer the page
plus the total counted up to 10,000 rows, like the API does:

* ``/bench/plain``: the same page with no governance at all;
* ``/bench/native_rule``: Odoo's own salesman-style rule, "my customers or
  nobody's" (``user_id = <agent's user> OR user_id IS NULL``).

Each record is rendered with the API's own ``serialize_contact`` (without an
assignment: looking it up is governance), so the only difference left
between the pages is governance: authentication, the membership check of
``X-SA-ID``, the visibility sub-select and the assignment lookup.

Authentication is deliberately absent (``auth="none"``): this addon only ever
lives in the benchmark's throw-away database.
"""

from odoo import http
from odoo.http import request

try:
    # The API's own rendering of a contact, so a baseline page costs what the
    # governed page costs apart from governance itself.
    from odoo.addons.abs_connector.controllers.contacts import serialize_contact
except ImportError:  # an API without it: fall back to reading the requested fields
    serialize_contact = None

PROXY_UID_PARAM = "abs_connector_bench.proxy_uid"
MAX_LIMIT = 200
COUNT_LIMIT = 10000
DEFAULT_FIELDS = ("id", "name", "email", "phone")
# The orders the governed list accepts; anything else would not be the same page.
ORDERS = ("name", "name desc", "id", "id desc", "complete_name asc, id desc", "write_date desc")


class BadParameter(ValueError):
    pass


def _int_param(name, default, low, high):
    raw = request.params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadParameter(f"{name} must be an integer") from exc
    if not low <= value <= high:
        raise BadParameter(f"{name} must be between {low} and {high}")
    return value


def _page_params(partner_model):
    limit = _int_param("limit", 50, 1, MAX_LIMIT)
    offset = _int_param("offset", 0, 0, 2**31 - 1)
    fields = tuple(f for f in (request.params.get("fields") or ",".join(DEFAULT_FIELDS)).split(",") if f)
    unknown = [f for f in fields if f not in partner_model._fields]
    if unknown:
        raise BadParameter(f"unknown fields: {', '.join(unknown)}")
    order = request.params.get("order") or None
    if order is not None and order not in ORDERS:
        raise BadParameter(f"order must be one of: {' | '.join(ORDERS)}")
    return limit, offset, list(fields), order


def _search_domain():
    """The governed list's free-text search: name, e-mail, phone or city."""
    term = (request.params.get("search") or "").strip()
    if not term:
        return []
    fields = ("name", "email", "phone", "city")
    return ["|"] * (len(fields) - 1) + [(name, "ilike", term) for name in fields]


def _bad_request(message):
    return request.make_json_response({"error": {"code": "bad_request", "message": message}}, status=400)


class BenchBaselines(http.Controller):
    def _as_proxy_user(self):
        uid = int(request.env["ir.config_parameter"].sudo().get_param(PROXY_UID_PARAM) or 0)
        if not uid:
            raise BadParameter(f"system parameter {PROXY_UID_PARAM} is not set")
        request.update_env(user=uid)
        return request.env["res.partner"]

    def _page(self, extra_domain):
        try:
            partners = self._as_proxy_user()
            limit, offset, fields, order = _page_params(partners)
        except BadParameter as exc:
            return _bad_request(str(exc))
        domain = [*extra_domain, *_search_domain()]
        records = partners.search(domain, offset=offset, limit=limit, order=order)
        if serialize_contact is not None:
            items = [serialize_contact(partner, None) for partner in records]
        else:
            items = records.read(fields)
        # counted as the API and Odoo's list views count: exactly up to COUNT_LIMIT, then a bound
        total = partners.search_count(domain, limit=COUNT_LIMIT + 1)
        return request.make_json_response({"items": items, "total": total, "limit": limit, "offset": offset})

    @http.route("/bench/plain", type="http", auth="none", methods=["GET"], csrf=False, readonly=True)
    def plain(self, **_params):
        return self._page([])

    @http.route("/bench/native_rule", type="http", auth="none", methods=["GET"], csrf=False, readonly=True)
    def native_rule(self, **_params):
        try:
            user_id = _int_param("user_id", 0, 1, 2**31 - 1)
        except BadParameter as exc:
            return _bad_request(str(exc))
        if not user_id:
            return _bad_request("user_id is required")
        return self._page(["|", ("user_id", "=", user_id), ("user_id", "=", False)])
