from odoo import models

# What a group's write changes of who is in it (its users, directly or through implied groups).
_MEMBERSHIP_FIELDS = {"users", "implied_ids"}


class ResGroups(models.Model):
    _inherit = "res.groups"

    def write(self, vals):
        result = super().write(vals)
        if _MEMBERSHIP_FIELDS & set(vals):
            # a Governance Manager is not limited by the seat-member rules: what this transaction
            # knew of seat members' views may no longer hold
            self.env["res.users"]._abs_forget_seat_answers()
        return result
