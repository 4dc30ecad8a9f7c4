from odoo import models

ACTIVATION_TEMPLATE_XMLID = "abs_connector.abs_employee_activation_mail_template"


class AbsEmployee(models.Model):
    """What the REST API adds to the employee identity: the activation mail."""

    _inherit = "abs.employee"

    def _abs_send_activation_mail(self):
        """Issue a fresh activation token and queue it to the employee by mail.

        The token exists in clear only in the queued mail (deleted once sent); the database
        keeps its digest. Returns True when a mail was queued (the employee has an e-mail).
        """
        self.ensure_one()
        if not self.email:
            return False
        token = self.issue_activation_token()
        self._abs_activation_template().with_context(abs_activation_token=token).send_mail(
            self.id, force_send=False)
        return True

    def _abs_activation_template(self):
        # Queuing a mail is not a right of the technical user that runs API requests; the
        # caller's right to enroll was checked by the governance method before this runs.
        return self.env.ref(ACTIVATION_TEMPLATE_XMLID).sudo()
