/** @odoo-module **/
/*
 * A seat member (an internal user who is an agent of a Service Account, own customers only)
 * opens a list in a real browser, driven by tests/test_seat_member_rules.py once for Contacts,
 * once for Sales and once for CRM: the list shows the agent's own customer and not a
 * colleague's, although Odoo's own filters (my quotations, my pipeline) would show both.
 */
import { registry } from "@web/core/registry";

const MINE = "Seat Customer Of Ada";
const COLLEAGUES = "Seat Customer Of Bob";

registry.category("web_tour.tours").add("abs_seat_member_list", {
    steps: () => [
        {
            content: "Show the list view",
            trigger: "button.o_switch_view.o_list",
            run: "click",
        },
        {
            content: "The agent's customer is listed, the colleague's is not",
            trigger: `.o_list_view:has(.o_data_row:contains('${MINE}')):not(:has(.o_data_row:contains('${COLLEAGUES}')))`,
        },
    ],
});

/*
 * The same agent starts a quotation in the browser: the customer field offers her own customer
 * and not her colleague's, and choosing it runs Odoo's onchange (which the addon checks for a
 * partner she may not read) and saves.
 */
registry.category("web_tour.tours").add("abs_seat_member_quotation", {
    steps: () => [
        {
            content: "Look for a customer",
            trigger: ".o_form_view .o_field_widget[name=partner_id] input",
            run: "edit Seat Customer",
        },
        {
            content: "Her customer is offered, her colleague's is not",
            trigger: `.ui-autocomplete:has(.ui-menu-item a:contains('${MINE}')):not(:has(.ui-menu-item a:contains('${COLLEAGUES}')))`,
        },
        {
            content: "Choose her customer",
            trigger: `.ui-autocomplete .ui-menu-item a:contains('${MINE}')`,
            run: "click",
        },
        {
            content: "Save the quotation",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "The quotation is saved under its number",
            trigger: ".o_breadcrumb .active:contains('S0')",
        },
    ],
});
