"""``/api/*`` answers 503 with ``Retry-After`` while PostgreSQL is unreachable, never 404.

When Odoo cannot open a database (server restarting, failover, connections
refused) it serves the request without one: only database-less routes exist
there, so every API path would answer 404 and a mobile app that trusts a 404
would drop the record from its cache. This patch, installed by the manifest's
``post_load`` hook, answers such API requests with the API's one error shape
instead. Listing ``abs_connector`` in ``server_wide_modules`` (the shipped
odoo.conf does) installs it at process start, before any database answered;
see docs/operations/scaling.md.
"""

import functools
import logging

import psycopg2

from odoo import http

from .governance import errors

_logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


def _is_api_path(request):
    return request.httprequest.path.startswith(API_PREFIX)


def _unavailable_response(request):
    error = errors.DatabaseUnavailable()
    headers = {**error.headers, "Cache-Control": "no-store"}
    return request.make_json_response(error.to_body(), headers=list(headers.items()), status=error.status)


def _serve_nodb_for_api(original):
    @functools.wraps(original)
    def _serve_nodb(self):
        if not _is_api_path(self):
            return original(self)
        _logger.info("API request %s without a usable database: 503", self.httprequest.path)
        return _unavailable_response(self)

    _serve_nodb._abs_db_outage = True
    return _serve_nodb


def _serve_db_for_api(original):
    @functools.wraps(original)
    def _serve_db(self):
        try:
            return original(self)
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
            # Raised where Odoo's error handler does not reach: opening the request's
            # cursor on a pool whose connections died with the server.
            if not _is_api_path(self):
                raise
            _logger.info("API request %s lost the database (%s): 503", self.httprequest.path, exc)
            return getattr(exc, "error_response", None) or _unavailable_response(self)

    _serve_db._abs_db_outage = True
    return _serve_db


def install():
    """Patch Odoo's request dispatch once per process (idempotent)."""
    request_class = http.Request
    if getattr(request_class._serve_nodb, "_abs_db_outage", False):
        return
    request_class._serve_nodb = _serve_nodb_for_api(request_class._serve_nodb)
    request_class._serve_db = _serve_db_for_api(request_class._serve_db)
