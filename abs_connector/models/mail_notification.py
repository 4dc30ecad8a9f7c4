from odoo import models


class MailNotification(models.Model):
    _inherit = "mail.notification"

    def _filtered_for_web_client(self):
        """Leave out the notifications to partners the user may not read: Odoo's chatter tests
        each recipient with the user's rights, and a seat member's memberships may hide one (a
        customer of another account), which made the whole thread fail to open. The message and
        the other recipients are shown as before (docs/operations/back-office.md, "Seat users")."""
        recipients = self.res_partner_id
        readable = recipients._filtered_access("read")
        shown = self.filtered(
            lambda notification: notification.res_partner_id in readable or not notification.res_partner_id
        )
        return super(MailNotification, shown)._filtered_for_web_client()
