"""API error classes and the one function that maps any exception to an HTTP answer.

Every error the API returns has the same body::

    {"error": {"code": "<machine code>", "message": "<sentence for a human>", "details": {...}}}

The API raises these classes for transport and request problems; the model layer raises
Odoo's exceptions and the addon's ``GovernanceConflict`` (a ``UserError`` carrying ``details``,
``abs_connector/exceptions.py``) for governance refusals. :func:`to_http` turns all of them --
foreign classes recognised by name so this module never imports Odoo -- into a status and a
body: ``GovernanceConflict`` answers 409 with its details. An exception nobody planned for
answers 500 with a generic message: the cause goes to the server log, never to the client.
"""

import logging

__all__ = [
    "AbsError",
    "BadRequest",
    "Conflict",
    "CursorReset",
    "DatabaseUnavailable",
    "Forbidden",
    "IdempotencyKeyReused",
    "InvalidCursor",
    "MethodNotAllowed",
    "NotFound",
    "PayloadTooLarge",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "Unprocessable",
    "to_http",
]

INTERNAL_MESSAGE = "The server could not complete the request."


class AbsError(Exception):
    """Base of every error that carries its own HTTP status.

    ``loglevel`` is read by Odoo's WSGI entry point: an expected refusal is logged at INFO,
    not as a server error.
    """

    status = 500
    code = "internal_error"
    default_message = INTERNAL_MESSAGE
    loglevel = logging.INFO

    def __init__(self, message=None, details=None, headers=None):
        self.message = message or self.default_message
        self.details = dict(details or {})
        self.headers = dict(headers or {})
        super().__init__(self.message)

    def to_body(self):
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class BadRequest(AbsError):
    status = 400
    code = "bad_request"
    default_message = "The request is malformed."


class InvalidCursor(BadRequest):
    """A sync cursor this server did not issue to this caller (forged, edited, truncated)."""

    code = "invalid_cursor"
    default_message = "This cursor was not issued to you by this server; start again without a cursor."


class Unauthorized(AbsError):
    status = 401
    code = "unauthorized"
    default_message = "Authentication is required."

    def __init__(self, message=None, details=None, headers=None):
        headers = dict(headers or {})
        headers.setdefault("WWW-Authenticate", 'Bearer realm="abs_connector"')
        super().__init__(message, details, headers)


class Forbidden(AbsError):
    status = 403
    code = "forbidden"
    default_message = "You are not allowed to do this."


class NotFound(AbsError):
    status = 404
    code = "not_found"
    default_message = "Not found."


class MethodNotAllowed(AbsError):
    status = 405
    code = "method_not_allowed"
    default_message = "This method is not allowed on this resource."

    def __init__(self, message=None, details=None, headers=None, allowed=None):
        headers = dict(headers or {})
        if allowed:
            headers["Allow"] = ", ".join(sorted(allowed))
        super().__init__(message, details, headers)


class Conflict(AbsError):
    status = 409
    code = "conflict"
    default_message = "The request conflicts with the current state."


class CursorReset(AbsError):
    """A sync cursor that can no longer be continued: the client starts again from a snapshot."""

    status = 410
    code = "cursor_reset"
    default_message = "This sync cursor can no longer be continued; start again without a cursor."


class PayloadTooLarge(AbsError):
    status = 413
    code = "payload_too_large"
    default_message = "The request body is too large."


class Unprocessable(AbsError):
    status = 422
    code = "validation_error"
    default_message = "The request body is not valid."


class IdempotencyKeyReused(Unprocessable):
    """The ``Idempotency-Key`` of this request was already used for a different request."""

    code = "idempotency_key_reused"
    default_message = "This Idempotency-Key was already used for another request."


class TooManyRequests(AbsError):
    status = 429
    code = "too_many_requests"
    default_message = "Too many attempts; try again later."

    def __init__(self, message=None, details=None, headers=None, retry_after=None):
        headers = dict(headers or {})
        if retry_after is not None:
            headers["Retry-After"] = str(max(1, int(retry_after)))
        super().__init__(message, details, headers)


class ServiceUnavailable(AbsError):
    """The server is not configured to do this (e.g. no token secret): not the client's fault."""

    status = 503
    code = "service_unavailable"
    default_message = "This service is not available on this server."


class DatabaseUnavailable(ServiceUnavailable):
    """PostgreSQL is unreachable (restart, failover) or a transaction lost a race too often.

    Always carries ``Retry-After``: a client must retry, never conclude that a record is
    gone, which is what a 404 would tell it.
    """

    code = "database_unavailable"
    default_message = "The database is unavailable; retry shortly."
    retry_after = 5

    def __init__(self, message=None, details=None, headers=None):
        headers = dict(headers or {})
        headers.setdefault("Retry-After", str(self.retry_after))
        super().__init__(message, details, headers)


# Foreign exceptions, by fully qualified class name, checked along the MRO so that a
# subclass (e.g. Odoo's MissingError, a UserError) finds its most specific entry first.
_FOREIGN = {
    "odoo.addons.abs_connector.exceptions.GovernanceConflict": (Conflict, "keep"),
    "odoo.exceptions.MissingError": (NotFound, None),
    "odoo.exceptions.AccessDenied": (Unauthorized, None),
    "odoo.exceptions.AccessError": (Forbidden, None),
    "odoo.exceptions.ValidationError": (Unprocessable, "keep"),
    "odoo.exceptions.UserError": (Unprocessable, "keep"),
    "jsonschema.exceptions.ValidationError": (Unprocessable, "keep"),
    "psycopg2.errors.UniqueViolation": (Conflict, None),
    # Two requests changed the same rows at once and Odoo's retries ran out: the client may
    # retry, as after a lost race -- a conflict, not a server fault.
    "psycopg2.errors.SerializationFailure": (Conflict, None),
    "psycopg2.errors.DeadlockDetected": (Conflict, None),
    "psycopg2.errors.LockNotAvailable": (Conflict, None),
    # Connection lost or refused, server starting or shutting down: transient, not the
    # client's fault, and never a 404 (a client would drop its copy of the record).
    "psycopg2.OperationalError": (DatabaseUnavailable, None),
    "psycopg2.InterfaceError": (DatabaseUnavailable, None),
    "json.decoder.JSONDecodeError": (BadRequest, None),
}

_RACE_CAUSES = frozenset(
    {
        "psycopg2.errors.UniqueViolation",
        "psycopg2.errors.SerializationFailure",
        "psycopg2.errors.DeadlockDetected",
    }
)
RACE_MESSAGE = "Another request changed the same data at the same time; read it again before retrying."

# werkzeug's HTTP exceptions carry their status in ``code``; they reach us when Odoo or
# werkzeug refuses a request before our code runs (unknown path, body over the limit...).
_WERKZEUG_BY_STATUS = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    413: PayloadTooLarge,
    422: Unprocessable,
    429: TooManyRequests,
}


def _qualified_names(exc):
    for klass in type(exc).__mro__:
        yield f"{klass.__module__}.{klass.__qualname__}"


def _foreign_message(exc):
    """The human message of an Odoo / jsonschema exception (never a repr or a traceback)."""
    args = getattr(exc, "args", ()) or ()
    message = getattr(exc, "message", None)
    if not message and args and isinstance(args[0], str):
        message = args[0]
    return message or None


def _foreign_details(exc):
    """The ``details`` dict a foreign exception carries (``GovernanceConflict``), else ``None``."""
    details = getattr(exc, "details", None)
    return details if isinstance(details, dict) else None


def as_abs_error(exc):
    """Return ``exc`` as an :class:`AbsError` (the same object when it already is one).

    :param exc: any exception.
    :returns: an ``AbsError`` instance; unknown exceptions become a 500 ``AbsError`` whose
        message says nothing about the cause.
    """
    if isinstance(exc, AbsError):
        return exc
    return _race_conflict(exc) or _foreign_error(exc) or _werkzeug_error(exc) or AbsError()


def _race_conflict(exc):
    cause = exc.__cause__
    if cause is not None and any(name in _RACE_CAUSES for name in _qualified_names(cause)):
        # Odoo turns a unique violation at commit into a ValidationError naming the table and
        # column; the client only needs to know that another request got there first.
        return Conflict(RACE_MESSAGE)
    return None


def _foreign_error(exc):
    for name in _qualified_names(exc):
        if name in _FOREIGN:
            klass, keep = _FOREIGN[name]
            if not keep:
                return klass()
            return klass(_foreign_message(exc), _foreign_details(exc))
    return None


def _werkzeug_error(exc):
    code = getattr(exc, "code", None)
    if not type(exc).__module__.startswith("werkzeug") or not isinstance(code, int):
        return None
    klass = _WERKZEUG_BY_STATUS.get(code)
    if klass is None:
        return None
    allowed = getattr(exc, "valid_methods", None) if code == 405 else None
    return klass(allowed=allowed) if allowed else klass()


def to_http(exc):
    """Map any exception to ``(status, body)``.

    :param exc: the exception raised while serving a request.
    :returns: ``(status: int, body: dict)`` where body is the API's one error shape.
    """
    error = as_abs_error(exc)
    return error.status, error.to_body()
