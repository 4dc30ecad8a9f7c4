from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import config

from ..governance.errors import TooManyRequests

DEFAULT_MAX_FAILURES = 5
DEFAULT_WINDOW_SECONDS = 900


class AbsLoginAttempt(models.Model):
    """Sign-in attempts on ``POST /api/auth/token``, to slow down password guessing.

    After ``abs_login_max_failures`` failures for one login within ``abs_login_window``
    seconds (counted since its last success), that login answers 429 until the oldest
    failure leaves the window -- even with the right password.
    """

    _name = "abs.login_attempt"
    _description = "API sign-in attempt"
    _order = "id desc"
    _log_access = False

    login = fields.Char(required=True, index=True, readonly=True)
    remote_addr = fields.Char(readonly=True)
    success = fields.Boolean(readonly=True)
    attempted_at = fields.Datetime(required=True, readonly=True, index=True, default=fields.Datetime.now)

    def _abs_admin(self):
        # Written before anyone is authenticated; only this model's helpers touch it.
        return self.sudo()

    @api.model
    def _abs_limits(self):
        max_failures = int(config.get("abs_login_max_failures") or DEFAULT_MAX_FAILURES)
        window = int(config.get("abs_login_window") or DEFAULT_WINDOW_SECONDS)
        return max(1, max_failures), max(1, window)

    @api.model
    def _abs_key(self, login):
        return (login or "").strip().lower()[:254]

    @api.model
    def _abs_check_throttle(self, login):
        """Refuse when ``login`` failed too often recently.

        :raise TooManyRequests: with the number of seconds to wait.
        """
        max_failures, window = self._abs_limits()
        now = fields.Datetime.now()
        key = self._abs_key(login)
        model = self._abs_admin()
        since = now - timedelta(seconds=window)
        last_success = model.search(
            [("login", "=", key), ("success", "=", True), ("attempted_at", ">=", since)],
            limit=1,
            order="attempted_at desc",
        )
        if last_success:
            since = max(since, last_success.attempted_at)
        failures = model.search(
            [("login", "=", key), ("success", "=", False), ("attempted_at", ">", since)],
            order="attempted_at desc",
            limit=max_failures,
        )
        if len(failures) >= max_failures:
            oldest = failures[-1].attempted_at
            retry_after = (oldest + timedelta(seconds=window) - now).total_seconds()
            raise TooManyRequests(
                _("Too many failed sign-in attempts; try again later."),
                details={"retry_after": max(1, int(retry_after))},
                retry_after=retry_after,
            )

    @api.model
    def _abs_record(self, login, remote_addr, success):
        self._abs_admin().create(
            {
                "login": self._abs_key(login),
                "remote_addr": (remote_addr or "")[:64],
                "success": bool(success),
            }
        )

    @api.autovacuum
    def _gc_old_attempts(self):
        _max_failures, window = self._abs_limits()
        limit = fields.Datetime.now() - timedelta(seconds=max(window, 86400))
        self._abs_admin().search([("attempted_at", "<", limit)]).unlink()
