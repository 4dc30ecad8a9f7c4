from odoo import models

from ..elevation import elevate


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    # Odoo mails a message to the partners it names and shows them by name in the chatter, and
    # mails a document's followers: a seat member names only partners they may read, besides those
    # the document already names (its customer, its followers); any other is answered as Odoo
    # answers a partner that does not exist (docs/security.md, "Seat users"). Checked whoever's
    # rights the caller posts with: Odoo's own route posts as superuser.

    def message_post(self, **kwargs):
        self._abs_check_partners_named(kwargs.get("partner_ids"))
        return super().message_post(**kwargs)

    def message_subscribe(self, partner_ids=None, subtype_ids=None):
        self._abs_check_partners_named(partner_ids)
        return super().message_subscribe(partner_ids=partner_ids, subtype_ids=subtype_ids)

    def _message_update_content(
        self, message, body, attachment_ids=None, partner_ids=None, strict=True, **kwargs
    ):
        # Odoo's route edits a message as superuser: the partners it now names are checked here
        self._abs_check_partners_named(partner_ids)
        return super()._message_update_content(
            message, body, attachment_ids=attachment_ids, partner_ids=partner_ids, strict=strict, **kwargs
        )

    def _abs_check_partners_named(self, partner_ids):
        """:raise MissingError: a seat member names a partner they may not read that the
        documents of ``self`` do not already name."""
        if not partner_ids or self.env.user._abs_seat_contexts() is None:
            return
        named = self.env["res.partner"].browse(partner_ids)
        (named - self._abs_partners_already_named())._abs_check_seen_by_seat_member()

    def _abs_partners_already_named(self):
        """The partners the documents of ``self`` point to (their customer, addresses...) or
        that follow them: a message to them or their subscription names nobody new (Odoo's own
        confirmation subscribes an order's customer, whom a member still sees the order of after
        the customer moved to another agent)."""
        documents = elevate(self, "only the partners the documents already name, to leave them out")
        named = documents.message_partner_ids
        for name, field in self._fields.items():
            if (
                field.store
                and field.type in ("many2one", "many2many")
                and field.comodel_name == "res.partner"
            ):
                named |= documents[name]
        return named
