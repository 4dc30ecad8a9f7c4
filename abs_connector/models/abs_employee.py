import hashlib
import secrets
from datetime import timedelta

from passlib.context import CryptContext

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import email_normalize

from .. import compiled_sql
from ..cached_rows import cached_record
from ..elevation import elevate

# pbkdf2_sha256 is pure Python in passlib and needs no C extension.
_PASSWORD_CONTEXT = CryptContext(schemes=["pbkdf2_sha256"], deprecated="auto")
# Verified against when a login is unknown, so an unknown login costs the same
# time as a wrong password (no account enumeration by timing).
_DUMMY_HASH = _PASSWORD_CONTEXT.hash("abs-connector-dummy-password")

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 1024  # hashing an unbounded string is a cheap denial of service
ACTIVATION_TTL_HOURS = 72
ACTIVATION_TEMPLATE_XMLID = "abs_connector.abs_employee_activation_mail_template"
# What every API request reads of the employee its token names, headed by the id.
_TOKEN_HOLDER_FIELDS = ("id", "active", "partner_id")


def normalize_login(email):
    """The login of a person: their normalized e-mail address, or False."""
    return email_normalize(email or "", strict=True) or False


def _token_digest(token):
    # Activation tokens are random (256 bits): a fast digest is enough to store
    # them without keeping the usable value in the database.
    return hashlib.sha256(token.encode()).hexdigest()


class AbsEmployee(models.Model):
    """A free-seat agent identity: a person partner who uses the API without an
    Odoo user seat (docs/customer-lifecycle.md, Stage 0d). Authority comes from memberships."""

    _name = "abs.employee"
    _description = "Governance Employee (free-seat identity)"
    _order = "name, id"
    _rec_name = "name"

    partner_id = fields.Many2one(
        "res.partner",
        string="Person",
        required=True,
        index=True,
        ondelete="restrict",
        domain=[("is_company", "=", False)],
    )
    name = fields.Char(related="partner_id.name", store=True, readonly=True)
    email = fields.Char(related="partner_id.email", readonly=True)
    login = fields.Char(
        compute="_compute_login",
        store=True,
        index=True,
        readonly=True,
        help="The person's normalized e-mail address; what they sign in with.",
    )
    password_hash = fields.Char(groups="base.group_system", copy=False)
    # read from the admin-only digest: who has activated their account is for governance to know,
    # not for every internal user who may read the identities
    has_password = fields.Boolean(
        compute="_compute_has_password",
        groups="abs_connector.group_abs_governance_user,abs_connector.group_abs_api_proxy",
    )
    # A password given by whoever enrolled the person, not one they chose (activation): it signs
    # them in only until another enrolment reuses the identity (see _abs_forget_enrollers_password).
    password_set_by_enroller = fields.Boolean(groups="base.group_system", copy=False)
    activation_token_digest = fields.Char(groups="base.group_system", copy=False, index=True)
    activation_expires_at = fields.Datetime(groups="base.group_system", copy=False)
    user_id = fields.Many2one(
        "res.users",
        string="Odoo User",
        ondelete="set null",
        help="Optional: the person's Odoo user, kept as salesperson of their customers.",
    )
    active = fields.Boolean(default=True)
    membership_ids = fields.One2many("ov.membership", "employee_id", string="Memberships")
    federated_identity_ids = fields.One2many(
        "abs.federated_identity",
        "employee_id",
        string="Federated sign-in",
        groups="abs_connector.group_abs_governance_manager",
    )

    _sql_constraints = [
        ("partner_unique", "UNIQUE(partner_id)", "This person already has an employee identity."),
    ]

    def init(self):
        # Two people cannot sign in with the same address; people without one
        # simply cannot sign in yet.
        self.env.cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS abs_employee_login_unique "
            "ON abs_employee (login) WHERE login IS NOT NULL"
        )

    @api.depends("partner_id.email")
    def _compute_login(self):
        for employee in self:
            employee.login = normalize_login(employee.partner_id.email)

    def write(self, vals):
        result = super().write(vals)
        if "active" in vals and not vals["active"]:
            # an archived identity's sessions end with it: reactivated later (an enrolment does
            # it), it signs in afresh instead of refreshing a session from before
            self.env["abs.refresh_token"]._abs_revoke_employee(self)
        return result

    @api.constrains("login")
    def _check_login_unique(self):
        for employee in self.filtered("login"):
            # every identity, whichever company the caller may read: a login is unique everywhere
            other = self._abs_employee_admin().search(
                [("login", "=", employee.login), ("id", "!=", employee.id)], limit=1
            )
            if other:
                # names nobody: the caller may not know who signs in with this address
                raise ValidationError(
                    _(
                        "%(email)s is already someone else's sign-in address; two people cannot share one.",
                        email=employee.login,
                    )
                )

    @api.constrains("partner_id")
    def _check_partner_is_person(self):
        for employee in self:
            if employee.partner_id.is_company:
                raise ValidationError(
                    _(
                        "%(name)s is a company; an employee identity belongs to a person.",
                        name=employee.partner_id.display_name,
                    )
                )

    def _compute_has_password(self):
        for employee, digest in zip(self, self._abs_read_secret("password_hash"), strict=True):
            employee.has_password = bool(digest)

    # ---- secrets: only these small helpers read or write them as superuser ----

    def _abs_read_secret(self, field_name):
        return [getattr(rec, field_name) for rec in elevate(self, "secrets are readable by no user")]

    def _abs_write_secrets(self, vals):
        elevate(self, "secrets are writable by no user").write(vals)

    # ---- passwords ----

    def _abs_set_password(self, password, chosen_by_person=True):
        """Hash and store ``password`` (pbkdf2_sha256); clears any activation token.

        :param chosen_by_person: False for a password the enroller gave: a later enrolment that
            reuses the identity forgets it (:meth:`_abs_forget_enrollers_password`).
        :raise ValidationError: the password is too short or too long.
        """
        self.ensure_one()
        self._check_password_policy(password)
        self._abs_write_secrets(
            {
                "password_hash": _PASSWORD_CONTEXT.hash(password),
                "password_set_by_enroller": not chosen_by_person,
                "activation_token_digest": False,
                "activation_expires_at": False,
            }
        )

    def _abs_forget_enrollers_password(self):
        """Forget a password the person never chose, when another enrolment reuses their
        identity: whoever enrolled them first knows it, and the new membership (in an account
        that enroller may have no say in) must not sign in with it. The person then activates
        their identity from the mail the new enrolment sends; their sessions end."""
        self.ensure_one()
        if self._abs_read_secret("password_set_by_enroller")[0]:
            self._abs_write_secrets({"password_hash": False, "password_set_by_enroller": False})
            self.env["abs.refresh_token"]._abs_revoke_employee(self)
            self.invalidate_recordset(["has_password"])

    @api.model
    def _check_password_policy(self, password):
        if not isinstance(password, str) or len(password) < PASSWORD_MIN_LENGTH:
            raise ValidationError(_("A password needs at least %s characters.", PASSWORD_MIN_LENGTH))
        if len(password) > PASSWORD_MAX_LENGTH:
            raise ValidationError(_("A password may not be longer than %s characters.", PASSWORD_MAX_LENGTH))

    def _abs_check_password(self, password):
        """Whether ``password`` is this employee's password (False when none is set)."""
        self.ensure_one()
        stored = self._abs_read_secret("password_hash")[0]
        if not stored or not isinstance(password, str) or len(password) > PASSWORD_MAX_LENGTH:
            _PASSWORD_CONTEXT.verify("x", _DUMMY_HASH)
            return False
        return _PASSWORD_CONTEXT.verify(password, stored)

    @api.model
    def _authenticate(self, login, password):
        """The active employee whose login and password match, else an empty recordset.

        Takes the same time whether or not the login exists.
        """
        employee = self._get_by_login(login)
        if not employee or not employee.active:
            _PASSWORD_CONTEXT.verify("x", _DUMMY_HASH)
            return self.browse()
        return employee if employee._abs_check_password(password) else self.browse()

    @api.model
    def _abs_token_holder(self, employee_id):
        """The employee (active or not) with id ``employee_id``, else empty, with ``active`` and
        ``partner_id`` in the cache: what a token's subject designates, read live on every request.

        One query by primary key, with the access rules the ORM's search applies but without its
        ordering and generic fetching: this runs before every request a person makes.
        """
        self.check_access("read")
        # compiled once per process (docs/adr/0014-compiled-sql-reused-rows-read-live.md), the id
        # bound on every request
        compiled = (
            self.with_context(active_test=False)
            .env["ir.http"]
            ._abs_compiled_query("token holder", None, _token_holder_query)
        )
        rows = compiled.run(self.env, (employee_id,)) if compiled is not None else []
        return cached_record(self, _TOKEN_HOLDER_FIELDS, rows[0]) if rows else self.browse()

    @api.model
    def _get_by_login(self, login):
        """The employee (active or not) signing in with ``login``, else empty."""
        normalized = normalize_login(login)
        if not normalized:
            return self.browse()
        return self.with_context(active_test=False).search([("login", "=", normalized)], limit=1)

    # ---- activation (agents enrolled without a password) ----

    def _abs_issue_activation_token(self, ttl_hours=ACTIVATION_TTL_HOURS):
        """Create a single-use activation token and return it in clear, once.

        Only its digest is stored; a new token replaces the previous one.
        """
        self.ensure_one()
        token = secrets.token_urlsafe(32)
        self._abs_write_secrets(
            {
                "activation_token_digest": _token_digest(token),
                "activation_expires_at": fields.Datetime.now() + timedelta(hours=ttl_hours),
            }
        )
        return token

    @api.model
    def _abs_activate(self, token, password):
        """Set the password of the employee ``token`` was issued to; the token is spent.

        :raise ValidationError: unknown, spent or expired token, or a password
            that breaks the policy. Nothing is changed then.
        """
        employee = self._get_by_activation_token(token)
        if not employee:
            raise ValidationError(_("This activation link is not valid or has expired."))
        employee._abs_set_password(password)
        return employee

    @api.model
    def _get_by_activation_token(self, token):
        if not isinstance(token, str) or not token or len(token) > 256:
            return self.browse()
        employee = self._abs_employee_admin().search(
            [("activation_token_digest", "=", _token_digest(token)), ("active", "=", True)], limit=1
        )
        if not employee or not employee.activation_expires_at:
            return self.browse()
        if employee.activation_expires_at < fields.Datetime.now():
            return self.browse()
        return self.browse(employee.id)

    # ---- identities of members ----

    @api.model
    def _ensure_for_partners(self, partners):
        """Return the employees of ``partners`` (one each, in order), creating
        the missing ones; archived ones are reactivated."""
        model = self._abs_employee_admin()
        existing = model.search([("partner_id", "in", partners.ids)])
        archived = existing.filtered(lambda e: not e.active)
        if archived:
            archived.write({"active": True})
        for employee in existing:
            # whatever the door (API, wizard, form): a password an earlier enroller gave them
            # must not open the membership being made
            employee._abs_forget_enrollers_password()
        missing = partners - existing.partner_id
        created = model.create([{"partner_id": partner.id} for partner in missing])
        by_partner = {emp.partner_id.id: emp.id for emp in existing | created}
        return self.browse([by_partner[partner.id] for partner in partners])

    def _abs_employee_admin(self):
        # Enrolling is authorized by the caller's membership (checked by the
        # governance methods), not by the Odoo user's rights on this model.
        return elevate(self, "the caller's membership authorizes, not the Odoo user").with_context(
            active_test=False
        )

    # ---- activation mail ----

    def _abs_send_activation_mail(self):
        """Issue a fresh activation token and queue it to the employee by mail.

        The token exists in clear only in the queued mail (deleted once sent); the database
        keeps its digest. Returns True when a mail was queued (the employee has an e-mail).
        """
        self.ensure_one()
        if not self.email:
            return False
        token = self._abs_issue_activation_token()
        self._abs_activation_template().with_context(abs_activation_token=token).send_mail(
            self.id, force_send=False
        )
        return True

    def _abs_activation_template(self):
        # The caller's right to enroll was checked by the governance method before this runs.
        return elevate(self.env.ref(ACTIVATION_TEMPLATE_XMLID), "the API proxy may not queue mails")


def _token_holder_query(env, _shape):
    """The token holder's one statement (see ``_abs_token_holder``): the employee's id in slot 0."""
    Employee = env["abs.employee"]
    query = Employee._search([("id", "=", compiled_sql.slot(0))])
    if query.is_empty():
        return None
    return query.select(
        *(Employee._field_to_sql(Employee._table, name, query) for name in _TOKEN_HOLDER_FIELDS)
    )
