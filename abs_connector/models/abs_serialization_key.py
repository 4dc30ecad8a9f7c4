from odoo import api, fields, models
from odoo.tools import SQL


class AbsSerializationKey(models.Model):
    """One row per business key that concurrent requests must not handle at the same time.

    Odoo runs each request in a REPEATABLE READ transaction, where "lock, then check" does
    not work: after waiting for a lock the transaction still reads its old snapshot. Writing
    the key's row instead makes PostgreSQL itself order the requests: the second writer of a
    row waits for the first, then fails with a serialization error, and Odoo replays the
    request on a fresh snapshot, where it sees what the first one committed (for example the
    customer it created, and answers 409). Requests on different keys never wait for each
    other. See docs/reference/idempotency.md.
    """

    _name = "abs.serialization_key"
    _description = "Serialization key of concurrent requests"
    _log_access = False

    key = fields.Char(required=True, readonly=True)
    touched_at = fields.Datetime(readonly=True)

    _sql_constraints = [("key_unique", "UNIQUE(key)", "A serialization key exists once.")]

    @api.model
    def _abs_serialize_on(self, key):
        """Write the row of ``key`` so that concurrent transactions doing the same are ordered."""
        self.env.cr.execute(
            SQL(
                "INSERT INTO abs_serialization_key (key, touched_at) VALUES (%s, now() AT TIME ZONE 'UTC') "
                "ON CONFLICT (key) DO UPDATE SET touched_at = EXCLUDED.touched_at",
                key,
            )
        )
