"""The one exception the governance layer raises when a rule refuses a change.

It is a ``UserError``: the web client shows its message as a plain dialog, so
back-office buttons and wizards need no wrapper. The REST API maps it to 409
with its ``details`` in the one error-mapping function (``governance/errors.py``,
``as_abs_error``). See docs/adr/0009-one-error-shape.md.
"""

from odoo.exceptions import UserError


class GovernanceConflict(UserError):
    """A governance rule refuses the change: duplicate member, only manager, nothing to do...

    :param message: a sentence for the user, already translated.
    :param details: ids the caller may see, for API clients (``{"membership_id": 7}``).
    """

    def __init__(self, message, details=None):
        super().__init__(message)
        self.details = dict(details or {})
