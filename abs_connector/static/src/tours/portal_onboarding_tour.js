/** @odoo-module **/
/*
 * A governed customer's first visit, driven in a real browser by
 * tests/test_portal_home.py: they open the invitation link Odoo's signup flow
 * queued for them, choose a password, land on their portal home, see who serves
 * them and their own order (the only one listed), and cannot open another
 * customer's order by URL. It ends on the orders list: an order page keeps
 * loading its chatter, which the closing browser would cut short.
 * The Python test prepares two customers whose orders (SO-MARIE, SO-PAUL) have
 * consecutive ids.
 */
import { registry } from "@web/core/registry";

const PASSWORD = "Marie-Portal-2026";

registry.category("web_tour.tours").add("abs_portal_onboarding", {
    steps: () => [
        {
            content: "The invitation opens the signup form with the customer's login",
            trigger: ".oe_signup_form input[name='login'][value='marie@client.example.com']",
        },
        {
            content: "Choose a password",
            trigger: ".oe_signup_form input[name='password']",
            run: `edit ${PASSWORD}`,
        },
        {
            content: "Confirm it",
            trigger: ".oe_signup_form input[name='confirm_password']",
            run: `edit ${PASSWORD}`,
        },
        {
            content: "Activate the account",
            trigger: ".oe_signup_form button[type='submit']",
            run: "click",
        },
        {
            content: "The portal home shows the agent who serves the customer",
            trigger: ".o_abs_portal_service_contact .o_abs_agent_name:contains('Jean Kofi')",
        },
        {
            content: "...with their phone number",
            trigger: ".o_abs_portal_service_contact .o_abs_agent_phone:contains('+228 90 11 22 33')",
        },
        {
            content: "Nothing about other customers or the governance structure",
            trigger: "body:not(:contains('Paul Mensah')):not(:contains('Togo Field Operations'))",
        },
        {
            content: "Open the customer's orders",
            trigger: ".o_portal_docs a[href='/my/orders']",
            run: "click",
        },
        {
            content: "The customer's own order is listed, the other customer's is not",
            trigger: "a[href^='/my/orders/']:contains('SO-MARIE'):not(:contains('SO-PAUL'))",
        },
        {
            content: "Exactly one order is listed",
            trigger: "a[href^='/my/orders/']",
            run() {
                const listed = document.querySelectorAll("a[href^='/my/orders/']").length;
                if (listed !== 1) {
                    throw new Error(`${listed} orders listed, expected only the customer's own`);
                }
            },
        },
        {
            content: "Another customer's order, opened by URL, answers 404 and shows nothing",
            trigger: "a[href^='/my/orders/']",
            async run() {
                const ownLink = document.querySelector("a[href^='/my/orders/']");
                const ownId = Number(new URL(ownLink.href).pathname.split("/").pop());
                const response = await fetch(`/my/orders/${ownId + 1}`, { redirect: "manual" });
                const body = await response.text();
                if (response.status !== 404 || body.includes("Paul Mensah")) {
                    throw new Error(`another customer's order answered ${response.status}`);
                }
            },
        },
    ],
});
