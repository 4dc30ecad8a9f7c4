import hashlib
import json
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import SQL

from ..governance.errors import IdempotencyKeyReused

# How long a key is remembered: a client retrying after a timeout does so within minutes,
# a phone coming back online within hours.
IDEMPOTENCY_TTL = timedelta(hours=24)


class AbsIdempotencyKey(models.Model):
    """The first answer to a create request sent with an ``Idempotency-Key`` header.

    A retry with the same key and the same request gets that answer back instead of a second
    record; the same key with another request is refused. One row per (caller, key): the
    unique constraint is what makes two simultaneous retries safe -- the second waits for
    the first's transaction and, under Odoo's REPEATABLE READ, is retried and replays it.
    Only answers of committed requests are kept: a refused request leaves no row, so fixing
    the request and retrying with the same key works. See docs/reference/idempotency.md.
    """

    _name = "abs.idempotency_key"
    _description = "API idempotency key"
    _order = "id desc"
    _log_access = False

    owner = fields.Char(required=True, readonly=True, help="Who sent the key: an employee or an API key.")
    key = fields.Char(required=True, readonly=True)
    fingerprint = fields.Char(
        required=True, readonly=True, help="SHA-256 of the method, path, X-SA-ID and JSON body."
    )
    response_status = fields.Integer(readonly=True)
    response_body = fields.Text(readonly=True)
    created_at = fields.Datetime(required=True, readonly=True, index=True, default=fields.Datetime.now)

    _sql_constraints = [
        ("owner_key_unique", "UNIQUE(owner, key)", "An idempotency key is used once per caller."),
    ]

    @api.model
    def _abs_fingerprint(self, method, path, sa_header, raw_body):
        """A digest of what makes two requests "the same": JSON bodies compare by value."""
        try:
            body = json.dumps(json.loads(raw_body or b"null"), sort_keys=True, separators=(",", ":"))
        except (ValueError, RecursionError):
            body = (raw_body or b"").decode("utf-8", "replace")
        text = "\n".join([method.upper(), path, sa_header or "", body])
        return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()

    @api.model
    def _abs_claim(self, owner, key, fingerprint):
        """Reserve ``key`` for this request, or return the answer it already had.

        :returns: ``None`` when the caller must run the request (then call ``_abs_remember``),
            else ``(status, body_text)`` of the first answer.
        :raise IdempotencyKeyReused: the key was used for another request within the TTL.
        """
        cr = self.env.cr
        cutoff = fields.Datetime.now() - IDEMPOTENCY_TTL
        cr.execute(
            SQL(
                "DELETE FROM abs_idempotency_key WHERE owner = %s AND key = %s AND created_at < %s",
                owner,
                key,
                cutoff,
            )
        )
        # A simultaneous request with the same key blocks here until the first commits;
        # REPEATABLE READ then raises a serialization failure and Odoo retries this
        # request, which finds the committed row below.
        cr.execute(
            SQL(
                "INSERT INTO abs_idempotency_key (owner, key, fingerprint, created_at) "
                "VALUES (%s, %s, %s, now() AT TIME ZONE 'UTC') "
                "ON CONFLICT (owner, key) DO NOTHING RETURNING id",
                owner,
                key,
                fingerprint,
            )
        )
        if cr.fetchone():
            return None
        cr.execute(
            SQL(
                "SELECT fingerprint, response_status, response_body FROM abs_idempotency_key "
                "WHERE owner = %s AND key = %s",
                owner,
                key,
            )
        )
        stored_fingerprint, status, body = cr.fetchone()
        if stored_fingerprint != fingerprint or not status:
            raise IdempotencyKeyReused(
                _("This Idempotency-Key was already used for another request; send a new key."),
                details={"header": "Idempotency-Key"},
            )
        return status, body

    @api.model
    def _abs_remember(self, owner, key, status, body_text):
        """Store the answer of the request that claimed ``key`` (same transaction)."""
        self.env.cr.execute(
            SQL(
                "UPDATE abs_idempotency_key SET response_status = %s, response_body = %s "
                "WHERE owner = %s AND key = %s",
                status,
                body_text,
                owner,
                key,
            )
        )

    @api.autovacuum
    def _gc_expired_keys(self):
        cutoff = fields.Datetime.now() - IDEMPOTENCY_TTL
        self.env.cr.execute(SQL("DELETE FROM abs_idempotency_key WHERE created_at < %s", cutoff))
