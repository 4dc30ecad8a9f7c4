"""System endpoint: backfill V3 assignments from V2 stamps.

See docs/customer-lifecycle.md ("Backfill") and docs/operations/upgrade.md.
"""

from odoo import http
from odoo.http import request

from .. import backfill
from ..governance import errors
from .common import api_route, dispatch, json_response, read_json_body


class AbsMigrationController(http.Controller):
    @api_route("/api/migration/backfill-customer-assignments", auth="abs_api_key")
    def abs_backfill(self, **_params):
        return dispatch({"POST": self._backfill})

    def _backfill(self):
        body = read_json_body("BackfillRequest")
        company_id = body.get("company_id")
        if company_id and not request.env["res.company"].browse(company_id).exists():
            raise errors.NotFound("Company not found.", details={"company_id": company_id})
        run = backfill.plan if body.get("dry_run", True) else backfill.run
        report = run(request.env, company_id=company_id)
        report.setdefault("conflicts", 0)
        return json_response(report)
