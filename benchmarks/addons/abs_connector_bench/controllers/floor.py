"""``/bench/floor``: what any Odoo request costs before an addon does anything.

It opens the database, checks the registry, runs no query of its own and answers ``{}``, as
the API's JSON: the floor under which no API call can go on this server. The delta benchmark
prints it next to ``GET /api/contacts/changes`` so that the per-request overhead is visible.
"""

from odoo import http
from odoo.http import request


class BenchFloor(http.Controller):
    @http.route("/bench/floor", type="http", auth="none", methods=["GET"], csrf=False, save_session=False)
    def bench_floor(self):
        return request.make_json_response({})
