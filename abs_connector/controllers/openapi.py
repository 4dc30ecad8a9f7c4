"""The published OpenAPI 3.1 document -- the same one request bodies are validated against."""

from odoo import http
from odoo.http import request

from ..governance.openapi import build_openapi
from .common import api_route, dispatch, json_response


class AbsOpenApiController(http.Controller):
    @api_route("/api/openapi.json", auth="abs_anonymous")
    def abs_openapi(self, **_params):
        return dispatch({"GET": self._document})

    def _document(self):
        server_url = request.httprequest.host_url.rstrip("/")
        return json_response(build_openapi(server_url=server_url), headers={"Cache-Control": "no-cache"})
