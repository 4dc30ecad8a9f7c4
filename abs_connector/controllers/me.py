"""The caller's own memberships: which SAs, with which role, policy and state."""

from odoo import http
from odoo.http import request

from .common import api_route, dispatch, dt, identity, json_response


def serialize_membership(membership):
    sa = membership.serviced_account_id
    return {
        "id": sa.id,
        "name": sa.name or "",
        "state": sa.state,
        "membership_id": membership.id,
        "role_code": membership.role_code,
        "membership_state": membership.membership_state,
        "effective_policy": membership.effective_policy,
        "hierarchy_scope": membership.hierarchy_scope,
        "effective_from": dt(membership.effective_from),
        "effective_to": dt(membership.effective_to),
        "live": bool(membership.is_live) and sa.state == "active",
    }


class AbsMeController(http.Controller):
    @api_route("/api/me/service-accounts", auth="abs_jwt")
    def abs_my_service_accounts(self, **_params):
        return dispatch({"GET": self._list})

    def _list(self):
        memberships = request.env["ov.membership"].search(
            [("person_partner_id", "=", identity().partner.id)], order="serviced_account_id, id"
        )
        items = [serialize_membership(membership) for membership in memberships]
        return json_response({"items": items, "total": len(items)})
