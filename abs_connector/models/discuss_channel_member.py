from odoo import api, models


class DiscussChannelMember(models.Model):
    _inherit = "discuss.channel.member"

    @api.model_create_multi
    def create(self, vals_list):
        # a seat member adds only partners they may read, whichever way (see discuss.channel)
        partner_ids = [vals["partner_id"] for vals in vals_list if vals.get("partner_id")]
        self.env["res.partner"].browse(partner_ids)._abs_check_seen_by_seat_member()
        return super().create(vals_list)
