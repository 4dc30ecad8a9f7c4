from odoo import fields, models


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "abs.governed.mixin"]

    _abs_stamp_partner_field = "partner_id"

    # The V2 stamps are internal governance; portal customers see their orders
    # through Odoo's follower rule, never through these fields.
    x_sa_id = fields.Many2one(groups="base.group_user")
    x_actor_id = fields.Many2one(groups="base.group_user")

    def action_confirm(self):
        # Known before confirming: afterwards every order looks like "not the first".
        first_orders = self._abs_first_orders_of_their_customer()
        result = super().action_confirm()
        first_orders._abs_invite_customer_on_first_order()
        return result

    def _abs_first_orders_of_their_customer(self):
        """The orders in ``self`` that are their customer's first confirmed order (seed 000
        automated trigger). Reads every order of those customers, whoever confirms."""
        orders_sudo = self.env["sale.order"].sudo()
        customers_with_orders = orders_sudo.search(
            [
                ("partner_id", "in", self.partner_id.ids),
                ("state", "=", "sale"),
                ("id", "not in", self.ids),
            ]
        ).partner_id
        first_orders = self.browse()
        seen = set()
        for order in self.filtered(lambda o: o.state in ("draft", "sent")):
            customer = order.partner_id
            if customer in customers_with_orders or customer.id in seen:
                continue
            seen.add(customer.id)
            first_orders |= order
        return first_orders

    def _abs_invite_customer_on_first_order(self):
        for order in self.filtered(lambda o: o.state == "sale"):
            customer = order.partner_id
            if customer._abs_has_portal_access():
                continue
            if customer._abs_portal_onboarding_enabled("on_first_order", order.company_id):
                customer._abs_grant_portal_access()
