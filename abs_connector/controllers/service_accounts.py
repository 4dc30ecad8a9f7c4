"""Service accounts: create a branch (system), enroll and revoke members (SA managers)."""

from odoo import http
from odoo.http import request
from odoo.tools import email_normalize

from ..elevation import elevate
from ..governance import errors
from .common import api_route, dispatch, idempotent, identity, json_response, read_json_body, sa_context


def serialize_service_account(sa):
    return {
        "id": sa.id,
        "name": sa.name,
        "parent_id": sa.parent_id.id or None,
        "partner_id": sa.partner_id.id or None,
        "account_class": sa.account_class,
        "state": sa.state,
        "company_id": sa.company_id.id or None,
        "sa_manager_membership_id": sa.sa_manager_id.id or None,
    }


def _existing(model, record_id, what):
    """The record, or 404 -- the same answer whether it does not exist or is not readable."""
    record = request.env[model].browse(record_id).exists()
    if not record:
        raise errors.NotFound(f"{what} not found.", details={"id": record_id})
    return record


def _person_for_email(name, email, phone):
    """The person partner with this normalized e-mail, reused when it exists; else a new one.

    :returns: (partner, created) -- ``created`` says whether this request made the person.
    """
    normalized = email_normalize(email)
    if not normalized:
        raise errors.Unprocessable("The e-mail address is not valid.", details={"field": "email"})
    partner = _partner_by_email(normalized)
    if partner:
        return partner.with_env(request.env), False
    vals = {"name": name, "email": normalized}
    if phone:
        vals["phone"] = phone
    return request.env["res.partner"].create(vals), True


def _partner_by_email(normalized):
    hidden_too = "a person of another company, or archived, must be found, not duplicated"
    return (
        elevate(request.env["res.partner"], hidden_too)
        .with_context(active_test=False)
        .search(
            [("email_normalized", "=", normalized), ("is_company", "=", False)],
            order="active desc, id",
            limit=1,
        )
    )


def _first_identity(employee):
    """Whether this request created the manager's sign-in identity (Odoo stamps a record's
    creation with its transaction's time): only then may it carry a password."""
    created = elevate(employee, "the proxy may not read employees").create_date
    return created == request.env.cr.now() and not employee.has_password


def _give_credentials(employee, password, new_identity):
    """Set the password given with the request, or mail an activation code.

    A password is accepted only for an identity this same request created. Anyone who
    existed before -- in any company, archived or not, with or without a password -- gets an
    activation mail instead, and the answer is the same either way: the caller learns
    nothing about the person from it. (A password an earlier enroller gave them was forgotten
    when the enrolment reused their identity: abs.employee._ensure_for_partners.)

    :returns: whether an activation mail was queued.
    """
    if password and new_identity and not employee.has_password:
        employee._abs_set_password(password, chosen_by_person=False)
        return False
    return employee._abs_send_activation_mail()


class AbsServiceAccountController(http.Controller):
    @api_route("/api/service-accounts", auth="abs_api_key")
    def abs_service_accounts(self, **_params):
        return dispatch({"POST": self._create_branch})

    @api_route("/api/service-accounts/<int:sa_id>/members/enroll", auth="abs_jwt")
    def abs_enroll(self, sa_id, **_params):
        return dispatch({"POST": self._enroll}, sa_id)

    @api_route("/api/service-accounts/<int:sa_id>/members/<int:membership_id>", auth="abs_jwt")
    def abs_member(self, sa_id, membership_id, **_params):
        return dispatch({"DELETE": self._revoke}, sa_id, membership_id)

    @idempotent(None)  # API keys only
    def _create_branch(self):
        body = read_json_body("ServiceAccountCreate")
        parent = _existing("ov.serviced_account", body["parent_id"], "Parent service account")
        admin = _existing("res.partner", body["initial_admin_partner_id"], "Initial manager")
        vals = {"name": body["name"].strip(), "parent_id": parent.id}
        if body.get("partner_id"):
            vals["partner_id"] = _existing("res.partner", body["partner_id"], "Organisation partner").id
        for key in ("account_class", "notes"):
            if key in body:
                vals[key] = body[key]
        sa = request.env["ov.serviced_account"]._abs_create_branch(
            vals, admin, actor_partner=identity().actor_partner
        )
        manager_employee = sa.sa_manager_id.employee_id
        if manager_employee:
            _give_credentials(
                manager_employee, body.get("initial_admin_password"), _first_identity(manager_employee)
            )
        return json_response(serialize_service_account(sa), status=201)

    @idempotent("manage_members")
    def _enroll(self, sa_id):
        context = sa_context(path_sa_id=sa_id)
        context.require("manage_members")
        body = read_json_body("EnrollRequest")
        person, created = _person_for_email(body["name"].strip(), body["email"], body.get("phone"))
        extra = {key: body[key] for key in ("scope_policy", "hierarchy_scope") if key in body}
        membership = request.env["ov.membership"]._abs_enroll(
            context.sa, person, body["role_code"], actor_partner=context.actor_partner, **extra
        )
        employee = membership.employee_id
        _give_credentials(employee, body.get("password"), created)
        return json_response(
            {
                "partner_id": person.id,
                "employee_id": employee.id,
                "membership_id": membership.id,
                "role_code": membership.role_code,
                "membership_state": membership.membership_state,
            },
            status=201,
        )

    def _revoke(self, sa_id, membership_id):
        context = sa_context(path_sa_id=sa_id)
        context.require("manage_members")
        membership = request.env["ov.membership"].browse(membership_id).exists()
        if not membership or membership.serviced_account_id != context.sa:
            raise errors.NotFound("Membership not found.", details={"id": membership_id})
        if membership.membership_state == "revoked":
            raise errors.Conflict("This membership is already revoked.", details={"id": membership_id})
        unassigned = membership._abs_revoke(actor_partner=context.actor_partner)
        return json_response(
            {
                "membership_id": membership.id,
                "membership_state": membership.membership_state,
                "unassigned_customers": unassigned,
            }
        )
