from odoo import api, fields, models

from ..elevation import elevate


class AbsFederatedIdentity(models.Model):
    """A person's account at an external token issuer: the issuer's stable subject
    (``identity_claim``, e.g. ``sub`` or ``oid``) linked to an ``abs.employee``.

    A Governance Manager links a person by hand; an issuer entry that maps verified e-mails
    links the subject on its first sign-in. From then on the subject alone designates the
    person, whatever e-mail the token carries (see docs/security.md, "Federated sign-in").
    """

    _name = "abs.federated_identity"
    _description = "Federated sign-in identity"
    _order = "issuer, subject"

    employee_id = fields.Many2one("abs.employee", required=True, index=True, ondelete="cascade")
    issuer = fields.Char(required=True, help="The token issuer (the 'iss' of its tokens).")
    subject = fields.Char(
        required=True, help="The value of the issuer's identity claim (e.g. 'sub' or 'oid') for this person."
    )

    _sql_constraints = [
        ("issuer_subject_unique", "UNIQUE(issuer, subject)", "This account is already linked to a person."),
    ]

    def _abs_admin(self):
        return elevate(self, "read and written while a token is verified, before anyone is authenticated")

    @api.model
    def _abs_employee_for(self, issuer, subject, email):
        """The employee a verified external token designates, else an empty recordset.

        :param email: the verified e-mail (or None): maps a person whose subject at this
            issuer is not linked yet, and links it. A person already linked to another
            subject of this issuer is never re-linked by e-mail.
        """
        Employee = self.env["abs.employee"]
        identities = self._abs_admin()
        if not isinstance(subject, str) or not subject:
            return Employee.browse()
        link = identities.search([("issuer", "=", issuer), ("subject", "=", subject)], limit=1)
        if link:
            return link.employee_id
        employee = Employee._get_by_login(email) if email else Employee.browse()
        if not employee or identities.search_count(
            [("issuer", "=", issuer), ("employee_id", "=", employee.id)], limit=1
        ):
            return Employee.browse()
        identities.create({"employee_id": employee.id, "issuer": issuer, "subject": subject})
        return employee
