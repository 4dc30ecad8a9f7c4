"""The published contracts: the OpenAPI 3.1 document (the same one request bodies are validated
against), /api/docs, the interactive reference that renders it (Redoc, served by the addon), and
the AsyncAPI 3.0 document of the MQTT events."""

from odoo import http
from odoo.http import request

from ..governance.asyncapi import build_asyncapi
from ..governance.openapi import build_openapi
from .common import api_route, dispatch, json_response

_DOCS_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>abs_connector API reference</title>
</head>
<body style="margin: 0">
<div id="abs-api-docs" data-spec-url="/api/openapi.json"></div>
<script src="/abs_connector/static/lib/redoc/redoc.standalone.js"></script>
<script src="/abs_connector/static/src/api_docs/api_docs.js"></script>
</body>
</html>
"""
# Everything comes from this server: nothing is fetched from a CDN. Redoc injects its styles
# and runs its search index in a blob: worker.
_DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'"
)


class AbsOpenApiController(http.Controller):
    @api_route("/api/openapi.json", auth="abs_anonymous")
    def abs_openapi(self, **_params):
        return dispatch({"GET": self._document})

    @api_route("/api/asyncapi.json", auth="abs_anonymous")
    def abs_asyncapi(self, **_params):
        return dispatch(
            {"GET": lambda: json_response(build_asyncapi(), headers={"Cache-Control": "no-cache"})}
        )

    @api_route("/api/docs", auth="abs_anonymous")
    def abs_api_docs(self, **_params):
        return dispatch({"GET": self._docs_page})

    def _docs_page(self):
        return request.make_response(
            _DOCS_PAGE,
            headers=[
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Security-Policy", _DOCS_POLICY),
                ("Cache-Control", "no-cache"),
            ],
        )

    def _document(self):
        server_url = request.httprequest.host_url.rstrip("/")
        return json_response(build_openapi(server_url=server_url), headers={"Cache-Control": "no-cache"})
