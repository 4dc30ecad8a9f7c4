import uuid
from datetime import timedelta

from odoo import _, api, fields, models

from ..elevation import elevate
from ..governance.errors import Unauthorized
from ..governance.tokens import hash_opaque, new_opaque_token


class AbsRefreshToken(models.Model):
    """One refresh token of an employee; tokens rotated from one sign-in form a family.

    A refresh token works once: using it marks it spent and issues its successor in the same
    family. Presenting a spent token again means it was copied, so the whole family is revoked
    and every holder must sign in again (OAuth 2.0 Security BCP, refresh token rotation).
    Only a SHA-256 digest of each token is stored.
    """

    _name = "abs.refresh_token"
    _description = "API refresh token"
    _order = "id desc"

    employee_id = fields.Many2one("abs.employee", required=True, index=True, ondelete="cascade")
    family = fields.Char(required=True, index=True, readonly=True)
    token_digest = fields.Char(required=True, readonly=True, index=True, groups="base.group_system")
    expires_at = fields.Datetime(required=True, readonly=True)
    used_at = fields.Datetime(readonly=True)
    revoked_at = fields.Datetime(readonly=True)

    _sql_constraints = [
        ("token_digest_unique", "UNIQUE(token_digest)", "Refresh tokens are unique."),
    ]

    def _abs_admin(self):
        return elevate(self, "tokens are used before anyone is authenticated; nobody else touches them")

    @api.model
    def _abs_issue(self, employee, ttl_seconds, family=None):
        """Create a refresh token for ``employee``; return the clear token (never stored)."""
        clear, digest = new_opaque_token()
        self._abs_admin().create(
            {
                "employee_id": employee.id,
                "family": family or uuid.uuid4().hex,
                "token_digest": digest,
                "expires_at": fields.Datetime.now() + timedelta(seconds=int(ttl_seconds)),
            }
        )
        return clear

    @api.model
    def _abs_rotate(self, clear, ttl_seconds):
        """Spend ``clear`` and return ``(employee, new_clear_token)``.

        :raise Unauthorized: unknown, expired or revoked token, or an inactive employee. A token
            that was already spent revokes its whole family first; the caller must commit
            that revocation even though it answers 401.
        """
        refused = Unauthorized(
            _("The refresh token is not valid; sign in again."), details={"reason": "refresh_token"}
        )
        if not isinstance(clear, str) or not clear:
            raise refused
        token = self._abs_admin().search([("token_digest", "=", hash_opaque(clear))], limit=1)
        if not token or token.revoked_at:
            raise refused
        now = fields.Datetime.now()
        if token.used_at:
            token._abs_revoke_family()
            raise refused
        if token.expires_at <= now or not token.employee_id.active:
            raise refused
        token.write({"used_at": now})
        return token.employee_id, self._abs_issue(token.employee_id, ttl_seconds, family=token.family)

    def _abs_revoke_family(self):
        families = self._abs_admin().mapped("family")
        live = self._abs_admin().search([("family", "in", families), ("revoked_at", "=", False)])
        live.write({"revoked_at": fields.Datetime.now()})

    @api.model
    def _abs_revoke_employee(self, employee):
        """Revoke every live refresh token of ``employee`` (one or several: e.g. when a password
        is reset, when they are archived)."""
        live = self._abs_admin().search([("employee_id", "in", employee.ids), ("revoked_at", "=", False)])
        live.write({"revoked_at": fields.Datetime.now()})

    @api.autovacuum
    def _gc_expired(self):
        # A week after expiry a token can no longer reveal a reuse worth acting on.
        limit = fields.Datetime.now() - timedelta(days=7)
        self._abs_admin().search([("expires_at", "<", limit)]).unlink()
