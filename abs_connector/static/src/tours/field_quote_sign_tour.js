/** @odoo-module **/
/*
 * The customer's side of a quotation an agent wrote in the field (issue: field sales).
 * tests/test_field_sales_portal.py creates and sends the quotation through the REST API as the
 * agent, then runs this tour as the customer: the quotation is in their portal, they accept and
 * sign it with Odoo's own portal flow, and the order is confirmed. The Python test then checks
 * the order's state and the order.confirmed event.
 */
import { registry } from "@web/core/registry";
import { redirect } from "@web/core/utils/urls";

registry.category("web_tour.tours").add("abs_field_quote_sign", {
    url: "/my/quotes",
    steps: () => [
        {
            content: "The agent's quotation is listed in the customer's portal",
            trigger: "a[href*='/my/orders/']:contains('S0')",
            run: "click",
        },
        {
            content: "It holds the product the agent quoted",
            trigger: "#quote_content:contains('Solar Lamp')",
        },
        {
            content: "Accept and sign",
            trigger: "a:contains('Sign')",
            run: "click",
        },
        {
            content: "The signature dialog opens",
            trigger: ".o_portal_sign_submit:enabled",
        },
        {
            content: "Let Odoo draw the signature from the name",
            trigger: ".o_web_sign_auto_select_style button",
            run: "click",
        },
        {
            content: "Pick a style",
            trigger: ".o-dropdown-item:eq(3)",
            run: "click",
        },
        {
            content: "Sign",
            trigger: ".o_portal_sign_submit:enabled",
            run: "click",
        },
        {
            content: "The order is confirmed",
            trigger: "#quote_content:contains('Thank You')",
        },
        {
            trigger: "#quote_content",
            run() {
                // leave before the page's late requests, as Odoo's own signature tour does
                redirect("/my");
            },
        },
        {
            trigger: "nav",
        },
    ],
});
