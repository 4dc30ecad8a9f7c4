"""JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of every API request and response body.

These dicts are the single source: :mod:`.openapi` places them under ``components/schemas`` of
the published document, the API validates request bodies against that document, and the docs
render it. Request schemas close their objects (``additionalProperties: false``) so a field that
is not on the allowlist -- ``x_sa_id``, ``company_id``, ``active``, ``user_id`` ... -- is refused
with 422 before anything is written.
"""

from . import sync

LIST_DEFAULT_LIMIT = 50
LIST_MAX_LIMIT = 200
# Lists count exactly up to this many rows, then answer it as a lower bound (``total_is_exact``
# false) unless the caller asks for ``count=exact``: Odoo's list views' convention. Their limit is
# 10,000; ours is lower because a governed count walks the customers an agent does NOT see too
# (about five partners per visible one for an agent seeing a fifth of the SA): counting 10,000
# visible customers in an SA of a million cost as much as the rest of the request twice over
# (docs/performance.md#lists).
LIST_COUNT_LIMIT = 1000
# Deeper than this, a page is read with the keyset cursor rather than by skipping rows.
LIST_MAX_OFFSET = 10000
MAX_BODY_BYTES = 64 * 1024

ROLE_CODES = ["staff", "agent", "admin", "finance", "viewer"]
POLICIES = ["sa_wide", "assigned_plus_unassigned", "assigned_only"]
HIERARCHY_SCOPES = ["this_node_only", "this_node_and_descendants"]
MEMBERSHIP_STATES = ["active", "suspended", "revoked"]

# Fields a client may write on a governed contact, and the Odoo field each maps to.
CONTACT_WRITABLE_FIELDS = {
    "name": "name",
    "email": "email",
    "phone": "phone",
    "mobile": "mobile",
    "street": "street",
    "street2": "street2",
    "city": "city",
    "zip": "zip",
    "country_code": "country_id",
    "function": "function",
    "comment": "comment",
}
# Sort keys a list accepts: "<key> asc|desc" -> Odoo order expression.
CONTACT_ORDERS = {
    "id": "id",
    "name": "name",
    "email": "email",
    "city": "city",
    "create_date": "create_date",
}
ORDER_ORDERS = {
    "id": "id",
    "name": "name",
    "date_order": "date_order",
    "amount_total": "amount_total",
    "state": "state",
}
INVOICE_ORDERS = {
    "id": "id",
    "name": "name",
    "invoice_date": "invoice_date",
    "amount_total": "amount_total",
    "state": "state",
}
ORDER_MAX_LINES = 100
ORDER_STATES = ["draft", "sent", "sale", "cancel"]


# What every offset/cursor-paged list answers besides its items (docs/agent/start-here.md, Step 4).
_PAGE_PROPERTIES = {
    "total": {
        "type": "integer",
        "minimum": 0,
        "description": "Rows in the list: exact when `total_is_exact`, else a lower bound "
        f"({LIST_COUNT_LIMIT} rows are counted at most unless the request says `count=exact`).",
    },
    "total_is_exact": {
        "type": "boolean",
        "description": "False when the list has more rows than were counted: `total` is then a lower bound.",
    },
    "limit": {"type": "integer", "minimum": 1, "maximum": LIST_MAX_LIMIT},
    "offset": {"type": "integer", "minimum": 0, "maximum": LIST_MAX_OFFSET},
    "next_cursor": {
        "type": ["string", "null"],
        "description": "Opaque: send it as `cursor` (same `order`) for the next page; null on the last page.",
    },
}
_PAGE_REQUIRED = ["items", "total", "total_is_exact", "limit", "offset", "next_cursor"]


def _str(max_length, min_length=0, **extra):
    schema = {"type": "string", "maxLength": max_length}
    if min_length:
        schema["minLength"] = min_length
    schema.update(extra)
    return schema


def _nullable(schema):
    schema = dict(schema)
    schema["type"] = [schema["type"], "null"]
    return schema


_ID = {"type": "integer", "minimum": 1, "maximum": 2147483647}
_NULLABLE_ID = {"type": ["integer", "null"], "minimum": 1, "maximum": 2147483647}
_EMAIL = _str(254, 3, format="email", pattern=r"^[^@\s]+@[^@\s]+$")
_PASSWORD = _str(1024, 8)
_DATETIME = {"type": ["string", "null"], "format": "date-time"}
_NAME = _str(256, 1, pattern=r"\S")


def _closed(properties, required=(), **extra):
    schema = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = list(required)
    schema.update(extra)
    return schema


def _open(properties, required):
    """A response object: every documented field is always present."""
    return {"type": "object", "properties": properties, "required": list(required)}


_CONTACT_INPUT_PROPERTIES = {
    "name": _NAME,
    "email": _nullable(_EMAIL),
    "phone": _nullable(_str(64)),
    "mobile": _nullable(_str(64)),
    "street": _nullable(_str(256)),
    "street2": _nullable(_str(256)),
    "city": _nullable(_str(128)),
    "zip": _nullable(_str(32)),
    "country_code": _nullable(_str(2, 2, pattern=r"^[A-Za-z]{2}$")),
    "function": _nullable(_str(128)),
    "comment": _nullable(_str(4000)),
}

_TOKEN_RESPONSE = _open(
    {
        "access_token": {"type": "string"},
        "token_type": {"type": "string", "const": "Bearer"},
        "expires_in": {"type": "integer", "minimum": 1},
        "refresh_token": {"type": "string"},
    },
    ["access_token", "token_type", "expires_in", "refresh_token"],
)

SCHEMAS = {
    # ------------------------------------------------------------------ errors
    "Error": _open(
        {
            "error": _open(
                {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "details": {"type": "object"},
                },
                ["code", "message", "details"],
            ),
        },
        ["error"],
    ),
    # ------------------------------------------------------------------ auth
    "TokenRequest": _closed({"login": _EMAIL, "password": _str(1024, 1)}, ["login", "password"]),
    "RefreshRequest": _closed({"refresh_token": _str(256, 16)}, ["refresh_token"]),
    "ActivateRequest": _closed({"token": _str(256, 16), "password": _PASSWORD}, ["token", "password"]),
    "TokenResponse": _TOKEN_RESPONSE,
    # ------------------------------------------------------------------ service accounts
    "ServiceAccountCreate": _closed(
        {
            "name": _NAME,
            "parent_id": _ID,
            "partner_id": _ID,
            "initial_admin_partner_id": _ID,
            "initial_admin_password": _PASSWORD,
            "account_class": {"type": "string", "enum": ["OVAC", "EXTC"]},
            "notes": _str(4000),
        },
        ["name", "parent_id", "initial_admin_partner_id"],
    ),
    "ServiceAccount": _open(
        {
            "id": _ID,
            "name": {"type": "string"},
            "parent_id": _NULLABLE_ID,
            "partner_id": _NULLABLE_ID,
            "account_class": {"type": "string", "enum": ["OVAC", "EXTC"]},
            "state": {"type": "string", "enum": ["active", "inactive"]},
            "company_id": _NULLABLE_ID,
            "sa_manager_membership_id": _NULLABLE_ID,
        },
        [
            "id",
            "name",
            "parent_id",
            "partner_id",
            "account_class",
            "state",
            "company_id",
            "sa_manager_membership_id",
        ],
    ),
    "EnrollRequest": _closed(
        {
            "name": _NAME,
            "email": _EMAIL,
            "role_code": {"type": "string", "enum": ROLE_CODES},
            "password": _PASSWORD,
            "phone": _nullable(_str(64)),
            "scope_policy": {"type": ["string", "null"], "enum": [*POLICIES, None]},
            "hierarchy_scope": {"type": "string", "enum": HIERARCHY_SCOPES},
        },
        ["name", "email", "role_code"],
    ),
    "EnrollResponse": _open(
        {
            "partner_id": _ID,
            "employee_id": _ID,
            "membership_id": _ID,
            "role_code": {"type": "string", "enum": ROLE_CODES},
            "membership_state": {"type": "string", "enum": MEMBERSHIP_STATES},
        },
        ["partner_id", "employee_id", "membership_id", "role_code", "membership_state"],
    ),
    "RevokeResponse": _open(
        {
            "membership_id": _ID,
            "membership_state": {"type": "string", "enum": MEMBERSHIP_STATES},
            "unassigned_customers": {"type": "integer", "minimum": 0},
        },
        ["membership_id", "membership_state", "unassigned_customers"],
    ),
    "MyServiceAccount": _open(
        {
            "id": _ID,
            "name": {"type": "string"},
            "state": {"type": "string", "enum": ["active", "inactive"]},
            "membership_id": _ID,
            "role_code": {"type": "string", "enum": ROLE_CODES},
            "membership_state": {"type": "string", "enum": MEMBERSHIP_STATES},
            "effective_policy": {"type": "string", "enum": POLICIES},
            "hierarchy_scope": {"type": "string", "enum": HIERARCHY_SCOPES},
            "effective_from": _DATETIME,
            "effective_to": _DATETIME,
            "live": {"type": "boolean"},
        },
        [
            "id",
            "name",
            "state",
            "membership_id",
            "role_code",
            "membership_state",
            "effective_policy",
            "hierarchy_scope",
            "effective_from",
            "effective_to",
            "live",
        ],
    ),
    "MyServiceAccountList": _open(
        {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/MyServiceAccount"}},
            "total": {"type": "integer", "minimum": 0},
        },
        ["items", "total"],
    ),
    # ------------------------------------------------------------------ contacts
    "ContactCreate": _closed(_CONTACT_INPUT_PROPERTIES, ["name"]),
    "ContactUpdate": _closed(_CONTACT_INPUT_PROPERTIES, minProperties=1),
    "Contact": _open(
        {
            "id": _ID,
            "name": {"type": "string"},
            "email": {"type": ["string", "null"]},
            "phone": {"type": ["string", "null"]},
            "mobile": {"type": ["string", "null"]},
            "street": {"type": ["string", "null"]},
            "street2": {"type": ["string", "null"]},
            "city": {"type": ["string", "null"]},
            "zip": {"type": ["string", "null"]},
            "country_code": {"type": ["string", "null"]},
            "function": {"type": ["string", "null"]},
            "comment": {"type": ["string", "null"]},
            "active": {"type": "boolean"},
            "sa_id": _NULLABLE_ID,
            "actor_id": _NULLABLE_ID,
            "assigned_employee_id": _NULLABLE_ID,
            "assignment_id": _NULLABLE_ID,
        },
        [
            "id",
            "name",
            "email",
            "phone",
            "mobile",
            "street",
            "street2",
            "city",
            "zip",
            "country_code",
            "function",
            "comment",
            "active",
            "sa_id",
            "actor_id",
            "assigned_employee_id",
            "assignment_id",
        ],
    ),
    "ContactList": _open(
        {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Contact"}},
            **_PAGE_PROPERTIES,
        },
        _PAGE_REQUIRED,
    ),
    "ContactRemoval": _open(
        {
            "id": _ID,
            "reason": {
                "type": "string",
                "enum": list(sync.REMOVAL_REASONS),
                "description": "Why the customer left your set: deleted, archived, reassigned "
                "(now worked by someone you do not see), left_service_account.",
            },
        },
        ["id", "reason"],
    ),
    "ContactChanges": _open(
        {
            "upserts": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Contact"},
                "description": "Customers that entered your set or changed, as the list shows them.",
            },
            "removals": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/ContactRemoval"},
                "description": "Customers that left your set.",
            },
            "next_cursor": {
                "type": "string",
                "description": "Opaque; send it back as `cursor` for the next page or the next sync.",
            },
            "has_more": {
                "type": "boolean",
                "description": "More pages follow now: call again with `next_cursor` before showing "
                "the local copy as complete.",
            },
        },
        ["upserts", "removals", "next_cursor", "has_more"],
    ),
    "AssignRequest": _closed({"employee_id": _ID}, ["employee_id"]),
    "AssignResponse": _open(
        {
            "contact_id": _ID,
            "employee_id": _ID,
            "actor_id": _ID,
            "assignment_id": _ID,
            "previous_assignment_id": _NULLABLE_ID,
        },
        ["contact_id", "employee_id", "actor_id", "assignment_id", "previous_assignment_id"],
    ),
    "AccessExplanation": _open(
        {
            "visible": {"type": "boolean"},
            "reason": {"type": "string"},
            "membership_id": _NULLABLE_ID,
            "role_code": {"type": ["string", "null"]},
            "policy": {"type": ["string", "null"]},
            "hierarchy_scope": {"type": ["string", "null"]},
            "assignment_id": _NULLABLE_ID,
            "actor_id": _NULLABLE_ID,
        },
        [
            "visible",
            "reason",
            "membership_id",
            "role_code",
            "policy",
            "hierarchy_scope",
            "assignment_id",
            "actor_id",
        ],
    ),
    # ------------------------------------------------------------------ orders
    "OrderLineInput": _closed(
        {
            "product_id": _ID,
            "quantity": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000000},
        },
        ["product_id", "quantity"],
    ),
    "OrderCreate": _closed(
        {
            "contact_id": _ID,
            "lines": {
                "type": "array",
                "minItems": 1,
                "maxItems": ORDER_MAX_LINES,
                "items": {"$ref": "#/components/schemas/OrderLineInput"},
            },
        },
        ["contact_id", "lines"],
    ),
    "OrderUpdate": _closed(
        {
            "lines": {
                "type": "array",
                "minItems": 1,
                "maxItems": ORDER_MAX_LINES,
                "items": {"$ref": "#/components/schemas/OrderLineInput"},
            },
        },
        ["lines"],
    ),
    "OrderLine": _open(
        {
            "id": _ID,
            "product_id": _NULLABLE_ID,
            "description": {"type": "string"},
            "quantity": {"type": "number"},
            "price_unit": {"type": "number"},
            "price_subtotal": {"type": "number"},
            "price_total": {"type": "number"},
        },
        ["id", "product_id", "description", "quantity", "price_unit", "price_subtotal", "price_total"],
    ),
    "Order": _open(
        {
            "id": _ID,
            "name": {"type": "string"},
            "state": {"type": "string", "enum": ORDER_STATES},
            "date_order": _DATETIME,
            "amount_untaxed": {"type": "number"},
            "amount_total": {"type": "number"},
            "currency": {"type": ["string", "null"]},
            "partner_id": _NULLABLE_ID,
            "partner_name": {"type": ["string", "null"]},
            "sa_id": _NULLABLE_ID,
            "actor_id": _NULLABLE_ID,
            "invoice_status": {"type": "string", "enum": ["upselling", "invoiced", "to invoice", "no"]},
            "invoice_ids": {"type": "array", "items": _ID},
            "lines": {"type": "array", "items": {"$ref": "#/components/schemas/OrderLine"}},
        },
        [
            "id",
            "name",
            "state",
            "date_order",
            "amount_untaxed",
            "amount_total",
            "currency",
            "partner_id",
            "partner_name",
            "sa_id",
            "actor_id",
            "invoice_status",
            "invoice_ids",
            "lines",
        ],
    ),
    "OrderList": _open(
        {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Order"}},
            **_PAGE_PROPERTIES,
        },
        _PAGE_REQUIRED,
    ),
    # ------------------------------------------------------------------ catalogue
    "Product": _open(
        {
            "id": _ID,
            "name": {"type": "string"},
            "default_code": {"type": ["string", "null"]},
            "barcode": {"type": ["string", "null"]},
            "type": {"type": "string"},
            "category": {"type": ["string", "null"]},
            "uom": {"type": ["string", "null"]},
            "description_sale": {"type": ["string", "null"]},
            "list_price": {"type": "number"},
            "price": {"type": "number"},
            "currency": {"type": ["string", "null"]},
            "pricelist_id": _NULLABLE_ID,
        },
        [
            "id",
            "name",
            "default_code",
            "barcode",
            "type",
            "category",
            "uom",
            "description_sale",
            "list_price",
            "price",
            "currency",
            "pricelist_id",
        ],
    ),
    "ProductList": _open(
        {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Product"}},
            "limit": {"type": "integer", "minimum": 1, "maximum": LIST_MAX_LIMIT},
            "next_cursor": {"type": ["string", "null"]},
        },
        ["items", "limit", "next_cursor"],
    ),
    # ------------------------------------------------------------------ invoices
    "Invoice": _open(
        {
            "id": _ID,
            "name": {"type": "string"},
            "move_type": {"type": "string", "enum": ["out_invoice", "out_refund"]},
            "state": {"type": "string", "enum": ["draft", "posted", "cancel"]},
            "payment_state": {"type": "string"},
            "invoice_date": {"type": ["string", "null"], "format": "date"},
            "invoice_date_due": {"type": ["string", "null"], "format": "date"},
            "amount_untaxed": {"type": "number"},
            "amount_total": {"type": "number"},
            "amount_residual": {"type": "number"},
            "currency": {"type": ["string", "null"]},
            "partner_id": _NULLABLE_ID,
            "partner_name": {"type": ["string", "null"]},
            "order_ids": {"type": "array", "items": _ID},
            "sa_id": _NULLABLE_ID,
            "actor_id": _NULLABLE_ID,
            "created_at": _DATETIME,
        },
        [
            "id",
            "name",
            "move_type",
            "state",
            "payment_state",
            "invoice_date",
            "invoice_date_due",
            "amount_untaxed",
            "amount_total",
            "amount_residual",
            "currency",
            "partner_id",
            "partner_name",
            "order_ids",
            "sa_id",
            "actor_id",
            "created_at",
        ],
    ),
    "InvoiceList": _open(
        {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Invoice"}},
            **_PAGE_PROPERTIES,
        },
        _PAGE_REQUIRED,
    ),
    # ------------------------------------------------------------------ migration
    "BackfillRequest": _closed(
        {
            "company_id": _ID,
            "dry_run": {"type": "boolean"},
        }
    ),
    "BackfillResponse": _open(
        {
            "company_id": _NULLABLE_ID,
            "dry_run": {"type": "boolean"},
            "would_create": {"type": "integer", "minimum": 0},
            "created": {"type": "integer", "minimum": 0},
            "conflicts": {
                "type": "integer",
                "minimum": 0,
                "description": "Rows left out because their customer was assigned while the run inserted; "
                "always 0 on Odoo, whose transactions are REPEATABLE READ: such a customer makes the run "
                "fail with a serialization error, and the run Odoo starts again counts it in "
                "`already_present`.",
            },
            "companies_deferred": {
                "type": "boolean",
                "description": "True when the run left more customers than one batch to get their account's "
                "company: the scheduled action 'Governance: give governed customers their account's "
                "company' gives it to them a batch per transaction after the run.",
            },
            "already_present": {"type": "integer", "minimum": 0},
            "skipped": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}},
            "skipped_total": {"type": "integer", "minimum": 0},
            "sample": {"type": "array", "items": {"$ref": "#/components/schemas/BackfillRow"}},
            "skipped_sample": {"type": "array", "items": {"$ref": "#/components/schemas/BackfillRow"}},
        },
        [
            "company_id",
            "dry_run",
            "would_create",
            "created",
            "conflicts",
            "companies_deferred",
            "already_present",
            "skipped",
            "skipped_total",
            "sample",
            "skipped_sample",
        ],
    ),
    "BackfillRow": _open(
        {
            "partner_id": _ID,
            "partner_name": {"type": ["string", "null"]},
            "account_id": _ID,
            "account_name": {"type": ["string", "null"]},
            "actor_id": _NULLABLE_ID,
            "reason": {"type": "string"},
            "message": {"type": "string"},
        },
        ["partner_id", "partner_name", "account_id", "account_name", "actor_id"],
    ),
}
