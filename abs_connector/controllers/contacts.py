"""Governed customers (res.partner) of a Service Account -- docs/customer-lifecycle.md, Stages 1-4 and 6.

Every read goes through the one visibility helper (V3: a sub-select on the assignment table);
every write through the governance methods. A customer the caller may not see answers exactly
like one that does not exist.
"""

import dataclasses

from odoo import http
from odoo.http import request
from odoo.tools import SQL

from ..cached_rows import cached_record, cached_records
from ..compiled_sql import slot
from ..driven_lists import ROW_PREFIX
from ..governance import api_schemas, errors, visibility
from ..models.abs_contact_change import REPRESENTED_COLUMNS
from .common import (
    api_route,
    dispatch,
    idempotent,
    json_response,
    keyset_id_bound,
    list_params,
    page_fields,
    page_query,
    paged,
    parse_int,
    read_json_body,
    sa_context,
    search_domain,
    text,
)

SEARCH_FIELDS = ["name", "email", "phone", "city"]
# What serialize_contact reads on res.partner, fetched by the query that finds the contacts: the
# columns whose changes the delta sync logs, so that a replica and the list show the same fields.
CONTACT_FIELDS = list(REPRESENTED_COLUMNS)
# What the answer reads of the assignment row the caller reaches a contact through.
ASSIGNMENT_FIELDS = ("account_id", "actor_id")
# The same, each headed by the id, as the contact page's one query selects them.
_CONTACT_ROW_FIELDS = ("id", *CONTACT_FIELDS)
_ROW_FIELDS = ("id", *ASSIGNMENT_FIELDS)
# Keys of explain_access() that are ids or names (False there, null in JSON).
EXPLANATION_IDS = ("membership_id", "role_code", "policy", "hierarchy_scope", "assignment_id", "actor_id")


def assignment_scope(context):
    """Domain of the active assignment rows of the SA (or its subtree for a subtree scope)."""
    return _scope_domain(context.access, context.sa.id)


def _scope_domain(access, sa_id):
    if access is None:
        return visibility.account_assignment_domain(sa_id)
    return visibility.scope_assignment_domain(access)


def _assignments_by_partner(context, partners):
    """{partner id: the active row the caller reaches it through}: the row in the SA of the
    request, else (subtree scope) the row of the sub-account the customer belongs to."""
    if not partners:
        return {}
    Assignment = request.env["ov.sa_customer_assignment"]
    query = _reaching_assignments(context, partners.ids)
    rows = Assignment._fetch_query(
        query, Assignment._determine_fields_to_fetch(["partner_id", *ASSIGNMENT_FIELDS])
    )
    by_partner = {}
    for row in rows:
        by_partner.setdefault(row.partner_id.id, row)
    return by_partner


def _reaching_assignments(context, partner_ids):
    """Query of the active rows through which the caller reaches ``partner_ids``, each partner's
    answer first: the row in the SA of the request, else the oldest (a subtree scope)."""
    return _reaching_query(request.env, context.access, context.sa.id, partner_ids)


def _reaching_query(env, access, sa_id, partner_ids):
    Assignment = env["ov.sa_customer_assignment"]
    query = Assignment._search([("partner_id", "in", partner_ids), *_scope_domain(access, sa_id)])
    query.order = _reaching_order(Assignment, query, sa_id)
    return query


def _reaching_order(Assignment, query, sa_id):
    """Each partner's answer first among the rows of ``query``: the row in the SA of the
    request, else the oldest (a subtree scope)."""
    return SQL(
        "%s = %s DESC, %s",
        Assignment._field_to_sql(query.table, "account_id", query),
        sa_id,
        Assignment._field_to_sql(query.table, "id", query),
    )


def serialize_contacts(context, partners, answers=None):
    """The list representation of ``partners`` (one assignment query for the whole page).

    :param answers: {partner id: its answer}, those the page's own query made already
        (:func:`_read_contacts`); the others are made from the records, their rows searched.
    """
    answers = answers or {}
    unanswered = partners.browse([partner.id for partner in partners if partner.id not in answers])
    assignments = _assignments_by_partner(context, unanswered)
    made = {partner.id: serialize_contact(partner, assignments.get(partner.id)) for partner in unanswered}
    return [answers.get(partner.id) or made[partner.id] for partner in partners]


def serialize_contact(partner, assignment):
    """The answer for ``partner`` reached through ``assignment`` (a record; empty or None: none)."""
    values = {name: _stored_value(partner, name) for name in _CONTACT_ROW_FIELDS}
    row = (assignment.id, assignment.actor_id.id) if assignment else (None, None)
    return contact_answer(values, partner.country_id.code, *row)


def _stored_value(record, name):
    """The value of ``record``'s field ``name`` as a query reads it: a many2one as its id."""
    value = record[name]
    return value.id if record._fields[name].type == "many2one" else value


def contact_answer(values, country_code, row_id, row_actor_id):
    """One contact's answer from plain values, as one query reads them.

    :param values: {``id`` and each of CONTACT_FIELDS: its value, a many2one as its id, empty as
        None or False}.
    :param row_id: the assignment row the caller reaches the contact through (None: none), and
        ``row_actor_id`` its actor.
    """
    return {
        "id": values["id"],
        "name": values["name"] or "",
        "email": text(values["email"]),
        "phone": text(values["phone"]),
        "mobile": text(values["mobile"]),
        "street": text(values["street"]),
        "street2": text(values["street2"]),
        "city": text(values["city"]),
        "zip": text(values["zip"]),
        "country_code": text(country_code),
        "function": text(values["function"]),
        "comment": text(values["comment"]),
        "active": bool(values["active"]),
        "sa_id": values["x_sa_id"] or None,
        "actor_id": (row_actor_id if row_id else values["x_actor_id"]) or None,
        "assigned_employee_id": values["x_assigned_employee_id"] or None,
        "assignment_id": row_id or None,
    }


def _contact_response(context, partner, status=200):
    assignment = _assignments_by_partner(context, partner).get(partner.id)
    return json_response(serialize_contact(partner, assignment), status=status)


def _odoo_vals(body):
    """Map an allowlisted API body to res.partner values."""
    vals = {}
    for key, value in body.items():
        field_name = api_schemas.CONTACT_WRITABLE_FIELDS[key]
        if key == "country_code":
            value = _country_id(value)
        elif isinstance(value, str):
            value = value.strip() or False
        vals[field_name] = value if value is not None else False
    return vals


def _country_id(code):
    if not code:
        return False
    country = request.env["res.country"].search([("code", "=", code.upper())], limit=1)
    if not country:
        raise errors.Unprocessable("Unknown country code.", details={"field": "country_code"})
    return country.id


class _FromAssignments:
    """The contact list read from the caller's assignment rows: the rows, order and bounded total
    of the visibility domain, without walking the partners the caller does not see
    (docs/performance.md#lists). Its page and its count are written from one compilation."""

    def __init__(self, driven, id_bound, answers):
        self.driven = driven
        self.id_bound = id_bound
        self.answers = answers

    @classmethod
    def of(cls, partners, context, page, answers):
        """The list's source when its rows can be read this way, else None (the domain's query).

        Only an unfiltered list in id order: a search is narrower on the partners' own indexes,
        another order is not the rows' order, and a subtree scope's rows may share a customer.

        :param answers: {partner id: its answer}, filled by the page (:func:`_read_contacts`).
        """
        if page["search"] or page["sort_field"]:
            return None
        branches = visibility.disjoint_assignment_domains(context.access)
        if branches is None:
            return None
        return cls(partners._abs_driven_customers(branches), keyset_id_bound(page), answers)

    def records(self, page, fields):
        """The page's partners with ``fields``, answered from the rows they were read from and
        their countries' codes, in one query."""
        query = self.driven.page_query(
            page["offset"],
            page["limit"] + 1,
            page["descending"],
            id_bound=self.id_bound,
            row_fields=_ROW_FIELDS,
        )
        Partner = self.driven.partners
        row_columns = [SQL.identifier(Partner._table, ROW_PREFIX + name) for name in _ROW_FIELDS]
        return _read_contacts(Partner, query, fields, row_columns, self.answers)

    def count(self, limit):
        return self.driven.count(limit)


def _contact_page_reader(context, answers):
    """Reads a page of contacts for :func:`paged` as it reads any page, each contact with the
    row its answer names (joined, the row in the SA of the request first, as
    :func:`_assignments_by_partner` finds it) and its country's code: one query, where the page's
    search and a fetch of the countries would be two more."""

    def read_page(model, domain, page, fields):
        query = page_query(model, domain, page)
        if query is None:
            return model.browse()
        Assignment = request.env["ov.sa_customer_assignment"]
        reaching = Assignment._search(assignment_scope(context))
        customer = Assignment._field_to_sql(reaching.table, "partner_id", reaching)
        reaching.add_where(SQL("%s = %s", customer, SQL.identifier(query.table, "id")))
        reaching.order, reaching.limit = _reaching_order(Assignment, reaching, context.sa.id), 1
        columns = [Assignment._field_to_sql(reaching.table, name, reaching) for name in _ROW_FIELDS]
        query.add_join("LEFT JOIN", "reaching", SQL("LATERAL %s", reaching.subselect(*columns)), SQL("TRUE"))
        row_columns = [SQL.identifier("reaching", name) for name in _ROW_FIELDS]
        return _read_contacts(model, query, page_fields(page, fields), row_columns, answers)

    return read_page


def _read_contacts(Partner, query, fields, row_columns, answers):
    """The partners of ``query`` with ``fields`` put into the cache as the ORM's own fetch puts
    them; each partner's answer, made from its values, the row ``row_columns`` select (id, SA,
    actor: may be NULL) and its country's code, put into ``answers``.

    The answers are made from the values the query returned, not read back from the records:
    through the ORM, a page of 50 contacts cost about 0.6 ms more (docs/performance.md#lists-count).
    """
    names = ("id", *(field.name for field in Partner._determine_fields_to_fetch(fields)))
    rows = request.env.execute_query(
        query.select(
            *(Partner._field_to_sql(Partner._table, name, query) for name in names),
            *row_columns,
            _country_code(Partner, query),
        )
    )
    if not rows:
        return Partner.browse()
    width = len(names)
    partners = cached_records(Partner, names, list(zip(*rows, strict=True))[:width])
    # a field the user may not read was not fetched: the ORM answers for it (and refuses it)
    if set(_CONTACT_ROW_FIELDS) <= set(names):
        for row in rows:
            row_id, _account_id, row_actor_id = row[width:-1]
            answers[row[0]] = contact_answer(
                dict(zip(names, row[:width], strict=True)), row[-1], row_id, row_actor_id
            )
    return partners


def _visible_contact(context, contact_id, include_archived=False):
    """The contact if the caller sees it in the SA, else 404 (same answer as a missing one)."""
    Partner = request.env["res.partner"].with_context(active_test=not include_archived)
    partner = Partner.search_fetch(
        [("id", "=", contact_id), *_seen_customers(context)], CONTACT_FIELDS, limit=1
    )
    if not partner:
        raise errors.NotFound()
    return partner.with_env(request.env)


def _seen_customers(context):
    """Domain on res.partner: the customers the caller sees in the SA."""
    return _seen_domain(context.access, context.sa.id)


def _seen_domain(access, sa_id):
    if access is None:
        return visibility.account_customer_domain(sa_id)
    return visibility.customer_domain(access)


def _visible_contact_and_assignment(context, contact_id):
    """The active contact the caller sees in the SA (else 404, like a missing one) and the row
    its answer names, read with its country's code in one query.

    The same visibility domain and assignment row as every other read, composed into one SQL
    statement, compiled once per shape and reused with the ids of each request: a contact page
    is the API's most frequent request (docs/adr/0014-compiled-sql-reused-rows-read-live.md).
    """
    env = request.env
    for model in ("res.partner", "ov.sa_customer_assignment", "res.country"):
        env[model].check_access("read")
    access = context.access
    if (access is not None and access.covers_descendants) or env.user._abs_seat_contexts() is not None:
        # Compiled afresh: a subtree's rows are found by the SA's path, not by an id a slot
        # stands for; and a user the seat members' rule limits has that rule read their live
        # memberships into the statement (the API's proxy user never is one).
        query = _contact_query(env, (access, context.sa.id), contact_id)
        rows = env.execute_query(query) if query is not None else []
    else:
        compiled = _compiled_contact_query(context)
        values = (contact_id, *((access.person_id, access.membership_id) if access else ()))
        rows = compiled.run(env, values) if compiled is not None else []
    if not rows:
        raise errors.NotFound()
    values = rows[0]
    split = len(_CONTACT_ROW_FIELDS)
    partner = cached_record(env["res.partner"], _CONTACT_ROW_FIELDS, values[:split])
    assignment = cached_record(env["ov.sa_customer_assignment"], _ROW_FIELDS, values[split:-1])
    _cache_country_codes(partner, [values[-1]])
    return partner, assignment or None


def _compiled_contact_query(context):
    """The contact page's statement for this caller's shape: the contact's id in slot 0, the
    person's and their membership's in slots 1 and 2 (an SA-wide system call has neither)."""
    access = context.access
    if access is not None:
        access = dataclasses.replace(access, person_id=slot(1), membership_id=slot(2))
    return request.env["ir.http"]._abs_compiled_query(
        "contact page", (access, context.sa.id), _build_contact_query
    )


def _build_contact_query(env, shape):
    return _contact_query(env, shape, slot(0))


def _contact_query(env, shape, contact_id):
    """The contact ``contact_id`` if the access ``shape`` (access context, SA id) sees it, with
    the assignment row its answer names and its country's code; None: no row can match.

    Within one SA a customer has one active row (the one-active index): the row through which
    the caller sees the contact is the row the answer names, so one probe of the assignments
    tells both, under the same visibility domain as the lists (fewer plans for PostgreSQL to
    weigh on every request). A subtree scope reaches a customer through the rows of several SAs
    and names one of them: :func:`_contact_query_in_subtree`.
    """
    access, sa_id = shape
    if access is not None and access.covers_descendants:
        return _contact_query_in_subtree(env, access, sa_id, contact_id)
    Partner, Assignment = env["res.partner"], env["ov.sa_customer_assignment"]
    seen_rows = (
        visibility.account_assignment_domain(sa_id)
        if access is None
        else visibility.assignment_domain(access)
    )
    query = Partner._search([("id", "=", contact_id)], limit=1)
    reaching = Assignment._search([("partner_id", "=", contact_id), *seen_rows], limit=1)
    if query.is_empty() or reaching.is_empty():
        return None
    return _contact_select(env, query, "JOIN", reaching)


def _contact_query_in_subtree(env, access, sa_id, contact_id):
    Partner = env["res.partner"]
    query = Partner._search([("id", "=", contact_id), *_seen_domain(access, sa_id)], limit=1)
    if query.is_empty():
        return None
    reaching = _reaching_query(env, access, sa_id, [contact_id])
    reaching.limit = 1
    return _contact_select(env, query, "LEFT JOIN", reaching)


def _contact_select(env, query, join, reaching):
    """``query``'s contact with the row of ``reaching`` joined and its country's code."""
    Partner, Assignment = env["res.partner"], env["ov.sa_customer_assignment"]
    row = reaching.subselect(
        *(Assignment._field_to_sql(reaching.table, name, reaching) for name in _ROW_FIELDS)
    )
    query.add_join(join, "reaching", row, SQL("TRUE"))
    return query.select(
        *(Partner._field_to_sql(Partner._table, name, query) for name in _CONTACT_ROW_FIELDS),
        *(SQL.identifier("reaching", name) for name in _ROW_FIELDS),
        _country_code(Partner, query),
    )


def _country_code(Partner, query):
    """SQL of the code of the country of ``query``'s partner, so that the query that reads the
    contacts reads it too (instead of a fetch of the countries afterwards)."""
    Country = request.env["res.country"]
    Country.check_access("read")
    # a sub-select, not a join: PostgreSQL would hash the whole country table
    return SQL(
        "(SELECT %s FROM %s WHERE %s = %s)",
        SQL.identifier(Country._table, "code"),
        SQL.identifier(Country._table),
        SQL.identifier(Country._table, "id"),
        Partner._field_to_sql(Partner._table, "country_id", query),
    )


def _cache_country_codes(partners, codes):
    """Put the countries' ``codes`` (read next to ``partners``, aligned) into the cache."""
    Country = request.env["res.country"]
    for partner, code in zip(partners, codes, strict=True):
        cached_record(Country, ("id", "code"), (partner.country_id.id or None, code))


def _existing_contact(contact_id):
    """The partner row to hand to a governance method, which checks visibility itself."""
    # exists() sees archived rows too; no active_test=False context may leak into the
    # governance methods (Odoo's own checks would then count archived users as linked).
    partner = request.env["res.partner"].browse(contact_id).exists()
    if not partner:
        raise errors.NotFound()
    return partner


def _member_of(sa, person):
    """Whether ``person`` holds live authority in ``sa`` (directly or from above)."""
    return request.env["ov.membership"]._abs_access_context(person, sa) is not None


class AbsContactController(http.Controller):
    @api_route("/api/contacts", auth="abs_jwt")
    def abs_contacts(self, **params):
        return dispatch({"GET": self._list, "POST": self._create}, params)

    @api_route("/api/contacts/<int:contact_id>", auth="abs_jwt")
    def abs_contact(self, contact_id, **_params):
        return dispatch({"GET": self._get, "PUT": self._update, "DELETE": self._archive}, contact_id)

    @api_route("/api/contacts/<int:contact_id>/erase", auth="abs_jwt")
    def abs_contact_erase(self, contact_id, **_params):
        return dispatch({"POST": self._erase}, contact_id)

    @api_route("/api/contacts/<int:contact_id>/unarchive", auth="abs_jwt")
    def abs_contact_unarchive(self, contact_id, **_params):
        return dispatch({"POST": self._unarchive}, contact_id)

    @api_route("/api/contacts/<int:contact_id>/assign", auth="abs_jwt_or_api_key")
    def abs_contact_assign(self, contact_id, **_params):
        return dispatch({"POST": self._assign}, contact_id)

    @api_route("/api/contacts/<int:contact_id>/access", auth="abs_jwt")
    def abs_contact_access(self, contact_id, **params):
        return dispatch({"GET": self._explain}, contact_id, params)

    # ---- collection ----

    def _list(self, params):
        context = sa_context()
        context.require("read_customers")
        page = list_params(params, api_schemas.CONTACT_ORDERS, "contacts")
        search = search_domain(page["search"], SEARCH_FIELDS, request.env["res.partner"])
        domain = visibility.customer_domain(context.access) + search
        # a keyset page deep in the list starts its sub-select at the cursor too
        page_domain = visibility.customer_domain(context.access, keyset_id_bound(page)) + search

        partners = request.env["res.partner"]
        # each contact's answer, made from what the page's own query read
        answers = {}
        source = _FromAssignments.of(partners, context, page, answers)
        read_page = _contact_page_reader(context, answers)

        def serialize(partners):
            return serialize_contacts(context, partners, answers)

        return json_response(
            paged(partners, domain, page, serialize, CONTACT_FIELDS, page_domain, source, read_page)
        )

    @idempotent("create_customers")
    def _create(self, _params):
        context = sa_context()
        body = read_json_body("ContactCreate")
        partner = request.env["res.partner"]._abs_create_governed_customer(
            context.sa, _odoo_vals(body), context.actor_partner
        )
        return _contact_response(context, partner, status=201)

    # ---- item ----

    def _get(self, contact_id):
        context = sa_context()
        context.require("read_customers")
        partner, assignment = _visible_contact_and_assignment(context, contact_id)
        return json_response(serialize_contact(partner, assignment))

    def _update(self, contact_id):
        context = sa_context()
        body = read_json_body("ContactUpdate")
        partner = _existing_contact(contact_id)
        # before the body's values are resolved: an unknown country code must not tell a hidden
        # contact from a missing one
        partner._abs_ensure_visible(context.sa, context.actor_partner, "write_customers")
        partner._abs_update_governed_customer(_odoo_vals(body), context.sa, context.actor_partner)
        return _contact_response(context, partner)

    def _archive(self, contact_id):
        context = sa_context()
        partner = _existing_contact(contact_id)
        partner._abs_archive_governed_customer(context.sa, context.actor_partner)
        return _contact_response(context, partner)

    def _erase(self, contact_id):
        context = sa_context()
        partner = _existing_contact(contact_id)
        partner._abs_erase_governed_customer(context.sa, context.actor_partner)
        return _contact_response(context, partner)

    def _unarchive(self, contact_id):
        context = sa_context()
        partner = _existing_contact(contact_id)
        partner._abs_unarchive_governed_customer(context.sa, context.actor_partner)
        return _contact_response(context, partner)

    # ---- assignment (docs/customer-lifecycle.md, Stage 4) and explainer ----

    def _assign(self, contact_id):
        context = sa_context()
        context.require("assign_customers")
        body = read_json_body("AssignRequest")
        partner = _visible_contact(context, contact_id)
        previous = _assignments_by_partner(context, partner)[partner.id]
        employee = request.env["abs.employee"].browse(body["employee_id"]).exists()
        if not employee or not employee.active or not _member_of(previous.account_id, employee.partner_id):
            # Someone outside the customer's SA answers like nobody: never named, never confirmed.
            raise errors.NotFound("Employee not found.", details={"employee_id": body["employee_id"]})
        # From a parent SA (subtree scope) the customer is assigned in its own sub-account.
        created = request.env["ov.sa_customer_assignment"]._abs_reassign(
            partner, previous.account_id, employee.partner_id, context.actor_partner
        )
        return json_response(
            {
                "contact_id": partner.id,
                "employee_id": employee.id,
                "actor_id": created.actor_id.id,
                "assignment_id": created.id,
                "previous_assignment_id": previous.id,
            }
        )

    def _explain(self, contact_id, params):
        context = sa_context()
        context.require("manage_members")
        person_id = parse_int(params.get("person_id"), "person_id")
        customer = _visible_contact(context, contact_id, include_archived=True)
        person = request.env["res.partner"].browse(person_id).exists()
        Membership = request.env["ov.membership"]
        if not person or not Membership._abs_is_or_was_member(person, context.sa):
            # The explainer only explains members: anyone else is unknown here.
            raise errors.NotFound("Person not found.", details={"person_id": person_id})
        answer = request.env["ov.serviced_account"]._abs_explain_access(person, context.sa, customer)
        result = {"visible": bool(answer.get("visible")), "reason": answer.get("reason") or ""}
        result.update({key: answer.get(key) or None for key in EXPLANATION_IDS})
        return json_response(result)
