from odoo import api, models

from odoo.addons.mail.tools.discuss import Store


class DiscussChannel(models.Model):
    _inherit = "discuss.channel"

    # Odoo lets any internal user start a chat or a group with any partner id, or add one to a
    # channel, and shows every member's name: a seat member names only partners they may read;
    # any other is answered as Odoo answers a partner that does not exist (docs/security.md,
    # "Seat users"). discuss.channel.member's create checks every way in (a group, a channel
    # created with its members); a chat reads its partners before, and adding members leaves
    # out missing partners rather than refusing them, so both answer here.

    # over RPC the channel's data, as Odoo's method answers (an override does not inherit that)
    @api.model
    @api.returns("self", lambda channels: Store(channels).get_result())
    def channel_get(self, partners_to, pin=True, force_open=False):
        self.env["res.partner"].browse(partners_to)._abs_check_seen_by_seat_member()
        return super().channel_get(partners_to, pin=pin, force_open=force_open)

    def add_members(
        self,
        partner_ids=None,
        guest_ids=None,
        invite_to_rtc_call=False,
        open_chat_window=False,
        post_joined_message=True,
    ):
        # Odoo leaves out the ids of partners that do not exist; so are those the member may not read
        hidden = set(self.env["res.partner"].browse(partner_ids or [])._abs_hidden_from_seat_member().ids)
        seen_ids = [partner_id for partner_id in partner_ids or [] if partner_id not in hidden]
        return super().add_members(
            partner_ids=seen_ids,
            guest_ids=guest_ids,
            invite_to_rtc_call=invite_to_rtc_call,
            open_chat_window=open_chat_window,
            post_joined_message=post_joined_message,
        )
