from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import config

from ..elevation import elevate
from ..governance.errors import TooManyRequests
from .abs_employee import normalize_login

DEFAULT_MAX_FAILURES = 5
DEFAULT_MAX_FAILURES_PER_ADDRESS = 20
DEFAULT_MAX_FAILURES_PER_LOGIN = 100
DEFAULT_WINDOW_SECONDS = 900
LOGIN_KEY_LENGTH = 254
ADDRESS_LENGTH = 64


class AbsLoginAttempt(models.Model):
    """Sign-in attempts on ``POST /api/auth/token``, to slow down password guessing.

    Three counters, each over the last ``abs_login_window`` seconds (see docs/security.md):

    * one login from one client address (``abs_login_max_failures``, counted since the
      login's last success): guessing one person's password;
    * one client address, whatever the login (``abs_login_max_failures_per_address``, never
      reset by a success): spraying many logins, or one login spelt many ways;
    * one login, whatever the address (``abs_login_max_failures_per_login``, since its last
      success): guessing from many addresses. It is set above the per-address limit so that
      a stranger at one address cannot lock a person out.

    The login is keyed exactly as sign-in reads it (the normalised e-mail), so another
    spelling of the same address (``<x@y>``, ``(x)x@y``, upper case) counts on the same key.
    """

    _name = "abs.login_attempt"
    _description = "API sign-in attempt"
    _order = "id desc"
    _log_access = False

    login = fields.Char(required=True, index=True, readonly=True)
    remote_addr = fields.Char(readonly=True, index=True)
    success = fields.Boolean(readonly=True)
    attempted_at = fields.Datetime(required=True, readonly=True, index=True, default=fields.Datetime.now)

    def _abs_admin(self):
        return elevate(self, "written before anyone is authenticated; only this model's helpers touch it")

    @api.model
    def _abs_limits(self):
        """``(per login and address, per address, per login, window seconds)``."""

        def positive(key, default):
            return max(1, int(config.get(key) or default))

        return (
            positive("abs_login_max_failures", DEFAULT_MAX_FAILURES),
            positive("abs_login_max_failures_per_address", DEFAULT_MAX_FAILURES_PER_ADDRESS),
            positive("abs_login_max_failures_per_login", DEFAULT_MAX_FAILURES_PER_LOGIN),
            positive("abs_login_window", DEFAULT_WINDOW_SECONDS),
        )

    @api.model
    def _abs_key(self, login):
        """The login as sign-in reads it; text that is no e-mail address (and so can never
        sign in) is kept as typed, lower case, so it still counts against its address."""
        return (normalize_login(login) or (login or "").strip().lower())[:LOGIN_KEY_LENGTH]

    @api.model
    def _abs_check_throttle(self, login, remote_addr):
        """Refuse when ``login`` or ``remote_addr`` failed too often recently.

        :raise TooManyRequests: with the number of seconds to wait.
        """
        per_pair, per_address, per_login, window = self._abs_limits()
        now = fields.Datetime.now()
        key = self._abs_key(login)
        address = (remote_addr or "")[:ADDRESS_LENGTH]
        window_start = now - timedelta(seconds=window)
        login_since = self._abs_last_success(key, window_start) or window_start
        counters = (
            ([("login", "=", key), ("remote_addr", "=", address)], login_since, per_pair),
            ([("remote_addr", "=", address)], window_start, per_address),
            ([("login", "=", key)], login_since, per_login),
        )
        for domain, since, limit in counters:
            oldest = self._abs_oldest_of_recent_failures(domain, since, limit)
            if oldest:
                retry_after = max(1, int((oldest + timedelta(seconds=window) - now).total_seconds()))
                raise TooManyRequests(
                    _("Too many failed sign-in attempts; try again later."),
                    details={"retry_after": retry_after},
                    retry_after=retry_after,
                )

    @api.model
    def _abs_last_success(self, key, since):
        last = self._abs_admin().search(
            [("login", "=", key), ("success", "=", True), ("attempted_at", ">=", since)],
            limit=1,
            order="attempted_at desc",
        )
        return last.attempted_at

    @api.model
    def _abs_oldest_of_recent_failures(self, domain, since, limit):
        """When at least ``limit`` failures match since ``since``: the oldest of the latest
        ``limit`` (the one whose expiry lifts the lock), else None."""
        failures = self._abs_admin().search(
            [*domain, ("success", "=", False), ("attempted_at", ">", since)],
            order="attempted_at desc, id desc",
            limit=limit,
        )
        return failures[-1].attempted_at if len(failures) >= limit else None

    @api.model
    def _abs_record(self, login, remote_addr, success):
        self._abs_admin().create(
            {
                "login": self._abs_key(login),
                "remote_addr": (remote_addr or "")[:ADDRESS_LENGTH],
                "success": bool(success),
            }
        )

    @api.autovacuum
    def _gc_old_attempts(self):
        window = self._abs_limits()[-1]
        limit = fields.Datetime.now() - timedelta(seconds=max(window, 86400))
        self._abs_admin().search([("attempted_at", "<", limit)]).unlink()
