"""Sign-in endpoints: password -> tokens, refresh rotation, activation of enrolled agents."""

from odoo import http
from odoo.http import request

from ..governance import errors, tokens
from ..models.ir_http import DEFAULT_ACCESS_TTL, DEFAULT_REFRESH_TTL
from .common import api_route, client_address, dispatch, json_response, read_json_body


def _ir_http():
    return request.env["ir.http"]


def _token_pair(employee, refresh_token=None):
    """The token response of seed/issue 4: a fresh access token and a refresh token."""
    ir_http = _ir_http()
    native = ir_http._abs_native_config()
    ttl = ir_http._abs_ttl("abs_jwt_access_ttl", DEFAULT_ACCESS_TTL)
    access_token, _claims = tokens.issue_access_token(
        native, employee.id, ttl, extra_claims={"email": employee.login or None}
    )
    if refresh_token is None:
        refresh_token = request.env["abs.refresh_token"]._abs_issue(
            employee, ir_http._abs_ttl("abs_jwt_refresh_ttl", DEFAULT_REFRESH_TTL)
        )
    return {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ttl,
        "refresh_token": refresh_token,
    }


def _refusal(exc):
    """Answer an error WITHOUT rolling back: what was recorded (a failed attempt, a revoked
    token family) must stay recorded. Only used where nothing else was written."""
    return _ir_http()._abs_error_response(exc)


class AbsAuthController(http.Controller):
    @api_route("/api/auth/token", auth="abs_anonymous")
    def abs_token(self, **_params):
        return dispatch({"POST": self._issue_token})

    @api_route("/api/auth/refresh", auth="abs_anonymous")
    def abs_refresh(self, **_params):
        return dispatch({"POST": self._refresh_token})

    @api_route("/api/auth/activate", auth="abs_anonymous")
    def abs_activate(self, **_params):
        return dispatch({"POST": self._activate})

    def _issue_token(self):
        body = read_json_body("TokenRequest")
        _ir_http()._abs_native_config()  # 503 before touching credentials when not configured
        attempts = request.env["abs.login_attempt"]
        remote_addr = client_address()
        attempts._abs_check_throttle(body["login"], remote_addr)
        employee = request.env["abs.employee"]._authenticate(body["login"], body["password"])
        if not employee:
            attempts._abs_record(body["login"], remote_addr, success=False)
            return _refusal(
                errors.Unauthorized("The login or password is incorrect.", details={"reason": "credentials"})
            )
        attempts._abs_record(body["login"], remote_addr, success=True)
        return json_response(_token_pair(employee))

    def _refresh_token(self):
        body = read_json_body("RefreshRequest")
        ir_http = _ir_http()
        ir_http._abs_native_config()
        try:
            employee, refresh_token = request.env["abs.refresh_token"]._abs_rotate(
                body["refresh_token"], ir_http._abs_ttl("abs_jwt_refresh_ttl", DEFAULT_REFRESH_TTL)
            )
        except errors.Unauthorized as exc:
            return _refusal(exc)
        return json_response(_token_pair(employee, refresh_token=refresh_token))

    def _activate(self):
        body = read_json_body("ActivateRequest")
        _ir_http()._abs_native_config()
        Employee = request.env["abs.employee"]
        employee = Employee._get_by_activation_token(body["token"])
        if not employee or not employee.active:
            raise errors.Unauthorized(
                "This activation link is not valid or has expired.", details={"reason": "activation_token"}
            )
        Employee._abs_activate(body["token"], body["password"])
        request.env["abs.refresh_token"]._abs_revoke_employee(employee)
        return json_response(_token_pair(employee))
