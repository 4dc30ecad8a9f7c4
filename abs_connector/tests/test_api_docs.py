"""/api/docs: the interactive reference renders every operation of the published document."""

import json

from odoo.tests import HttpCase, tagged

from ..governance import asyncapi, openapi

# Redoc gives each operation a section whose id ends in operation/<operationId>.
_WAIT_FOR_EVERY_OPERATION = """
const deadline = Date.now() + 45000;
const missing = () => ids.filter((id) => !document.querySelector(`[data-section-id$="operation/${id}"]`));
(function check() {
    const left = missing();
    if (!left.length) {
        console.log("test successful");
    } else if (Date.now() > deadline) {
        console.error("operations missing from /api/docs: " + left.join(", "));
    } else {
        setTimeout(check, 250);
    }
})();
"""


@tagged("post_install", "-at_install", "abs_api")
class TestApiDocsPage(HttpCase):
    def test_api_docs_is_html_that_loads_only_what_this_server_serves(self):
        response = self.url_open("/api/docs")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.headers["Content-Type"].startswith("text/html"))
        self.assertIn("default-src 'self'", response.headers["Content-Security-Policy"])
        self.assertNotIn(
            "//", response.text.replace("<!DOCTYPE", "").split("<body", 1)[1].replace("/api/", "")
        )
        script = self.url_open("/abs_connector/static/lib/redoc/redoc.standalone.js")
        self.assertEqual(script.status_code, 200)
        self.assertEqual(self.url_open("/abs_connector/static/lib/redoc/LICENSE").status_code, 200)

    def test_asyncapi_document_is_served_as_built(self):
        response = self.url_open("/api/asyncapi.json")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), asyncapi.build_asyncapi())

    def test_browser_finds_every_operation_on_api_docs(self):
        operation_ids = [op["operation_id"] for op in openapi.operations()]
        code = f"const ids = {json.dumps(operation_ids)};\n{_WAIT_FOR_EVERY_OPERATION}"
        self.browser_js("/api/docs", code, ready="!!window.Redoc", timeout=90)
