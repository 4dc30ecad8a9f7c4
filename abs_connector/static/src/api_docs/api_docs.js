/*
 * /api/docs: Redoc (static/lib/redoc, the pinned npm bundle) renders the
 * OpenAPI document this server publishes. Loaded as a plain script by the
 * page the controller serves, not through Odoo's asset bundles.
 */
(function () {
    "use strict";
    const container = document.getElementById("abs-api-docs");
    window.Redoc.init(
        container.dataset.specUrl,
        { hideDownloadButton: false, expandResponses: "200,201", jsonSampleExpandLevel: 3 },
        container
    );
})();
