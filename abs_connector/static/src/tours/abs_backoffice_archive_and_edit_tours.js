/** @odoo-module **/
/*
 * Back-office paths driven in a real browser by tests/test_ui_tour.py: a governed customer
 * with a portal user archived from Contacts and restored from its Archived filter; a
 * membership edited on its form; an edit governance refuses, shown as a readable message
 * (no traceback) and discarded. The Python tests prepare the records and check the
 * database and the events afterwards.
 */
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const CUSTOMER = "Tour Archive Customer";

function selectCustomerAndRun(action) {
    return [
        {
            content: "Show the list view",
            trigger: "button.o_switch_view.o_list",
            run: "click",
        },
        {
            content: "Select the customer",
            trigger: `.o_data_row:contains('${CUSTOMER}') td.o_list_record_selector input`,
            run: "click",
        },
        {
            content: "Open the Actions menu",
            trigger: ".o_cp_action_menus button",
            run: "click",
        },
        {
            content: `${action} it`,
            trigger: `.o-dropdown--menu .o-dropdown-item:contains('${action}')${
                action === "Archive" ? ":not(:contains('Unarchive'))" : ""
            }`,
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("abs_backoffice_archive_customer", {
    steps: () => [
        ...selectCustomerAndRun("Archive"),
        {
            content: "Confirm the archiving",
            trigger: ".modal-footer button.btn-primary",
            run: "click",
        },
        {
            content: "The customer left the list of active contacts",
            trigger: `body:not(:has(.modal)) .o_list_view:not(:has(.o_data_row:contains('${CUSTOMER}')))`,
        },
    ],
});

registry.category("web_tour.tours").add("abs_backoffice_unarchive_customer", {
    steps: () => [
        {
            content: "Open the filters",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Show the archived contacts",
            trigger: ".o_filter_menu .o-dropdown-item:contains('Archived')",
            run: "click",
        },
        ...selectCustomerAndRun("Unarchive"),
        {
            content: "The customer left the list of archived contacts",
            trigger: `.o_list_view:not(:has(.o_data_row:contains('${CUSTOMER}')))`,
        },
    ],
});

registry.category("web_tour.tours").add("abs_backoffice_edit_membership", {
    steps: () => [
        {
            content: "Open the agent's membership",
            trigger: ".o_data_row:contains('Tour Edit Agent') td.o_data_cell",
            run: "click",
        },
        {
            content: "Make them staff",
            trigger: ".o_form_view .o_field_widget[name=role_code] select",
            run: 'select "staff"',
        },
        {
            content: "Limit them to their own customers",
            trigger: ".o_form_view .o_field_widget[name=scope_policy] select",
            run: 'select "assigned_only"',
        },
        ...stepUtils.saveForm(),
        {
            content: "Back to the list",
            trigger: ".o_breadcrumb .o_back_button a, .o_breadcrumb li.breadcrumb-item a",
            run: "click",
        },
        {
            content: "Open the manager's membership",
            trigger: ".o_data_row:contains('Tour Edit Manager') td.o_data_cell",
            run: "click",
        },
        {
            content: "Try to make the account's manager an agent",
            trigger: ".o_form_view .o_field_widget[name=role_code] select",
            run: 'select "agent"',
        },
        {
            content: "Save",
            trigger: ".o_form_button_save:enabled",
            run: "click",
        },
        {
            content: "A readable refusal, no traceback",
            trigger:
                ".modal .o_error_dialog:contains('must keep a staff or admin role'):not(:contains('Something went wrong'))",
        },
        {
            content: "Close the message",
            trigger: ".modal-footer button.btn-primary",
            run: "click",
        },
        ...stepUtils.discardForm(),
    ],
});
