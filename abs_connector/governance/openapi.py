"""The OpenAPI 3.1 document of the REST API -- and the request validation built from it.

:func:`build_openapi` is pure (no Odoo, no I/O): the API serves it at ``/api/openapi.json``, the
docs render it, and :func:`validate_body` validates every request body against the schemas *in
that document*, so the published contract and the enforced one cannot drift apart.
"""

import copy
import functools
import json
from pathlib import Path

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from . import api_schemas, errors, list_cursor, sync, visibility
from .errors import Unprocessable

API_VERSION = "1.0.0"
DOCUMENT_URI = "urn:abs-connector:openapi"
LICENSE = {"name": "LGPL-3.0", "identifier": "LGPL-3.0-only"}
CONTACT = {"name": "ABS Connector team", "url": "https://example.invalid/abs_connector"}
# One request and one response example per operation, as the API suites send and receive them
# (abs_connector/tests/test_api_examples.py replays each against the real server).
EXAMPLES_FILE = Path(__file__).with_name("api_examples.json")

JWT = [{"bearerAuth": []}]
API_KEY = [{"apiKeyAuth": []}]
JWT_OR_API_KEY = [{"bearerAuth": []}, {"apiKeyAuth": []}]
PUBLIC = []

_ERROR_TEXT = {
    400: "Malformed request (body is not a JSON object, bad header).",
    401: "Missing, invalid or expired credentials.",
    403: "Authenticated, but not allowed (role, membership, SA).",
    404: "No such resource, or not visible to the caller.",
    405: "Method not allowed on this resource.",
    409: "Conflicts with the current state (duplicate, only manager...).",
    410: "The sync cursor can no longer be continued (error code cursor_reset, details.reason): "
    "drop the local copy and start again without a cursor.",
    413: "Request body too large.",
    422: "Body or parameters fail validation (unknown or forbidden field included).",
    429: "Too many failed attempts; retry after the Retry-After delay.",
    503: "A service this call needs is not configured on this server (token secret, PDF renderer).",
}


def _op(
    method,
    path,
    op_id,
    summary,
    tag,
    security,
    success,
    response_schema=None,
    *,
    body=None,
    sa_scoped=False,
    query=(),
    errors=(),
    description=None,
    idempotent=False,
    capability=None,
    media="application/json",
):
    return {
        "method": method,
        "path": path,
        "operation_id": op_id,
        "summary": summary,
        "tag": tag,
        "security": security,
        "success": success,
        "response_schema": response_schema,
        "body": body,
        "sa_scoped": sa_scoped,
        "query": tuple(query),
        "errors": tuple(errors),
        "description": description,
        "idempotent": idempotent,
        "capability": capability,
        "media": media,
    }


def roles_allowed(capability):
    """``(roles, roles_by_setting)`` that may call an operation requiring ``capability``,
    read from the role table of the pure core (the table the API enforces)."""
    roles = [role for role in visibility.ROLES if capability in visibility.ROLE_CAPABILITIES[role]]
    by_setting = {
        setting: sorted(role for role, caps in grants.items() if capability in caps)
        for setting, grants in visibility.SETTING_CAPABILITIES.items()
    }
    return roles, {setting: roles for setting, roles in by_setting.items() if roles}


def _roles_sentence(capability):
    roles, by_setting = roles_allowed(capability)
    sentence = f"Roles: {', '.join(roles)}"
    for setting, extra in by_setting.items():
        sentence += f"; {', '.join(extra)} where the SA setting `{setting}` is on"
    return sentence + "."


_LIST_QUERY = ("limit", "offset", "list_cursor", "count", "search")

# Every operation of the API. Errors common to a kind of operation are added in _responses().
OPERATIONS = (
    _op(
        "post",
        "/api/auth/token",
        "issueToken",
        "Sign in with login and password",
        "auth",
        PUBLIC,
        200,
        "TokenResponse",
        body="TokenRequest",
        errors=(401, 429, 503),
        description="Returns a short-lived access token and a refresh token. Too many failed "
        "attempts for a login (however it is spelt) or from one client address answer 429 "
        "with a Retry-After header until the window passes.",
    ),
    _op(
        "post",
        "/api/auth/refresh",
        "refreshToken",
        "Rotate a refresh token",
        "auth",
        PUBLIC,
        200,
        "TokenResponse",
        body="RefreshRequest",
        errors=(401, 503),
        description="A refresh token works once. Presenting a spent one revokes its whole family.",
    ),
    _op(
        "post",
        "/api/auth/activate",
        "activateAccount",
        "Set the password of an enrolled agent",
        "auth",
        PUBLIC,
        200,
        "TokenResponse",
        body="ActivateRequest",
        errors=(401, 503),
    ),
    _op(
        "post",
        "/api/service-accounts",
        "createServiceAccount",
        "Create a branch SA",
        "service-accounts",
        API_KEY,
        201,
        "ServiceAccount",
        body="ServiceAccountCreate",
        errors=(404, 409),
        idempotent=True,
    ),
    _op(
        "post",
        "/api/service-accounts/{sa_id}/members/enroll",
        "enrollMember",
        "Enroll a member",
        "service-accounts",
        JWT,
        201,
        "EnrollResponse",
        body="EnrollRequest",
        sa_scoped=True,
        errors=(404, 409),
        description="Reuses the partner with the same normalized email. Without a password an "
        "activation mail goes to the person.",
        idempotent=True,
    ),
    _op(
        "delete",
        "/api/service-accounts/{sa_id}/members/{membership_id}",
        "revokeMember",
        "Revoke a membership",
        "service-accounts",
        JWT,
        200,
        "RevokeResponse",
        sa_scoped=True,
        errors=(404, 409),
    ),
    _op(
        "get",
        "/api/me/service-accounts",
        "myServiceAccounts",
        "My SAs, role, policy and state",
        "me",
        JWT,
        200,
        "MyServiceAccountList",
    ),
    _op(
        "get",
        "/api/contacts",
        "listContacts",
        "List the customers visible in the SA",
        "contacts",
        JWT,
        200,
        "ContactList",
        sa_scoped=True,
        query=(*_LIST_QUERY, "contact_order"),
    ),
    _op(
        "get",
        "/api/contacts/changes",
        "syncContacts",
        "Changes to the customers visible to you since a cursor (offline sync)",
        "contacts",
        JWT,
        200,
        "ContactChanges",
        sa_scoped=True,
        query=("cursor", "limit"),
        errors=(410,),
        description="Without `cursor`: pages through a snapshot of the set `GET /api/contacts` "
        "returns, then hands a cursor. With one: the customers that entered the set or changed "
        "(`upserts`) and those that left it (`removals`, with a reason) since that cursor. Page "
        "while `has_more`. A cursor that is too old or whose membership changed answers 410 "
        "`cursor_reset`: drop the local copy and start again without a cursor. A cursor this "
        "server did not issue to you answers 400 `invalid_cursor`.",
    ),
    _op(
        "post",
        "/api/contacts",
        "createContact",
        "Create a governed customer",
        "contacts",
        JWT,
        201,
        "Contact",
        body="ContactCreate",
        sa_scoped=True,
        errors=(409,),
        idempotent=True,
    ),
    _op(
        "get",
        "/api/contacts/{contact_id}",
        "getContact",
        "Get one visible customer",
        "contacts",
        JWT,
        200,
        "Contact",
        sa_scoped=True,
        errors=(404,),
    ),
    _op(
        "put",
        "/api/contacts/{contact_id}",
        "updateContact",
        "Update a visible customer",
        "contacts",
        JWT,
        200,
        "Contact",
        body="ContactUpdate",
        sa_scoped=True,
        errors=(404, 409),
        description="409 when the e-mail is another customer's in this SA, when the customer has "
        "portal access (details.reason = portal_login): only they change it, from the portal, or "
        "when the contact is also a member whose sign-in it is (details.reason = member_login): "
        "only a Governance Manager changes it.",
    ),
    _op(
        "delete",
        "/api/contacts/{contact_id}",
        "archiveContact",
        "Archive a visible customer",
        "contacts",
        JWT,
        200,
        "Contact",
        sa_scoped=True,
        errors=(404,),
    ),
    _op(
        "post",
        "/api/contacts/{contact_id}/erase",
        "eraseContact",
        "Erase a customer's personal data",
        "contacts",
        JWT,
        200,
        "Contact",
        sa_scoped=True,
        errors=(404,),
        description="Staff and admin, right to erasure: personal fields scrubbed, portal users anonymised, "
        "the customer archived; its assignment history stays. Publishes customer.erased.",
    ),
    _op(
        "post",
        "/api/contacts/{contact_id}/unarchive",
        "unarchiveContact",
        "Restore an archived customer",
        "contacts",
        JWT,
        200,
        "Contact",
        sa_scoped=True,
        errors=(404, 422),
        description="Staff and admin: the customer and the portal users archived with it come back.",
    ),
    _op(
        "post",
        "/api/contacts/{contact_id}/assign",
        "assignContact",
        "Assign a customer to an employee",
        "contacts",
        JWT_OR_API_KEY,
        200,
        "AssignResponse",
        body="AssignRequest",
        sa_scoped=True,
        errors=(404, 409),
        description="Expires the current assignment and opens a new one (the customer lifecycle, Stage 4).",
    ),
    _op(
        "get",
        "/api/contacts/{contact_id}/access",
        "explainAccess",
        "Explain who sees a customer",
        "contacts",
        JWT,
        200,
        "AccessExplanation",
        sa_scoped=True,
        query=("person_id",),
        errors=(404,),
    ),
    _op(
        "get",
        "/api/products",
        "listProducts",
        "List the products the SA sells, priced for a customer",
        "catalogue",
        JWT,
        200,
        "ProductList",
        sa_scoped=True,
        query=("limit", "product_cursor", "product_search", "contact_id"),
        errors=(404,),
        capability="read_products",
        description="Sellable products of the SA's company (or of every company), in id order, "
        "keyset-paged: pass the previous page's `next_cursor` as `cursor`; the last page has "
        "`next_cursor: null`. With `contact_id` (a customer the caller sees, else 404) `price` "
        "follows that customer's pricelist; without it, it is the sales price.",
    ),
    _op(
        "get",
        "/api/products/{product_id}",
        "getProduct",
        "Get one sellable product, priced for a customer",
        "catalogue",
        JWT,
        200,
        "Product",
        sa_scoped=True,
        query=("contact_id",),
        errors=(404,),
        capability="read_products",
    ),
    _op(
        "get",
        "/api/orders",
        "listOrders",
        "List sale orders visible in the SA",
        "orders",
        JWT,
        200,
        "OrderList",
        sa_scoped=True,
        query=(*_LIST_QUERY, "order_order"),
        capability="read_orders",
    ),
    _op(
        "post",
        "/api/orders",
        "createOrder",
        "Create a quotation for a visible customer",
        "orders",
        JWT,
        201,
        "Order",
        body="OrderCreate",
        sa_scoped=True,
        errors=(404,),
        capability="create_orders",
        idempotent=True,
        description="A draft sale order in the SA's company, stamped with the customer's SA and "
        "agent; the caller is the chatter author and the event's actor (`order.created`). A "
        "customer the caller does not see answers 404; a product that is unknown, not sellable "
        "or of another company answers 422.",
    ),
    _op(
        "get",
        "/api/orders/{order_id}",
        "getOrder",
        "Get one visible sale order",
        "orders",
        JWT,
        200,
        "Order",
        sa_scoped=True,
        errors=(404,),
        capability="read_orders",
    ),
    _op(
        "put",
        "/api/orders/{order_id}",
        "updateOrder",
        "Replace the lines of a quotation",
        "orders",
        JWT,
        200,
        "Order",
        body="OrderUpdate",
        sa_scoped=True,
        errors=(404, 409),
        capability="create_orders",
        description="Only while the order is a quotation (draft or sent): afterwards 409.",
    ),
    _op(
        "post",
        "/api/orders/{order_id}/send",
        "sendOrder",
        "Send a quotation to the customer",
        "orders",
        JWT,
        200,
        "Order",
        sa_scoped=True,
        errors=(404, 409, 503),
        capability="create_orders",
        description="Odoo's quotation mail with its portal link; the quotation becomes `sent` and "
        "appears in the customer's portal (My Account > Quotations), where they accept and sign "
        "it. 409 when the order is not a quotation; 503 on a server that cannot render the "
        "quotation's PDF (wkhtmltopdf), which Odoo's mail attaches.",
    ),
    _op(
        "post",
        "/api/orders/{order_id}/confirm",
        "confirmOrder",
        "Confirm a quotation",
        "orders",
        JWT,
        200,
        "Order",
        sa_scoped=True,
        errors=(404, 409),
        capability="confirm_orders",
        description="Executed by the API proxy user with the caller recorded (chatter, "
        "`order.confirmed`). 409 when the order is not a quotation.",
    ),
    _op(
        "post",
        "/api/orders/{order_id}/cancel",
        "cancelOrder",
        "Cancel a quotation or an uninvoiced order",
        "orders",
        JWT,
        200,
        "Order",
        sa_scoped=True,
        errors=(404, 409),
        capability="create_orders",
        description="Cancelling a confirmed order also needs the right to confirm. 409 when the "
        "order is already cancelled, locked or invoiced. Publishes `order.cancelled`.",
    ),
    _op(
        "post",
        "/api/orders/{order_id}/invoice",
        "invoiceOrder",
        "Create the draft invoice of a confirmed order",
        "orders",
        JWT,
        201,
        "Invoice",
        sa_scoped=True,
        errors=(404, 409),
        capability="create_invoices",
        description="Odoo's own invoicing of the order (what is left to invoice), stamped like the "
        "order. 409 when the order is not confirmed or nothing is left to invoice. Publishes "
        "`invoice.created`.",
    ),
    _op(
        "get",
        "/api/invoices",
        "listInvoices",
        "List customer invoices visible in the SA",
        "invoices",
        JWT,
        200,
        "InvoiceList",
        sa_scoped=True,
        query=(*_LIST_QUERY, "invoice_order"),
        capability="read_invoices",
    ),
    _op(
        "get",
        "/api/invoices/{invoice_id}",
        "getInvoice",
        "Get one visible customer invoice",
        "invoices",
        JWT,
        200,
        "Invoice",
        sa_scoped=True,
        errors=(404,),
        capability="read_invoices",
    ),
    _op(
        "get",
        "/api/invoices/{invoice_id}/pdf",
        "getInvoicePdf",
        "Download the invoice as a PDF",
        "invoices",
        JWT,
        200,
        None,
        sa_scoped=True,
        errors=(404, 503),
        capability="read_invoices",
        media="application/pdf",
        description="Odoo's own invoice report (`account.account_invoices`), as "
        "`application/pdf`. 503 when the server has no PDF renderer (wkhtmltopdf).",
    ),
    _op(
        "post",
        "/api/migration/backfill-customer-assignments",
        "backfillAssignments",
        "Backfill V3 assignments from V2 stamps",
        "migration",
        API_KEY,
        200,
        "BackfillResponse",
        body="BackfillRequest",
        errors=(404,),
    ),
    _op("get", "/api/openapi.json", "getOpenApi", "This document", "meta", PUBLIC, 200, None),
)

_PATH_PARAMS = {
    "sa_id": "Service account id",
    "membership_id": "Membership id",
    "contact_id": "Customer (res.partner) id",
    "order_id": "Sale order id",
    "product_id": "Product (product.product) id",
    "invoice_id": "Customer invoice (account.move) id",
}

_QUERY_PARAMS = {
    "limit": {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": f"Page size (default {api_schemas.LIST_DEFAULT_LIMIT}).",
        "schema": {
            "type": "integer",
            "minimum": 1,
            "maximum": api_schemas.LIST_MAX_LIMIT,
            "default": api_schemas.LIST_DEFAULT_LIMIT,
        },
    },
    "offset": {
        "name": "offset",
        "in": "query",
        "required": False,
        "description": f"Rows to skip, at most {api_schemas.LIST_MAX_OFFSET}: deeper pages are read with "
        "`cursor` (an offset beyond answers 422).",
        "schema": {"type": "integer", "minimum": 0, "maximum": api_schemas.LIST_MAX_OFFSET, "default": 0},
    },
    "list_cursor": {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "The `next_cursor` of the previous page, sent with the same `order` and without "
        "`offset`: the page after it, as cheap at any depth. Rows added or archived meanwhile neither "
        "repeat nor skip the others. A cursor this list did not return answers 422.",
        "schema": {"type": "string", "minLength": 1, "maxLength": list_cursor.MAX_CURSOR_LENGTH},
    },
    "count": {
        "name": "count",
        "in": "query",
        "required": False,
        "description": f"`exact`: count every row for `total`. Without it, rows are counted up to "
        f"{api_schemas.LIST_COUNT_LIMIT}; beyond, `total` is that lower bound and `total_is_exact` false.",
        "schema": {"type": "string", "enum": ["exact"]},
    },
    "search": {
        "name": "search",
        "in": "query",
        "required": False,
        "description": "Case-insensitive match: a contact's name, e-mail, phone or city; an order's or "
        "invoice's number or its customer's name.",
        "schema": {"type": "string", "maxLength": 256},
    },
    "contact_order": {
        "name": "order",
        "in": "query",
        "required": False,
        "schema": {
            "type": "string",
            "enum": sorted(f"{key} {way}" for key in api_schemas.CONTACT_ORDERS for way in ("asc", "desc")),
        },
    },
    "order_order": {
        "name": "order",
        "in": "query",
        "required": False,
        "schema": {
            "type": "string",
            "enum": sorted(f"{key} {way}" for key in api_schemas.ORDER_ORDERS for way in ("asc", "desc")),
        },
    },
    "invoice_order": {
        "name": "order",
        "in": "query",
        "required": False,
        "schema": {
            "type": "string",
            "enum": sorted(f"{key} {way}" for key in api_schemas.INVOICE_ORDERS for way in ("asc", "desc")),
        },
    },
    "cursor": {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "The `next_cursor` of the previous answer; omit it to start from a snapshot.",
        "schema": {"type": "string", "minLength": 1, "maxLength": sync.MAX_CURSOR_LENGTH},
    },
    "product_cursor": {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "Opaque: the `next_cursor` of the previous page (none for the first page).",
        "schema": {"type": "string", "maxLength": 64},
    },
    "product_search": {
        "name": "search",
        "in": "query",
        "required": False,
        "description": "Case-insensitive match on name, internal reference or barcode.",
        "schema": {"type": "string", "maxLength": 256},
    },
    "contact_id": {
        "name": "contact_id",
        "in": "query",
        "required": False,
        "description": "Price for this customer (res.partner id), with their pricelist.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647},
    },
    "person_id": {
        "name": "person_id",
        "in": "query",
        "required": True,
        "description": "The person (res.partner) whose access is explained.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647},
    },
}

_SA_HEADER = {
    "name": "X-SA-ID",
    "in": "header",
    "required": True,
    "description": "The Service Account the call acts in; checked against a live membership.",
    "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647},
}


_IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes a retry safe: the same key with the same request within 24 hours returns "
    "the first answer (header Idempotent-Replayed: true) without creating anything; the same key "
    "with another request answers 422 idempotency_key_reused.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
}


def list_order_values(orders):
    """The ``order`` values a list accepts, e.g. ``name asc``."""
    return {f"{key} {way}": f"{expr} {way}" for key, expr in orders.items() for way in ("asc", "desc")}


def _responses(operation):
    responses = {}
    success = {"description": "Success"}
    if operation["media"] != "application/json":
        schema = {"type": "string", "contentMediaType": operation["media"]}
    elif operation["response_schema"]:
        schema = {"$ref": f"#/components/schemas/{operation['response_schema']}"}
    else:
        schema = {"type": "object"}
    success["content"] = {operation["media"]: _with_example({"schema": schema}, operation, "response")}
    responses[str(operation["success"])] = success
    statuses = set(operation["errors"]) | {405}
    if operation["body"]:
        statuses |= {400, 413, 422}
    if operation["query"]:
        statuses |= {422}
    if operation["security"]:
        statuses |= {401, 403}
    if operation["sa_scoped"]:
        statuses |= {400, 403}
    for status in sorted(statuses):
        responses[str(status)] = {"$ref": f"#/components/responses/E{status}"}
    return responses


def _error_classes():
    """The most general error class of each status (a subclass refines the code, not the status)."""
    by_status, pending = {}, list(errors.AbsError.__subclasses__())
    while pending:
        cls = pending.pop(0)
        by_status.setdefault(cls.status, cls)
        pending += cls.__subclasses__()
    return by_status


_ERROR_CLASSES = _error_classes()


def error_example(status):
    """The error body of ``status`` in the API's one error shape: the error's default answer,
    or the example recorded for it (a 422 names the fields it refused)."""
    example = _examples()["errors"].get(str(status))
    if example is None:
        return _ERROR_CLASSES[status]().to_body()
    return {"error": {"code": _ERROR_CLASSES[status].code, **copy.deepcopy(example)}}


@functools.cache
def _examples():
    return json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))


def examples():
    """``{operationId: {"request": body?, "response": body}}``: a fresh copy (error bodies apart)."""
    return {key: value for key, value in copy.deepcopy(_examples()).items() if key != "errors"}


def _with_example(media, operation, kind):
    value = _examples().get(operation["operation_id"], {}).get(kind)
    if value is not None:
        media["examples"] = {"typical": {"summary": operation["summary"], "value": copy.deepcopy(value)}}
    return media


def _operation_parameters(operation):
    path_params = [part[1:-1] for part in operation["path"].split("/") if part.startswith("{")]
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": _PATH_PARAMS[name],
            "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647},
        }
        for name in path_params
    ]
    parameters += [copy.deepcopy(_QUERY_PARAMS[name]) for name in operation["query"]]
    if operation["sa_scoped"]:
        parameters.append(copy.deepcopy(_SA_HEADER))
    if operation["idempotent"]:
        parameters.append(copy.deepcopy(_IDEMPOTENCY_HEADER))
    return parameters


def _operation_object(operation):
    parameters = _operation_parameters(operation)
    result = {
        "operationId": operation["operation_id"],
        "summary": operation["summary"],
        "tags": [operation["tag"]],
        "security": copy.deepcopy(operation["security"]),
        "responses": _responses(operation),
    }
    description = operation["description"]
    if operation["capability"]:
        roles_text = _roles_sentence(operation["capability"])
        description = f"{description} {roles_text}" if description else roles_text
        roles, by_setting = roles_allowed(operation["capability"])
        result["x-abs-capability"] = operation["capability"]
        result["x-abs-roles"] = roles
        if by_setting:
            result["x-abs-roles-by-setting"] = by_setting
    if description:
        result["description"] = description
    if parameters:
        result["parameters"] = parameters
    if operation["body"]:
        result["requestBody"] = {
            "required": True,
            "content": {
                "application/json": _with_example(
                    {"schema": {"$ref": f"#/components/schemas/{operation['body']}"}}, operation, "request"
                )
            },
        }
    return result


def build_openapi(server_url=None):
    """Return the OpenAPI 3.1 document (a fresh dict each call; pure, no I/O).

    :param server_url: optional base URL listed under ``servers``.
    """
    paths = {}
    for operation in OPERATIONS:
        paths.setdefault(operation["path"], {})[operation["method"]] = _operation_object(operation)
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "abs_connector API",
            "version": API_VERSION,
            "license": dict(LICENSE),
            "contact": dict(CONTACT),
            "description": "Governed customers for agent and mobile apps. Every SA-scoped call names "
            "its Service Account in X-SA-ID. Errors share one shape: "
            '{"error": {"code", "message", "details"}}.',
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": paths,
        "components": {
            "schemas": copy.deepcopy(api_schemas.SCHEMAS),
            "responses": {
                f"E{status}": {
                    "description": text,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/Error"},
                            "examples": {"typical": {"summary": text, "value": error_example(status)}},
                        }
                    },
                }
                for status, text in _ERROR_TEXT.items()
            },
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "apiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-KEY"},
            },
        },
    }
    # Without a known host, the relative "/" says what OpenAPI assumes anyway: the host serving it.
    document["servers"] = [{"url": server_url or "/"}]
    return document


def _is_whole_number(_checker, instance):
    # JSON Schema counts 5.0 as an integer; Odoo takes a float for no record at all (browse(5.0)
    # fails, a many2one of 5.0 is empty), so an id or a count must be written as a whole number.
    return isinstance(instance, int) and not isinstance(instance, bool)


_BodyValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_whole_number),
)


@functools.cache
def _validator(schema_name):
    document = build_openapi()
    if schema_name not in document["components"]["schemas"]:
        raise KeyError(f"no schema named {schema_name!r} in the OpenAPI document")
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry = Registry().with_resource(DOCUMENT_URI, resource)
    schema = {"$ref": f"{DOCUMENT_URI}#/components/schemas/{schema_name}"}
    return _BodyValidator(schema, registry=registry, format_checker=_BodyValidator.FORMAT_CHECKER)


def _describe(error):
    path = ".".join(str(part) for part in error.absolute_path)
    return {
        "field": path or None,
        "message": error.message if len(error.message) < 300 else f"{error.validator} constraint failed",
    }


def validate_body(schema_name, body):
    """Validate ``body`` against ``components/schemas/<schema_name>`` of the published document.

    :returns: ``body`` unchanged.
    :raise Unprocessable: with ``details.errors`` (field + message each) and, for fields that
        are not on the allowlist, ``details.unknown_fields``.
    """
    errors = sorted(_validator(schema_name).iter_errors(body), key=lambda e: list(e.absolute_path))
    if not errors:
        return body
    unknown = []
    described = []
    for error in errors:
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = error.schema.get("properties", {})
            # Names come from the client: shorten them so the answer stays small.
            unknown += sorted(str(key)[:64] for key in error.instance if key not in allowed)
        else:
            described.append(_describe(error))
    details = {"errors": described}
    if unknown:
        unknown = unknown[:20]
        details["unknown_fields"] = unknown
        message = f"These fields cannot be set: {', '.join(unknown)}."
    else:
        message = "The request body is not valid."
    return _raise(message, details)


def _raise(message, details):
    raise Unprocessable(message, details=details)


def operations():
    """The operation table (method, path, auth, schemas), for tests and the controllers."""
    return copy.deepcopy(OPERATIONS)
