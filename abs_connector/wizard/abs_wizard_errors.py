"""Turn governance errors into dialogs a back-office user can read.

The governance layer raises its own exceptions (``governance.errors.AbsError``:
Conflict, NotFound, ...) so that the REST API can map them to HTTP statuses.
In the web client an exception that is not an Odoo ``UserError`` shows up as a
server traceback, so the wizards re-raise them as ``UserError`` with the same
message. Raising also rolls the transaction back: nothing is half-done.
"""

from contextlib import contextmanager

from odoo.exceptions import UserError

from ..governance.errors import AbsError


@contextmanager
def governance_errors_as_user_errors():
    try:
        yield
    except AbsError as exc:
        message = getattr(exc, "message", None) or str(exc)
        raise UserError(message) from exc
