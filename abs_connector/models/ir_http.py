import contextlib
import logging
import os
from dataclasses import dataclass, field

from odoo import models, tools
from odoo.http import request
from odoo.tools import config

from ..compiled_sql import CompiledQuery
from ..governance import errors, tokens
from .res_users import PROXY_USER_XMLID

_logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
ABS_AUTH_METHODS = ("abs_jwt", "abs_api_key", "abs_jwt_or_api_key", "abs_anonymous")

# Defaults of the odoo.conf keys (documented in odoo.conf and the docs).
DEFAULT_ISSUER = "abs-connector"
DEFAULT_AUDIENCE = "abs-connector-api"
DEFAULT_ACCESS_TTL = 900
DEFAULT_REFRESH_TTL = 1209600

_ISSUERS_CACHE = {}
_LOGGED_CONFIG_ERRORS = set()


@dataclass
class ApiIdentity:
    """Who is calling: a person (JWT, resolved to their abs.employee) or a system (API key)."""

    kind: str
    employee: object = None
    partner: object = None
    api_key: object = None
    claims: dict = field(default_factory=dict)

    @property
    def actor_partner(self):
        """The real human actor for the governance methods; None for a system call."""
        return self.partner if self.kind == "jwt" else None


def is_api_request():
    return bool(request) and request.httprequest.path.startswith(API_PREFIX)


class IrHttp(models.AbstractModel):
    """Authentication of the REST API: ``auth="abs_jwt"``, ``auth="abs_api_key"``...

    Every API request executes as the dedicated proxy user (never the superuser); the real
    actor is kept on ``request.abs_identity`` and in the context (``abs_actor_partner_id``).
    Errors on ``/api/`` paths, including Odoo's own 404, are rendered in the API's one JSON shape.
    """

    _inherit = "ir.http"

    # ------------------------------------------------------------------ auth methods

    @classmethod
    def _authenticate_explicit(cls, auth):
        if auth not in ABS_AUTH_METHODS:
            return super()._authenticate_explicit(auth)
        # The API ignores Odoo sessions and cookies: credentials come from headers only, and
        # our refusals must keep their status (the base method turns them into AccessDenied).
        return getattr(cls, f"_auth_method_{auth}")()

    @classmethod
    def _auth_method_abs_anonymous(cls):
        cls._abs_run_as_proxy(ApiIdentity(kind="anonymous"))

    @classmethod
    def _auth_method_abs_jwt(cls):
        headers = request.httprequest.headers
        token = tokens.bearer_token(headers.get("Authorization"))
        configs = cls._abs_verification_configs()
        claims, config_used = tokens.verify_token(token, configs)
        cls._abs_run_as_proxy(ApiIdentity(kind="jwt", claims=claims))
        employee = cls._abs_employee_from_claims(claims, config_used)
        request.abs_identity.employee = employee
        request.abs_identity.partner = employee.partner_id
        request.update_context(abs_actor_partner_id=employee.partner_id.id)

    @classmethod
    def _auth_method_abs_api_key(cls):
        clear = request.httprequest.headers.get("X-API-KEY")
        cls._abs_run_as_proxy(ApiIdentity(kind="api_key"))
        request.abs_identity.api_key = request.env["abs.api_key"]._abs_authenticate(clear)

    @classmethod
    def _auth_method_abs_jwt_or_api_key(cls):
        if request.httprequest.headers.get("X-API-KEY"):
            return cls._auth_method_abs_api_key()
        return cls._auth_method_abs_jwt()

    @classmethod
    def _abs_run_as_proxy(cls, identity):
        proxy_uid = request.env["ir.model.data"]._xmlid_to_res_id(PROXY_USER_XMLID, raise_if_not_found=False)
        if not proxy_uid:
            raise errors.ServiceUnavailable("The API proxy user is missing; upgrade abs_connector.")
        request.update_env(user=proxy_uid)
        request.abs_identity = identity

    @classmethod
    def _abs_employee_from_claims(cls, claims, config_used):
        """The active abs.employee a verified token designates.

        :raise Unauthorized: nobody, or an archived employee.
        """
        Employee = request.env["abs.employee"]
        employee = Employee.browse()
        if config_used.native:
            subject = claims.get("sub")
            if isinstance(subject, str) and subject.isdigit() and len(subject) < 10:
                employee = Employee._abs_token_holder(int(subject))
        else:
            subject, email = tokens.federated_identity(claims, config_used)
            employee = request.env["abs.federated_identity"]._abs_employee_for(
                config_used.issuer, subject, email
            )
        if not employee or not employee.active:
            raise errors.Unauthorized(
                "This token does not designate an active account.", details={"reason": "subject"}
            )
        return employee

    # ------------------------------------------------------------------ token configuration

    @classmethod
    def _abs_native_config(cls):
        """The configuration of the addon's own tokens.

        :raise ServiceUnavailable: abs_jwt_secret missing or shorter than 32 bytes.
        """
        try:
            return tokens.native_issuer_config(
                config.get("abs_jwt_secret"),
                config.get("abs_jwt_issuer") or DEFAULT_ISSUER,
                config.get("abs_jwt_audience") or DEFAULT_AUDIENCE,
                config.get("abs_jwt_leeway") or tokens.DEFAULT_LEEWAY_SECONDS,
            )
        except tokens.TokenConfigError as exc:
            # Logged once per process and reason: every request would repeat it otherwise.
            if str(exc) not in _LOGGED_CONFIG_ERRORS:
                _LOGGED_CONFIG_ERRORS.add(str(exc))
                _logger.error("abs_connector: native tokens disabled: %s", exc)
            raise errors.ServiceUnavailable("Sign-in is not configured on this server.")

    @classmethod
    def _abs_external_configs(cls):
        """External issuers from ``abs_jwt_issuers_file`` (re-read when the file changes).

        A broken file disables external tokens (logged), never the native ones.
        """
        path = config.get("abs_jwt_issuers_file")
        if not path:
            return []
        try:
            mtime = os.path.getmtime(path)
        except OSError:
            mtime = None
        cached = _ISSUERS_CACHE.get(path)
        if cached and cached[0] == mtime:
            return cached[1]
        try:
            configs = tokens.load_issuers_file(path)
        except tokens.TokenConfigError as exc:
            _logger.error("abs_connector: external token issuers disabled: %s", exc)
            configs = []
        _ISSUERS_CACHE[path] = (mtime, configs)
        return configs

    @classmethod
    def _abs_verification_configs(cls):
        configs = []
        # Without a usable secret, tokens claiming the native issuer match no configuration.
        with contextlib.suppress(errors.ServiceUnavailable):
            configs.append(cls._abs_native_config())
        native_issuers = {c.issuer for c in configs}
        configs += [c for c in cls._abs_external_configs() if c.issuer not in native_issuers]
        return configs

    @classmethod
    def _abs_ttl(cls, key, default):
        try:
            value = int(config.get(key) or default)
        except (TypeError, ValueError):
            value = default
        return value if value > 0 else default

    # ------------------------------------------------------------------ compiled SQL

    @tools.ormcache(
        "name",
        "shape",
        "self.env.uid",
        "self.env.su",
        "self.env.lang",
        "self.env.context.get('active_test', True)",
        "tuple(self.env['ir.rule']._compute_domain_context_values())",
        "tuple(self.env.user._get_group_ids())",
    )
    def _abs_compiled_query(self, name, shape, build):
        """The statement ``build`` makes for ``shape``, compiled once per process and key, or None
        when it can match no row (docs/adr/0014-compiled-sql-reused-rows-read-live.md).

        Kept in Odoo's ``default`` cache, the one of the record rules' domains: whatever clears
        those (a rule, a group, a user's groups or companies, a new company, a module update)
        clears this too, in every worker. The key holds everything else the text depends on: the
        user and their groups, the companies of the context, the language, ``active_test``.

        :param name: names the statement; ``shape`` (hashable) is what its text depends on besides
            the key, and ``build(env, shape)`` returns its :class:`~odoo.tools.SQL` with
            :func:`~..compiled_sql.slot` values in place of the ids bound at each run, or None.
        """
        # built in an environment whose context holds only what the key holds
        context = {"lang": self.env.lang, "active_test": self.env.context.get("active_test", True)}
        for key, value in zip(
            self.env["ir.rule"]._compute_domain_keys(),
            self.env["ir.rule"]._compute_domain_context_values(),
            strict=True,
        ):
            if value is not None:
                context[key] = list(value) if isinstance(value, tuple) else value
        query = build(self.env(context=context), shape)
        return None if query is None else CompiledQuery(query)

    # ------------------------------------------------------------------ dispatch

    @classmethod
    def _dispatch(cls, endpoint):
        if is_api_request():
            # Odoo hands the query string and form fields to the endpoint as keyword arguments,
            # after the controller itself: one named "self" collides with it (a TypeError, a
            # 500). The API's endpoints read their parameters from the request, never from these.
            request.params.pop("self", None)
        return super()._dispatch(endpoint)

    # ------------------------------------------------------------------ errors

    @classmethod
    def _handle_error(cls, exception):
        if not is_api_request():
            return super()._handle_error(exception)
        return cls._abs_error_response(exception)

    @classmethod
    def _abs_error_response(cls, exception):
        error = errors.as_abs_error(exception)
        if error.status < 500 and error is not exception:
            # An expected refusal (Odoo UserError, werkzeug 404...): not a server problem.
            with contextlib.suppress(AttributeError):
                exception.loglevel = logging.INFO
        headers = dict(error.headers)
        headers["Cache-Control"] = "no-store"
        return request.make_json_response(error.to_body(), headers=list(headers.items()), status=error.status)
