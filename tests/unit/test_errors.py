"""governance.errors.to_http: every mapping from an exception to a status and the one error body."""

import json
import types

import psycopg2
import pytest
import werkzeug.exceptions as wz
from psycopg2 import errors as pg_errors

from governance import errors


def make_foreign(qualified_name, base=Exception, message="boom"):
    """Build an exception whose class looks like ``qualified_name`` (Odoo is not importable here)."""
    module, _, name = qualified_name.rpartition(".")
    klass = types.new_class(name, (base,))
    klass.__module__ = module
    klass.__qualname__ = name
    return klass, klass(message)


def assert_error_body(body, code):
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)
    json.dumps(body)


@pytest.mark.parametrize(
    ("klass", "status", "code"),
    [
        (errors.BadRequest, 400, "bad_request"),
        (errors.Unauthorized, 401, "unauthorized"),
        (errors.Forbidden, 403, "forbidden"),
        (errors.NotFound, 404, "not_found"),
        (errors.MethodNotAllowed, 405, "method_not_allowed"),
        (errors.Conflict, 409, "conflict"),
        (errors.PayloadTooLarge, 413, "payload_too_large"),
        (errors.Unprocessable, 422, "validation_error"),
        (errors.TooManyRequests, 429, "too_many_requests"),
        (errors.ServiceUnavailable, 503, "service_unavailable"),
    ],
)
def test_own_error_classes_map_to_their_status_and_code(klass, status, code):
    status_out, body = errors.to_http(klass("Explained.", details={"field": "email"}))
    assert status_out == status
    assert_error_body(body, code)
    assert body["error"]["message"] == "Explained."
    assert body["error"]["details"] == {"field": "email"}


def test_own_error_without_message_gets_the_default_sentence():
    _status, body = errors.to_http(errors.NotFound())
    assert body["error"]["message"] == "Not found."


def test_conflict_is_an_abs_error_so_governance_can_raise_it():
    assert issubclass(errors.Conflict, errors.AbsError)
    assert errors.Conflict("x").message == "x"


def test_unauthorized_carries_a_www_authenticate_header():
    assert errors.Unauthorized().headers["WWW-Authenticate"].startswith("Bearer")


def test_too_many_requests_carries_retry_after():
    assert errors.TooManyRequests(retry_after=42.4).headers["Retry-After"] == "42"
    assert errors.TooManyRequests(retry_after=0).headers["Retry-After"] == "1"


def test_method_not_allowed_lists_allowed_methods():
    assert errors.MethodNotAllowed(allowed=["POST", "GET"]).headers["Allow"] == "GET, POST"


@pytest.mark.parametrize(
    ("name", "status", "code", "keeps_message"),
    [
        ("odoo.exceptions.UserError", 422, "validation_error", True),
        ("odoo.exceptions.ValidationError", 422, "validation_error", True),
        ("odoo.exceptions.AccessError", 403, "forbidden", False),
        ("odoo.exceptions.AccessDenied", 401, "unauthorized", False),
        ("odoo.exceptions.MissingError", 404, "not_found", False),
        ("jsonschema.exceptions.ValidationError", 422, "validation_error", True),
    ],
)
def test_foreign_exceptions_map_by_class_name(name, status, code, keeps_message):
    _klass, exc = make_foreign(name, message="A sentence.")
    status_out, body = errors.to_http(exc)
    assert status_out == status
    assert_error_body(body, code)
    assert (body["error"]["message"] == "A sentence.") is keeps_message


def test_subclass_of_a_mapped_odoo_exception_maps_like_its_parent():
    user_error, _ = make_foreign("odoo.exceptions.UserError")
    klass = types.new_class("RedirectingError", (user_error,))
    klass.__module__ = "odoo.addons.x"
    status, _ = errors.to_http(klass("Please do Y."))
    assert status == 422


def test_most_specific_odoo_class_wins_along_the_mro():
    user_error, _ = make_foreign("odoo.exceptions.UserError")
    missing, exc = make_foreign("odoo.exceptions.MissingError", base=user_error)
    assert errors.to_http(exc)[0] == 404


def test_access_error_message_is_not_leaked():
    _klass, exc = make_foreign("odoo.exceptions.AccessError", message="uid 7 may not read res.partner(101,)")
    _status, body = errors.to_http(exc)
    assert "res.partner" not in body["error"]["message"]


def test_unique_violation_maps_to_conflict():
    assert errors.to_http(pg_errors.UniqueViolation("dup"))[0] == 409


@pytest.mark.parametrize(
    "exc",
    [pg_errors.SerializationFailure("could not serialize"), pg_errors.DeadlockDetected("deadlock")],
)
def test_a_lost_race_past_odoos_retries_is_a_conflict_not_a_500(exc):
    status, body = errors.to_http(exc)
    assert status == 409
    assert_error_body(body, "conflict")


def test_validation_error_odoo_made_from_a_unique_violation_is_a_conflict_naming_nothing():
    _klass, exc = make_foreign(
        "odoo.exceptions.ValidationError", message="Model: Contact (res.partner) Field: email"
    )
    exc.__cause__ = pg_errors.UniqueViolation("dup")
    status, body = errors.to_http(exc)
    assert status == 409
    assert "res.partner" not in body["error"]["message"]


def test_reused_idempotency_key_is_a_422_with_its_own_code():
    status, body = errors.to_http(errors.IdempotencyKeyReused())
    assert status == 422
    assert_error_body(body, "idempotency_key_reused")


def test_json_decode_error_maps_to_bad_request():
    with pytest.raises(json.JSONDecodeError) as excinfo:
        json.loads("{")
    assert errors.to_http(excinfo.value)[0] == 400


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (wz.BadRequest(), 400),
        (wz.Unauthorized(), 401),
        (wz.Forbidden(), 403),
        (wz.NotFound(), 404),
        (wz.MethodNotAllowed(valid_methods=["GET"]), 405),
        (wz.Conflict(), 409),
        (wz.RequestEntityTooLarge(), 413),
        (wz.UnprocessableEntity(), 422),
        (wz.TooManyRequests(), 429),
    ],
)
def test_werkzeug_http_exceptions_map_by_status(exc, status):
    status_out, body = errors.to_http(exc)
    assert status_out == status
    assert body["error"]["code"] == errors.as_abs_error(exc).code


def test_werkzeug_405_keeps_the_allowed_methods():
    error = errors.as_abs_error(wz.MethodNotAllowed(valid_methods=["GET", "PUT"]))
    assert error.headers["Allow"] == "GET, PUT"


@pytest.mark.parametrize(
    "exc",
    [
        RuntimeError("password=hunter2 at /srv/app.py line 3"),
        KeyError("x"),
        ZeroDivisionError(),
        wz.InternalServerError(),
    ],
)
def test_unexpected_exception_is_a_500_that_reveals_nothing(exc):
    status, body = errors.to_http(exc)
    assert status == 500
    assert_error_body(body, "internal_error")
    assert body["error"]["message"] == errors.INTERNAL_MESSAGE
    assert body["error"]["details"] == {}


def test_expected_refusals_are_logged_below_warning():
    assert errors.Conflict().loglevel < 30
    assert errors.AbsError().status == 500


def test_governance_conflict_from_the_model_layer_maps_to_409_with_its_details():
    user_error, _ = make_foreign("odoo.exceptions.UserError")
    klass = types.new_class("GovernanceConflict", (user_error,))
    klass.__module__ = "odoo.addons.abs_connector.exceptions"
    klass.__qualname__ = "GovernanceConflict"
    exc = klass("Ana is the only manager of North; appoint another manager first.")
    exc.details = {"membership_id": 7}
    status, body = errors.to_http(exc)
    assert status == 409
    assert_error_body(body, "conflict")
    assert body["error"]["message"].startswith("Ana is the only manager")
    assert body["error"]["details"] == {"membership_id": 7}


def test_a_foreign_exception_without_details_answers_empty_details():
    _, exc = make_foreign("odoo.exceptions.ValidationError", message="Bad value.")
    exc.details = "not a dict"
    assert errors.to_http(exc)[1]["error"]["details"] == {}


@pytest.mark.parametrize(
    "exc",
    [
        psycopg2.OperationalError("server closed the connection unexpectedly"),
        psycopg2.InterfaceError("connection already closed"),
    ],
    ids=["connection-lost", "connection-closed"],
)
def test_lost_database_answers_503_with_retry_after_never_the_driver_message(exc):
    error = errors.as_abs_error(exc)
    status, body = errors.to_http(exc)
    assert status == 503
    assert_error_body(body, "database_unavailable")
    assert error.headers["Retry-After"] == "5"
    assert "server closed" not in body["error"]["message"]
    assert "connection" not in body["error"]["message"]
