"""The OpenAPI document is complete and is the schema that validates request bodies."""

import json

import jsonschema
import pytest

from governance import api_schemas, openapi, visibility
from governance.errors import Unprocessable

# docs/customer-lifecycle.md "API Surface" plus the system endpoints.
REQUIRED_OPERATIONS = {
    ("post", "/api/service-accounts"),
    ("post", "/api/service-accounts/{sa_id}/members/enroll"),
    ("get", "/api/me/service-accounts"),
    ("post", "/api/contacts"),
    ("get", "/api/contacts"),
    ("get", "/api/contacts/changes"),
    ("get", "/api/contacts/{contact_id}"),
    ("put", "/api/contacts/{contact_id}"),
    ("delete", "/api/contacts/{contact_id}"),
    ("post", "/api/contacts/{contact_id}/assign"),
    ("post", "/api/contacts/{contact_id}/unarchive"),
    ("post", "/api/contacts/{contact_id}/erase"),
    ("delete", "/api/service-accounts/{sa_id}/members/{membership_id}"),
    ("post", "/api/migration/backfill-customer-assignments"),
    ("post", "/api/auth/token"),
    ("post", "/api/auth/refresh"),
    ("post", "/api/auth/activate"),
    ("get", "/api/contacts/{contact_id}/access"),
    ("get", "/api/orders"),
    ("get", "/api/orders/{order_id}"),
    ("get", "/api/openapi.json"),
    # field sales
    ("get", "/api/products"),
    ("get", "/api/products/{product_id}"),
    ("post", "/api/orders"),
    ("put", "/api/orders/{order_id}"),
    ("post", "/api/orders/{order_id}/send"),
    ("post", "/api/orders/{order_id}/confirm"),
    ("post", "/api/orders/{order_id}/cancel"),
    ("post", "/api/orders/{order_id}/invoice"),
    ("get", "/api/invoices"),
    ("get", "/api/invoices/{invoice_id}"),
    ("get", "/api/invoices/{invoice_id}/pdf"),
}


@pytest.fixture(scope="module")
def document():
    return openapi.build_openapi()


def iter_refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from iter_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from iter_refs(item)


def resolve(document, ref):
    node = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_document_is_openapi_3_1_and_json_serializable(document):
    assert document["openapi"].startswith("3.1")
    assert json.loads(json.dumps(document)) == document


def test_build_is_pure_and_returns_a_fresh_copy(document):
    other = openapi.build_openapi()
    assert other == document and other is not document
    other["components"]["schemas"]["Contact"]["properties"].clear()
    assert openapi.build_openapi()["components"]["schemas"]["Contact"]["properties"]


def test_every_seed_and_issue_endpoint_is_documented(document):
    documented = {(method, path) for path, item in document["paths"].items() for method in item}
    assert documented == REQUIRED_OPERATIONS


def test_every_reference_resolves(document):
    refs = set(iter_refs(document))
    assert refs
    for ref in refs:
        assert resolve(document, ref) is not None


def test_every_component_schema_is_a_valid_2020_12_schema(document):
    for schema in document["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_operation_ids_are_unique(document):
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


def test_path_parameters_match_the_templates(document):
    for path, item in document["paths"].items():
        names = {part[1:-1] for part in path.split("/") if part.startswith("{")}
        for op in item.values():
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == names, path


def test_sa_scoped_operations_require_the_x_sa_id_header(document):
    contacts = document["paths"]["/api/contacts"]["get"]
    assert any(p["name"] == "X-SA-ID" and p["required"] for p in contacts["parameters"])
    me = document["paths"]["/api/me/service-accounts"]["get"]
    assert not any(p["name"] == "X-SA-ID" for p in me.get("parameters", []))


def test_security_requirements_follow_the_seed(document):
    paths = document["paths"]
    assert paths["/api/service-accounts"]["post"]["security"] == [{"apiKeyAuth": []}]
    assert paths["/api/contacts"]["get"]["security"] == [{"bearerAuth": []}]
    assert {"apiKeyAuth": []} in paths["/api/contacts/{contact_id}/assign"]["post"]["security"]
    assert paths["/api/auth/token"]["post"]["security"] == []


def test_every_operation_documents_its_error_statuses(document):
    for path, item in document["paths"].items():
        for method, op in item.items():
            statuses = set(op["responses"])
            assert "405" in statuses
            if op["security"]:
                assert {"401", "403"} <= statuses, (method, path)
            if "requestBody" in op:
                assert {"400", "413", "422"} <= statuses, (method, path)


def test_list_limit_is_capped_at_200_with_default_50(document):
    params = {p["name"]: p for p in document["paths"]["/api/contacts"]["get"]["parameters"]}
    assert params["limit"]["schema"]["maximum"] == 200
    assert params["limit"]["schema"]["default"] == 50


def test_list_order_is_an_allowlist(document):
    params = {p["name"]: p for p in document["paths"]["/api/contacts"]["get"]["parameters"]}
    assert "name asc" in params["order"]["schema"]["enum"]
    assert all(value.split()[0] in api_schemas.CONTACT_ORDERS for value in params["order"]["schema"]["enum"])


# ----------------------------------------------------------------- validation from the document


def test_valid_contact_body_passes():
    body = {"name": "Marie Dupont", "email": "marie@client.com", "phone": "+228 90 000 001"}
    assert openapi.validate_body("ContactCreate", body) is body


@pytest.mark.parametrize("field", ["x_sa_id", "x_actor_id", "company_id", "active", "user_id", "id"])
def test_forbidden_field_is_refused_with_its_name(field):
    with pytest.raises(Unprocessable) as excinfo:
        openapi.validate_body("ContactCreate", {"name": "M", field: 1})
    assert excinfo.value.details["unknown_fields"] == [field]
    assert field in excinfo.value.message


def test_update_needs_at_least_one_field():
    with pytest.raises(Unprocessable):
        openapi.validate_body("ContactUpdate", {})


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": 5},
        {"name": "M", "email": "not-an-email"},
        {"name": "M", "country_code": "FRA"},
        {"name": "x" * 300},
        [],
        "text",
        None,
    ],
)
def test_invalid_contact_bodies_are_refused(body):
    with pytest.raises(Unprocessable):
        openapi.validate_body("ContactCreate", body)


@pytest.mark.parametrize(
    ("schema_name", "body"),
    [
        ("AssignRequest", {"employee_id": 5.0}),
        ("OrderCreate", {"contact_id": 3.0, "lines": [{"product_id": 1, "quantity": 1}]}),
        ("OrderCreate", {"contact_id": 3, "lines": [{"product_id": 2.0, "quantity": 1}]}),
        ("AssignRequest", {"employee_id": True}),
    ],
)
def test_an_id_must_be_written_as_a_whole_number(schema_name, body):
    # JSON Schema would take 5.0 as an integer; Odoo would take it for no record at all
    with pytest.raises(Unprocessable):
        openapi.validate_body(schema_name, body)


def test_a_whole_number_id_and_a_decimal_quantity_pass():
    body = {"contact_id": 3, "lines": [{"product_id": 2, "quantity": 1.5}]}
    assert openapi.validate_body("OrderCreate", body) is body


def test_enroll_requires_a_known_role_and_accepts_an_optional_password():
    openapi.validate_body(
        "EnrollRequest", {"name": "Jean", "email": "jean@example.com", "role_code": "agent"}
    )
    openapi.validate_body(
        "EnrollRequest",
        {"name": "Jean", "email": "jean@example.com", "role_code": "agent", "password": "longenough"},
    )
    with pytest.raises(Unprocessable):
        openapi.validate_body("EnrollRequest", {"name": "J", "email": "j@x.y", "role_code": "root"})
    with pytest.raises(Unprocessable):
        openapi.validate_body(
            "EnrollRequest", {"name": "J", "email": "j@x.y", "role_code": "agent", "password": "short"}
        )


def test_validation_uses_the_published_document(monkeypatch):
    """Changing the source schema changes validation: there is no second copy."""
    openapi._validator.cache_clear()
    patched = dict(api_schemas.SCHEMAS)
    patched["AssignRequest"] = {"type": "object", "properties": {}, "additionalProperties": True}
    monkeypatch.setattr(api_schemas, "SCHEMAS", patched)
    try:
        openapi.validate_body("AssignRequest", {"anything": 1})
    finally:
        openapi._validator.cache_clear()


def test_unknown_schema_name_is_a_programming_error():
    with pytest.raises(KeyError):
        openapi.validate_body("NoSuchSchema", {})


def test_unknown_field_names_are_truncated_in_the_answer():
    with pytest.raises(Unprocessable) as excinfo:
        openapi.validate_body("AssignRequest", {"employee_id": 1, "z" * 500: 1})
    assert len(excinfo.value.details["unknown_fields"][0]) == 64


def test_info_names_the_license_and_a_contact(document):
    assert document["info"]["license"] == {"name": "LGPL-3.0", "identifier": "LGPL-3.0-only"}
    assert document["info"]["contact"]["name"] and document["info"]["contact"]["url"]


def _success_content(document, operation):
    return document["paths"][operation["path"]][operation["method"]]["responses"][str(operation["success"])][
        "content"
    ][operation["media"]]


def test_every_operation_shows_a_response_example_and_a_request_example_when_it_takes_a_body(document):
    for operation in openapi.operations():
        assert _success_content(document, operation)["examples"]["typical"]["value"], operation[
            "operation_id"
        ]
        request = document["paths"][operation["path"]][operation["method"]].get("requestBody")
        if operation["body"]:
            assert request["content"]["application/json"]["examples"]["typical"]["value"], operation[
                "operation_id"
            ]
    assert set(openapi.examples()) == {operation["operation_id"] for operation in openapi.operations()}


def test_examples_are_valid_against_the_schemas_they_illustrate():
    for operation in openapi.operations():
        example = openapi.examples()[operation["operation_id"]]
        if operation["body"]:
            assert openapi.validate_body(operation["body"], example["request"]) == example["request"]
        else:
            assert "request" not in example, operation["operation_id"]
        if operation["response_schema"]:
            openapi._validator(operation["response_schema"]).validate(example["response"])


def test_every_error_response_shows_the_error_shape_with_its_code(document):
    codes = {400: "bad_request", 401: "unauthorized", 404: "not_found", 422: "validation_error"}
    for name, response in document["components"]["responses"].items():
        example = response["content"]["application/json"]["examples"]["typical"]["value"]
        openapi._validator("Error").validate(example)
        status = int(name.removeprefix("E"))
        assert example["error"]["code"] == codes.get(status, example["error"]["code"])
    refused = document["components"]["responses"]["E422"]["content"]["application/json"]["examples"]
    with pytest.raises(Unprocessable) as error:
        openapi.validate_body(
            "ServiceAccountCreate",
            {"name": "X", "parent_id": 1, "initial_admin_partner_id": 2, "company_id": 1},
        )
    assert refused["typical"]["value"]["error"]["message"] == error.value.message
    assert refused["typical"]["value"]["error"]["details"] == error.value.details


def test_field_sales_operations_name_the_roles_the_role_table_allows(document):
    confirm = document["paths"]["/api/orders/{order_id}/confirm"]["post"]
    assert confirm["x-abs-roles"] == ["staff", "admin"]
    assert confirm["x-abs-roles-by-setting"] == {"agents_confirm_orders": ["agent"]}
    assert "agent where the SA setting `agents_confirm_orders` is on" in confirm["description"]
    invoice = document["paths"]["/api/orders/{order_id}/invoice"]["post"]
    assert invoice["x-abs-roles"] == ["staff", "admin", "finance"]
    products = document["paths"]["/api/products"]["get"]
    assert products["x-abs-roles"] == list(visibility.ROLES)


def test_order_bodies_are_validated_by_the_published_schema():
    good = {"contact_id": 7, "lines": [{"product_id": 3, "quantity": 1.5}]}
    assert openapi.validate_body("OrderCreate", good) == good
    for bad in (
        {"contact_id": 7, "lines": []},
        {"contact_id": 7, "lines": [{"product_id": 3, "quantity": 0}]},
        {"contact_id": 7, "lines": [{"product_id": 3, "quantity": 1, "price_unit": 0}]},
        {"lines": [{"product_id": 3, "quantity": 1}]},
        {**good, "x_sa_id": 1},
    ):
        with pytest.raises(Unprocessable):
            openapi.validate_body("OrderCreate", bad)
