"""Offline sync of the customers a caller sees: ``GET /api/contacts/changes``.

Without a cursor it pages through a snapshot of exactly the set ``GET /api/contacts`` returns;
with one, it answers what entered, changed in or left that set since. Membership in the set is
decided by the one visibility helper for both (``customer_domain`` now, ``change_domain`` for who
saw what when); the cursor rules live in ``governance/sync.py`` and docs/agent/offline-sync.md.
"""

from odoo import http
from odoo.http import request

from ..governance import api_schemas, errors, sync, visibility
from .common import api_route, dispatch, json_response, parse_int, sa_context
from .contacts import CONTACT_FIELDS, assignment_scope, serialize_contacts


def _cursor_secret():
    return request.env["ir.http"]._abs_native_config().key


def _read_cursor(context, raw, secret):
    """The caller's cursor, or None to start from a snapshot.

    :raise InvalidCursor: not a cursor this server issued to this caller for this SA.
    :raise CursorReset: a cursor that can no longer be continued (reason in details).
    """
    if raw is None:
        return None
    try:
        cursor = sync.decode(raw, secret)
    except sync.InvalidCursor:
        raise errors.InvalidCursor(details={"field": "cursor"})
    if cursor.person_id != context.access.person_id or cursor.sa_id != context.sa.id:
        raise errors.InvalidCursor(details={"field": "cursor"})
    changes = request.env["abs.contact.change"]
    since = cursor.horizon if cursor.mode == sync.MODE_DELTA else cursor.next_horizon
    moved = context.access.covers_descendants and changes._abs_account_moved_since(since)
    reason = sync.reset_reason(
        cursor, sync.access_fingerprint(context.access), changes._abs_compacted_horizon(), moved
    )
    if reason:
        raise errors.CursorReset(details={"reason": reason})
    return cursor


def _new_cursor(context, mode, horizon, after_id=0, next_horizon=None):
    return sync.Cursor(
        person_id=context.access.person_id,
        sa_id=context.sa.id,
        fingerprint=sync.access_fingerprint(context.access),
        mode=mode,
        horizon=horizon,
        after_id=after_id,
        next_horizon=next_horizon,
    )


def _snapshot_page(context, cursor, limit):
    """One page of the visible set by id; the last page hands a delta cursor.

    The pass's horizon is taken before its first page is read: whatever changes while the client
    pages is at or after it, so the first delta brings it.
    """
    if cursor is None:
        horizon, after_id = request.env["abs.contact.change"]._abs_horizon(), 0
    else:
        horizon, after_id = cursor.next_horizon, cursor.after_id
    partners = request.env["res.partner"].search_fetch(
        [("id", ">", after_id), *visibility.customer_domain(context.access)],
        CONTACT_FIELDS,
        order="id",
        limit=limit + 1,
    )
    page = partners[:limit]
    if len(partners) > limit:
        following = _new_cursor(context, sync.MODE_SNAPSHOT, 0, page[-1].id, horizon)
    else:
        following = _new_cursor(context, sync.MODE_DELTA, horizon)
    return serialize_contacts(context, page), [], following, len(partners) > limit


def _delta_page(context, cursor, limit):
    """The customers changed since the cursor's horizon that concern the caller, by id.

    Each is answered in its state now: an upsert when the caller sees it, else a removal.
    """
    changes = request.env["abs.contact.change"]
    next_horizon = cursor.next_horizon
    if next_horizon is None:
        next_horizon = max(changes._abs_horizon(), cursor.horizon)
    ids = changes._abs_changed_partner_ids(
        visibility.change_domain(context.access), cursor.horizon, cursor.after_id, limit + 1
    )
    page_ids = ids[:limit]
    # the rows and the fields the answer shows in one query
    visible = request.env["res.partner"].search_fetch(
        [("id", "in", page_ids), *visibility.customer_domain(context.access)], CONTACT_FIELDS, order="id"
    )
    visible_ids = set(visible.ids)
    removed = [partner_id for partner_id in page_ids if partner_id not in visible_ids]
    if len(ids) > limit:
        following = _new_cursor(context, sync.MODE_DELTA, cursor.horizon, page_ids[-1], next_horizon)
    else:
        following = _new_cursor(context, sync.MODE_DELTA, next_horizon)
    return serialize_contacts(context, visible), _removals(context, removed), following, len(ids) > limit


def _removals(context, partner_ids):
    """``{id, reason}`` for customers that left the caller's set (all of them once in it)."""
    if not partner_ids:
        return []
    partners = request.env["res.partner"].with_context(active_test=False).browse(partner_ids).exists()
    archived = set(partners.filtered(lambda partner: not partner.active).ids)
    in_scope = set(
        request.env["ov.sa_customer_assignment"]
        .search([("partner_id", "in", partners.ids), *assignment_scope(context)])
        .partner_id.ids
    )

    def reason(partner_id):
        if partner_id not in partners.ids:
            return sync.REMOVAL_DELETED
        if partner_id in archived:
            return sync.REMOVAL_ARCHIVED
        if partner_id in in_scope:
            return sync.REMOVAL_REASSIGNED
        return sync.REMOVAL_LEFT_SA

    return [{"id": partner_id, "reason": reason(partner_id)} for partner_id in partner_ids]


class AbsContactChangesController(http.Controller):
    @api_route("/api/contacts/changes", auth="abs_jwt")
    def abs_contact_changes(self, **params):
        return dispatch({"GET": self._changes}, params)

    def _changes(self, params):
        context = sa_context()
        context.require("read_customers")
        limit = parse_int(params.get("limit"), "limit", 1, api_schemas.LIST_MAX_LIMIT, required=False)
        limit = limit or api_schemas.LIST_DEFAULT_LIMIT
        secret = _cursor_secret()
        cursor = _read_cursor(context, params.get("cursor"), secret)
        if cursor is None or cursor.mode == sync.MODE_SNAPSHOT:
            upserts, removals, following, has_more = _snapshot_page(context, cursor, limit)
        else:
            upserts, removals, following, has_more = _delta_page(context, cursor, limit)
        return json_response(
            {
                "upserts": upserts,
                "removals": removals,
                "next_cursor": sync.encode(following, secret),
                "has_more": has_more,
            }
        )
