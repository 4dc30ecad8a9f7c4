import json
import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.sql import create_index

from ..elevation import elevate
from ..governance import events
from ..governance.relay import Message
from ..relay_after_commit import schedule_relay

_logger = logging.getLogger(__name__)

STATES = [("pending", "Pending"), ("sent", "Sent"), ("failed", "Failed")]


class AbsEventOutbox(models.Model):
    """Lifecycle events waiting to be published (transactional outbox).

    A row is written in the same transaction as the change it describes, so a
    rolled-back change leaves no event behind. The relay (``abs.mqtt.relay``)
    publishes rows after commit and marks them sent only once the broker
    acknowledged them; see docs/adr/0007-events-outbox.md.
    """

    _name = "abs.event.outbox"
    _description = "Lifecycle event (outbox)"
    _order = "id desc"
    _rec_name = "event_uuid"

    event_uuid = fields.Char(string="Event ID", required=True, readonly=True, copy=False)
    event_type = fields.Selection(
        [(t, t) for t in events.EVENT_TYPES], required=True, readonly=True, index=True
    )
    sa_ref = fields.Integer(string="Service Account ID", required=True, readonly=True, index=True)
    subject_model = fields.Char(required=True, readonly=True)
    subject_id = fields.Many2oneReference(model_field="subject_model", required=True, readonly=True)
    actor_partner_id = fields.Many2one("res.partner", string="Actor", readonly=True, ondelete="set null")
    occurred_at = fields.Datetime(required=True, readonly=True)
    payload = fields.Text(required=True, readonly=True, help="The exact JSON published to the broker.")
    state = fields.Selection(STATES, required=True, default="pending", readonly=True, index=True)
    attempts = fields.Integer(readonly=True, default=0, help="Failed deliveries so far.")
    next_attempt_at = fields.Datetime(readonly=True, help="The relay does not try again before this time.")
    last_error = fields.Text(readonly=True)
    sent_at = fields.Datetime(readonly=True, help="When the broker acknowledged the event.")
    topic = fields.Char(
        compute="_compute_topic", help="Topic the event is published to with the current settings."
    )

    _sql_constraints = [
        ("event_uuid_unique", "UNIQUE(event_uuid)", "Each event id must be unique."),
    ]

    def init(self):
        # The relay looks for the oldest unsent event of each subject: both
        # indexes stay small because sent rows (the vast majority) are left out.
        create_index(
            self.env.cr,
            "abs_event_outbox_unsent_subject_idx",
            self._table,
            ["subject_model", "subject_id", "id"],
            where="state != 'sent'",
        )
        create_index(
            self.env.cr, "abs_event_outbox_pending_idx", self._table, ["id"], where="state = 'pending'"
        )
        # erasure finds every event of a subject, the published ones too
        create_index(
            self.env.cr, "abs_event_outbox_subject_idx", self._table, ["subject_id", "subject_model"]
        )
        create_index(
            self.env.cr, "abs_event_outbox_sent_at_idx", self._table, ["sent_at"], where="state = 'sent'"
        )

    @api.depends("event_type", "sa_ref")
    def _compute_topic(self):
        prefix = self.env["abs.mqtt.relay"]._topic_prefix()
        for event in self:
            event.topic = event.event_type and events.build_topic(prefix, event.sa_ref, event.event_type)

    # ------------------------------------------------------------------
    # Writing events (called by the governance lifecycle methods)
    # ------------------------------------------------------------------

    @api.model
    def _emit(self, event_type, sa, subject, actor_partner=None, data=None):
        """Queue one event in the current transaction; it is published after commit.

        :param sa: the ov.serviced_account the change belongs to (the topic's SA)
        :param subject: the record the event is about (one record)
        :param actor_partner: res.partner of the human actor, None for a system action
        :param data: the fields that changed; secret-looking keys are dropped
        :raise ValueError: unknown type, missing SA or subject, or a payload that
            does not match the type's JSON Schema — a programming error, so the
            change it belongs to is not committed either.
        """
        if not sa or len(sa) != 1:
            raise ValueError(f"Event {event_type!r} needs exactly one Service Account, got {sa!r}.")
        if not subject or len(subject) != 1:
            raise ValueError(f"Event {event_type!r} needs exactly one subject record, got {subject!r}.")
        actor_partner = actor_partner or self.env["res.partner"]
        envelope = events.build_envelope(
            event_type,
            sa.id,
            subject._name,
            subject.id,
            actor=events.actor_ref(actor_partner.id, self._employee_id_of(actor_partner)),
            data=data,
        )
        event = self._create_event_row(
            {
                "event_uuid": envelope["id"],
                "event_type": event_type,
                "sa_ref": sa.id,
                "subject_model": subject._name,
                "subject_id": subject.id,
                "actor_partner_id": actor_partner.id or False,
                "occurred_at": fields.Datetime.now(),
                "payload": events.encode(envelope).decode("utf-8"),
            }
        )
        self._publish_after_commit()
        return event

    @api.model
    def _abs_scrub_personal_data(self, subject, erased_name):
        """Right to erasure: the events about ``subject`` keep no personal value, the ones not
        yet published and the copies of those already published, kept until the outbox is
        vacuumed (what consumers received is out of our hands: they get customer.erased).
        :returns: how many events were rewritten."""
        rows = elevate(self, "erasure reaches every event, whoever asks").search(
            [("subject_model", "=", subject._name), ("subject_id", "=", subject.id)]
        )
        for row in rows:
            envelope = events.scrub_personal_data(json.loads(row.payload), erased_name)
            row.payload = events.encode(events.validate_envelope(envelope)).decode("utf-8")
        return len(rows)

    @api.model
    def _employee_id_of(self, partner):
        """abs.employee id of a person, if they have one (actor.employee_id)."""
        if not partner or "abs.employee" not in self.env:
            return None
        employee = (
            elevate(self.env["abs.employee"], "the event names the actor whoever publishes it")
            .with_context(active_test=False)
            .search([("partner_id", "=", partner.id)], limit=1)
        )
        return employee.id or None

    @api.model
    def _create_event_row(self, vals):
        on_behalf = "the actor has no right on the outbox; the event belongs to their change"
        return elevate(self, on_behalf).create(vals).sudo(self.env.su)

    @api.model
    def _publish_after_commit(self):
        """Ask the relay to publish once this transaction commits (once per transaction)."""
        postcommit = self.env.cr.postcommit
        if not postcommit.data.get("abs_event_relay"):
            postcommit.data["abs_event_relay"] = True
            postcommit.add(schedule_relay(self.env.cr.dbname))

    # ------------------------------------------------------------------
    # Relay side: selecting, locking and marking rows
    # ------------------------------------------------------------------

    @api.model
    def _lock_publishable(self, limit, exclude_ids=()):
        """Lock and return the next events to publish, oldest first.

        ``FOR UPDATE SKIP LOCKED`` lets several relays (workers, cron) run at
        once without ever publishing the same event concurrently. An event
        whose earlier event of the same subject is not sent yet is skipped, so
        one customer's events go out in the order they happened: the next one
        is only chosen once the broker acknowledged the previous one and that
        was committed. ``exclude_ids``: events this relay already has in
        flight in another of its transactions.
        """
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
            SELECT o.id, o.event_type, o.sa_ref, o.payload, COALESCE(o.attempts, 0) AS attempts
              FROM abs_event_outbox o
             WHERE o.state = 'pending'
               AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= (now() AT TIME ZONE 'UTC'))
               AND NOT EXISTS (
                    SELECT 1 FROM abs_event_outbox e
                     WHERE e.subject_model = o.subject_model
                       AND e.subject_id = o.subject_id
                       AND e.id < o.id
                       AND e.state != 'sent')
               AND o.id != ALL(%s)
             ORDER BY o.id
             LIMIT %s
               FOR UPDATE OF o SKIP LOCKED
            """,
                list(exclude_ids),
                limit,
            )
        )
        return self.env.cr.dictfetchall()

    @api.model
    def _has_publishable(self):
        self.env.flush_all()
        self.env.cr.execute("""
            SELECT 1 FROM abs_event_outbox
             WHERE state = 'pending'
               AND (next_attempt_at IS NULL OR next_attempt_at <= (now() AT TIME ZONE 'UTC'))
             LIMIT 1
        """)
        return bool(self.env.cr.fetchone())

    @api.model
    def _mark_sent(self, ids):
        if not ids:
            return
        self.env.cr.execute(
            SQL(
                """
            UPDATE abs_event_outbox
               SET state = 'sent', sent_at = (now() AT TIME ZONE 'UTC'), last_error = NULL,
                   next_attempt_at = NULL, write_date = (now() AT TIME ZONE 'UTC')
             WHERE id = ANY(%s)
            """,
                list(ids),
            )
        )
        self.invalidate_model(["state", "sent_at", "last_error", "next_attempt_at"])

    @api.model
    def _mark_failed(self, failures, rows_by_id, settings):
        """Count one failed delivery per event; back off exponentially, park after N."""
        for event_id, reason in failures.items():
            attempts = rows_by_id[event_id]["attempts"] + 1
            parked = events.is_parked(attempts, settings.max_attempts)
            delay = events.retry_delay(attempts, settings.retry_base, settings.retry_max)
            self.env.cr.execute(
                SQL(
                    """
                UPDATE abs_event_outbox
                   SET attempts = %s, state = %s, last_error = %s,
                       next_attempt_at = (now() AT TIME ZONE 'UTC') + make_interval(secs => %s),
                       write_date = (now() AT TIME ZONE 'UTC')
                 WHERE id = %s
                """,
                    attempts,
                    "failed" if parked else "pending",
                    reason[:2000],
                    delay,
                    event_id,
                )
            )
            if parked:
                _logger.error("Event %s parked as failed after %s attempts: %s", event_id, attempts, reason)
        self.invalidate_model(["attempts", "state", "last_error", "next_attempt_at"])

    @api.model
    def _relay_batch(self, settings, exclude_ids=()):
        """Lock the next batch and return (rows, their :class:`Message` in order).

        Publish the messages, then record what the broker answered with
        :meth:`_relay_record` in the same transaction: its commit releases the
        row locks.
        """
        rows = self._lock_publishable(settings.batch_size, exclude_ids)
        topics = {}  # one topic per (SA, type): building it checks the prefix
        messages = []
        for row in rows:
            topic_key = (row["sa_ref"], row["event_type"])
            if topic_key not in topics:
                topics[topic_key] = events.build_topic(settings.topic_prefix, *topic_key)
            messages.append(Message(row["id"], topics[topic_key], row["payload"].encode("utf-8")))
        return rows, messages

    @api.model
    def _relay_record(self, rows, outcome, settings):
        """Mark the acknowledged events sent, count a failure for the others; returns how
        many were acknowledged."""
        self._mark_sent(outcome.acked)
        if outcome.failed:
            self._mark_failed(outcome.failed, {row["id"]: row for row in rows}, settings)
        return len(outcome.acked)

    # ------------------------------------------------------------------
    # Back office and crons
    # ------------------------------------------------------------------

    def action_retry(self):
        """Put failed events back in the queue and try at once (after commit)."""
        if not self.env.user.has_group("abs_connector.group_abs_governance_manager"):
            raise UserError(_("Only a Governance Manager may retry events."))
        retryable = self.filtered(lambda event: event.state == "failed")
        if not retryable:
            raise UserError(_("Only failed events can be retried; the selected events are pending or sent."))
        retryable._requeue()
        self._publish_after_commit()
        return True

    def _requeue(self):
        relay_owned = "state, attempts and next_attempt_at belong to the relay, not to the user"
        elevate(self, relay_owned).write({"state": "pending", "attempts": 0, "next_attempt_at": False})

    @api.model
    def _cron_relay(self):
        """Retry cron: publish what is due (events whose back-off has elapsed,
        and anything left behind by a restart between commit and publish)."""
        published = self.env["abs.mqtt.relay"]._drain(time_budget=240)
        # remaining=0 on purpose: a positive value makes Odoo rerun the cron at
        # once, which during a broker outage would hammer the broker in a loop.
        self.env["ir.cron"]._notify_progress(done=published, remaining=0)
        return published

    @api.model
    def _cron_vacuum(self, batch=10000):
        """Delete sent events older than the retention (abs_event_retention_days)."""
        days = self.env["abs.mqtt.relay"]._settings().retention_days
        deleted = 0
        while True:
            self.env.cr.execute(
                SQL(
                    """
                DELETE FROM abs_event_outbox
                 WHERE id IN (SELECT id FROM abs_event_outbox
                               WHERE state = 'sent'
                                 AND sent_at < (now() AT TIME ZONE 'UTC') - make_interval(days => %s)
                               LIMIT %s)
                """,
                    days,
                    batch,
                )
            )
            deleted += self.env.cr.rowcount
            if self.env.cr.rowcount < batch:
                break
        self.env["ir.cron"]._notify_progress(done=deleted, remaining=0)
        if deleted:
            self.invalidate_model()
            _logger.info("Event vacuum: deleted %s sent events older than %s days", deleted, days)
        return deleted
