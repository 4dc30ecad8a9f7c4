from odoo import models


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    # Odoo mails a message to the partners it names and shows them by name in the chatter, and
    # mails a document's followers: a seat member names only partners they may read; any other
    # is answered as Odoo answers a partner that does not exist (docs/security.md, "Seat users").
    # Checked whoever's rights the caller posts with: Odoo's own route posts as superuser.

    def message_post(self, **kwargs):
        self.env["res.partner"].browse(kwargs.get("partner_ids") or [])._abs_check_seen_by_seat_member()
        return super().message_post(**kwargs)

    def message_subscribe(self, partner_ids=None, subtype_ids=None):
        self.env["res.partner"].browse(partner_ids or [])._abs_check_seen_by_seat_member()
        return super().message_subscribe(partner_ids=partner_ids, subtype_ids=subtype_ids)
