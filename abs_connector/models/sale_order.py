from odoo import Command, _, api, fields, models
from odoo.exceptions import MissingError, UserError
from odoo.tools import float_is_zero, float_repr

from ..elevation import elevate
from ..exceptions import GovernanceConflict
from ..governance import visibility
from ..governance.errors import ServiceUnavailable, Unprocessable


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
        quotations = self.filtered(lambda order: order.state in ("draft", "sent"))
        result = super().action_confirm()
        first_orders._abs_invite_customer_on_first_order()
        # every door (API, portal signature, back office) publishes the confirmation
        # (stamps are internal: read them whoever confirms, a portal customer included)
        confirmed = elevate(quotations, "stamps are internal: read whoever confirms, a portal customer too")
        for order in confirmed.filtered(lambda o: o.state == "sale" and o.x_sa_id):
            order._abs_emit("order.confirmed", order._abs_confirming_actor(), order._abs_event_summary())
        return result

    def _abs_confirming_actor(self):
        """Who confirms: the API actor; the customer when they signed the quotation in the
        portal (Odoo's portal confirms it as superuser); else the back-office user; nobody for
        other system code."""
        actor_id = self.env["ov.membership"]._abs_trusted_context_actor_id()
        if actor_id:
            return self.env["res.partner"].browse(actor_id)
        user = self.env.user
        if user._is_superuser() or user.has_group("abs_connector.group_abs_api_proxy"):
            return self.partner_id if self.signature else self.env["res.partner"]
        return user.partner_id

    def _abs_first_orders_of_their_customer(self):
        """The orders in ``self`` that are their customer's first confirmed order (docs/sales-workflow.md
        automated trigger). Reads every order of those customers, whoever confirms."""
        every_order = "a first order is first among all orders, visible or not"
        orders_sudo = elevate(self.env["sale.order"], every_order)
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
        # the account's automated trigger, not the confirming user's act: the customer's portal
        # access is read and granted as the system does it, whoever confirms (a seat member still
        # confirms her quotation after its customer moved to another agent, and may not read it)
        orders = elevate(self, "the first-order invitation is the account's trigger, whoever confirms")
        for order in orders.filtered(lambda o: o.state == "sale"):
            customer = order.partner_id
            if customer._abs_has_portal_access():
                continue
            if customer._abs_portal_onboarding_enabled("on_first_order", order.company_id):
                customer._abs_grant_portal_access()

    # ---- field sales (API): quotations, confirmation, cancellation, invoicing ----

    @api.model
    def _abs_visible_orders(self, sa, actor_partner, capability, ids):
        """The orders among ``ids`` that ``actor_partner`` may act on in ``sa`` (V2 stamps).

        :raise AccessError: the actor's role in ``sa`` does not grant ``capability``.
        """
        ctx = self.env["ov.membership"]._abs_check_actor(actor_partner, sa, capability)
        domain = visibility.stamp_domain(ctx, "read_orders") if ctx else [("x_sa_id", "=", sa.id)]
        return self.search([("id", "in", list(ids)), *domain])

    @api.model
    def _abs_get_visible_order(self, sa, actor_partner, capability, order_id):
        """One order the actor may act on; a hidden order answers like a missing one.

        :raise MissingError: no such order, or not visible to the actor.
        """
        order = self._abs_visible_orders(sa, actor_partner, capability, [order_id])
        if not order:
            raise MissingError(_("Order not found."))
        return order

    @api.model
    def _abs_create_quotation(self, sa, customer, lines, actor_partner):
        """A draft order of ``lines`` (``[(product, quantity)]``) for a customer the actor sees.

        The order belongs to the customer's SA and to the agent working the customer: its
        assigned agent, else the creating agent. The real actor is the chatter author and the
        event's actor.

        :raise AccessError: the actor may not create orders in ``sa``.
        :raise MissingError: the customer is not visible to the actor.
        :raise Unprocessable: a product that is not sellable in the SA's company.
        """
        ctx = self.env["ov.membership"]._abs_check_actor(actor_partner, sa, "create_orders")
        customer._abs_ensure_visible(sa, actor_partner, "read_customers")
        company = sa._abs_company()
        assignment = customer._abs_active_assignment_in(sa, ctx)
        holder = assignment.actor_id
        if not holder and ctx and ctx.can("hold_customers"):
            holder = actor_partner
        order = self.with_company(company).create(
            {
                "partner_id": customer.id,
                "company_id": company.id,
                "user_id": customer.user_id.id or False,
                "x_sa_id": assignment.account_id.id or sa.id,
                "x_actor_id": holder.id or False,
                "order_line": self._abs_line_commands(company, lines),
            }
        )
        order._abs_record_action(actor_partner, _("Quotation created through the API"))
        order._abs_emit("order.created", actor_partner, order._abs_event_summary())
        return order

    @api.model
    def _abs_line_commands(self, company, lines):
        products = self.env["product.product"]._abs_sellable(company, [pid for pid, _qty in lines])
        unknown = sorted({pid for pid, _qty in lines} - set(products.ids))
        if unknown:
            raise Unprocessable(
                _("These products cannot be sold in this service account: %s", unknown),
                details={"field": "lines", "product_ids": unknown},
            )
        digits = self.env["decimal.precision"].precision_get("Product Unit of Measure")
        if any(float_is_zero(quantity, precision_digits=digits) for _pid, quantity in lines):
            # a quantity the order would round to zero: an empty line, not what was asked
            raise Unprocessable(
                _("A line's quantity must be at least %s.", float_repr(10**-digits, digits)),
                details={"field": "lines"},
            )
        return [
            Command.create({"product_id": product_id, "product_uom_qty": quantity})
            for product_id, quantity in lines
        ]

    def _abs_replace_lines(self, sa, lines, actor_partner):
        """Replace every line of a draft quotation.

        :raise GovernanceConflict: the order is no longer a draft quotation.
        """
        self.ensure_one()
        if self.state not in ("draft", "sent") or self.locked:
            raise GovernanceConflict(
                _("Only a quotation can be changed; this order is %(state)s.", state=self.state),
                details={"state": self.state},
            )
        self.write({"order_line": [Command.clear(), *self._abs_line_commands(self.company_id, lines)]})
        self._abs_record_action(actor_partner, _("Quotation lines replaced through the API"))
        return self

    def _abs_send_quotation(self, sa, actor_partner):
        """Odoo's "Send by Email": the customer follows the quotation, gets Odoo's quotation
        mail with its portal link, and sees it at /my/quotes where they accept and sign it.

        :raise GovernanceConflict: the order is no longer a quotation.
        """
        self.ensure_one()
        if self.state not in ("draft", "sent"):
            raise GovernanceConflict(
                _("Only a quotation can be sent; this order is %(state)s.", state=self.state),
                details={"state": self.state},
            )
        if self.state == "draft":
            self.action_quotation_sent()
        # Odoo's own quotation mail, from the person who sends it (the proxy user has no address)
        sender = actor_partner if actor_partner and actor_partner.email else self.company_id.partner_id
        try:
            self.with_context(force_send=True).message_post_with_source(
                self._find_mail_template(),
                email_layout_xmlid="mail.mail_notification_layout_with_responsible_signature",
                subtype_xmlid="mail.mt_comment",
                author_id=sender.id,
                email_from=sender.email_formatted,
            )
        except UserError:
            # The mail carries the quotation's PDF, as Odoo's own "Send" does.
            if self.env["ir.actions.report"].get_wkhtmltopdf_state() == "install":
                raise ServiceUnavailable(
                    _("This server cannot render the quotation's PDF (wkhtmltopdf is not installed).")
                )
            raise
        return self

    def _abs_confirm(self, sa, actor_partner):
        """Confirm a quotation as the proxy user, recording the real actor.

        :raise GovernanceConflict: not a quotation any more, or a line without a product.
        """
        self.ensure_one()
        if self.state not in ("draft", "sent"):
            raise GovernanceConflict(
                _("Only a quotation can be confirmed; this order is %(state)s.", state=self.state),
                details={"state": self.state},
            )
        if not self.order_line.filtered(lambda line: not line.display_type):
            raise GovernanceConflict(
                _("An order without lines cannot be confirmed."), details={"state": self.state}
            )
        self.with_context(abs_actor_partner=actor_partner or self.env["res.partner"]).action_confirm()
        self._abs_record_action(actor_partner, _("Order confirmed through the API"))
        return self

    def _abs_cancel(self, sa, actor_partner):
        """Cancel a quotation, or a confirmed order that has no live invoice.

        :raise GovernanceConflict: already cancelled, locked, or invoiced.
        :raise AccessError: a confirmed order, and the actor may not confirm orders.
        """
        self.ensure_one()
        if self.state == "cancel" or self.locked:
            raise GovernanceConflict(
                _("This order cannot be cancelled: it is %(state)s.", state=self.state),
                details={"state": self.state, "locked": bool(self.locked)},
            )
        if self.state == "sale":
            # undoing a confirmation takes the right to confirm
            self.env["ov.membership"]._abs_check_actor(actor_partner, sa, "confirm_orders")
        if self.invoice_ids.filtered(lambda move: move.state != "cancel"):
            raise GovernanceConflict(
                _("An invoiced order cannot be cancelled."), details={"state": self.state}
            )
        previous = self.state
        self._action_cancel()
        self._abs_record_action(actor_partner, _("Order cancelled through the API"))
        self._abs_emit(
            "order.cancelled", actor_partner, {**self._abs_event_summary(), "previous_state": previous}
        )
        return self

    def _abs_create_invoice(self, sa, actor_partner):
        """The draft invoice of a confirmed order, stamped like the order.

        :raise GovernanceConflict: the order is not confirmed or has nothing left to invoice.
        """
        self.ensure_one()
        if self.state != "sale" or self.invoice_status != "to invoice":
            raise GovernanceConflict(
                _("Only a confirmed order with something to invoice can be invoiced."),
                details={"state": self.state, "invoice_status": self.invoice_status},
            )
        invoice = self._create_invoices()
        invoice.write({"x_sa_id": self.x_sa_id.id, "x_actor_id": self.x_actor_id.id})
        self._abs_record_action(actor_partner, _("Invoice %s created through the API", invoice.name or ""))
        invoice._abs_record_action(actor_partner, _("Invoice created through the API"))
        self.env["abs.event.outbox"]._emit(
            "invoice.created",
            self.x_sa_id,
            invoice,
            self.env["ov.membership"]._abs_recorded_actor(actor_partner),
            {
                "order_id": self.id,
                "partner_id": invoice.partner_id.id,
                "state": invoice.state,
                "amount_total": float(invoice.amount_total),
                "currency": invoice.currency_id.name,
            },
        )
        return invoice

    def _abs_event_summary(self):
        return {
            "name": self.name,
            "partner_id": self.partner_id.id,
            "state": self.state,
            "amount_total": float(self.amount_total),
            "currency": self.currency_id.name,
            "actor_id": self.x_actor_id.id or None,
        }

    def _abs_emit(self, event_type, actor_partner, data):
        self.env["abs.event.outbox"]._emit(
            event_type,
            self.x_sa_id,
            self,
            self.env["ov.membership"]._abs_recorded_actor(actor_partner),
            data,
        )
