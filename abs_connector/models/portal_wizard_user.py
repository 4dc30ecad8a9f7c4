from odoo import _, models
from odoo.exceptions import UserError

from ..elevation import elevate


class PortalWizardUser(models.TransientModel):
    _inherit = "portal.wizard.user"

    def _send_email(self):
        """Queue the invitation instead of sending it, when governance onboards a customer.

        Odoo's wizard sends the invitation at once (``force_send``), inside the
        request that grants access. Customers created through the API must not
        wait on, or fail because of, an SMTP server: the mail goes to the queue
        (sent by Odoo's mail cron) and leaves from the customer's company.
        """
        if not self.env.context.get("abs_queue_portal_invitation"):
            return super()._send_email()
        self.ensure_one()
        template = self.env.ref("portal.mail_template_data_portal_welcome", raise_if_not_found=False)
        if not template:
            raise UserError(_('The template "Portal: new user" was not found; no invitation can be sent.'))
        user = elevate(self.user_id, "preparing a signup token is an administrator's right")
        user.partner_id.signup_prepare()
        company = user.company_id
        email_from = company.email_formatted or company.catchall_formatted or company.default_from_email
        email_values = {"email_from": email_from} if email_from else {}
        elevate(template, "the API proxy may not queue mails").with_context(lang=user.lang).send_mail(
            self.id,
            force_send=False,
            email_values=email_values,
        )
        return True
