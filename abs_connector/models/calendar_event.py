from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL

from ..elevation import elevate


class CalendarEvent(models.Model):
    """A meeting with a customer a seat member may not see, which they neither organize nor
    attend, shows them what Odoo shows of another person's private meeting: its time, "Busy", no
    title, attendees, place or notes, which name the customer (docs/security.md, "Seat users")."""

    _inherit = "calendar.event"

    abs_seat_masked = fields.Boolean(
        string="Masked Under Governance",
        compute="_compute_abs_seat_masked",
        search="_search_abs_seat_masked",
        help="Whether the signed-in user's Service Account memberships hide an attendee of this "
        "meeting that they neither organize nor attend.",
    )

    def _check_private_event_conditions(self):
        # where Odoo masks a private meeting (its fields, its name, the right to change it)
        return super()._check_private_event_conditions() or self.abs_seat_masked

    def _get_default_privacy_domain(self):
        # what Odoo's grouped lists may group by a meeting's title or notes
        return expression.AND([super()._get_default_privacy_domain(), [("abs_seat_masked", "=", False)]])

    @api.depends("partner_ids", "user_id")
    @api.depends_context("uid")
    def _compute_abs_seat_masked(self):
        attendees = self._abs_attendee_ids()
        partners = self.env["res.partner"].browse(set().union(*attendees.values()))
        hidden = set(partners._abs_hidden_from_seat_member().ids)
        own = self.env.user.partner_id.id
        for event in self:
            ids = attendees.get(event._origin.id, set())
            mine = event.user_id.id == self.env.uid or own in ids
            event.abs_seat_masked = not mine and bool(ids & hidden)

    def _abs_attendee_ids(self):
        """Each saved meeting's attendees, every one of them: Odoo's read of ``partner_ids``
        leaves out the partners the user may not read."""
        ids = [event_id for event_id in self._origin.ids if event_id]
        if not ids or self.env.user._abs_seat_contexts() is None:
            return {}
        rows = self.env.execute_query(
            SQL(
                "SELECT calendar_event_id, res_partner_id FROM calendar_event_res_partner_rel "
                "WHERE calendar_event_id = ANY(%s)",
                ids,
            )
        )
        attendees = {}
        for event_id, partner_id in rows:
            attendees.setdefault(event_id, set()).add(partner_id)
        return attendees

    def _search_abs_seat_masked(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Search on 'Masked Under Governance' with = True or = False only."))
        domain = self._abs_seat_masked_domain()
        return domain if (operator == "=") == value else ["!", *expression.normalize_domain(domain)]

    def _abs_seat_masked_domain(self):
        """The meetings masked for the signed-in user: one of their attendees is a partner the
        user's memberships hide, and the user neither organizes nor attends them."""
        contexts = self.env.user._abs_seat_contexts()
        if contexts is None:
            return expression.FALSE_DOMAIN
        partners = elevate(self.env["res.partner"], "which partners the seat rule hides, not the user's view")
        seen = expression.normalize_domain(partners._abs_seat_domain(contexts))
        hidden = partners._where_calc(["!", *seen], active_test=False)
        with_hidden = SQL(
            "(SELECT calendar_event_id FROM calendar_event_res_partner_rel WHERE res_partner_id IN (%s))",
            hidden.select(),
        )
        own = self.env.user.partner_id.id
        return [("user_id", "!=", self.env.uid), ("partner_ids", "not in", [own]), ("id", "in", with_hidden)]
