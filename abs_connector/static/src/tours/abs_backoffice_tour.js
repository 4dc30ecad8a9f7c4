/** @odoo-module **/
/*
 * Main back-office path, driven in a real browser by tests/test_ui_tour.py:
 * an admin enrolls an agent in a Service Account, then hands a customer of
 * that account to the new agent. The Python test prepares the records and
 * checks the database afterwards; the tour only uses what an admin clicks.
 */
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("abs_backoffice_enroll_and_reassign", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Governance app",
            trigger: ".o_app[data-menu-xmlid='abs_connector.abs_governance_menu_root']",
            run: "click",
        },
        {
            content: "Open the Service Account of the test",
            trigger: ".o_list_view .o_data_row td.o_data_cell:contains('Tour Field Operations')",
            run: "click",
        },
        {
            content: "Start enrolling a member",
            trigger: ".o_form_view .o_form_statusbar button:contains('Enroll Member')",
            run: "click",
        },
        {
            content: "Choose the person",
            trigger: ".modal .o_field_widget[name=person_partner_id] input",
            run: "edit Tour Agent Jean",
        },
        {
            content: "Pick the person in the dropdown",
            trigger: ".ui-autocomplete .ui-menu-item a:contains('Tour Agent Jean')",
            run: "click",
        },
        {
            content: "Make them an agent",
            trigger: ".modal .o_field_widget[name=role_code] select",
            run: "select \"agent\"",
        },
        {
            content: "Confirm the enrolment",
            trigger: ".modal footer button[name=action_enroll]",
            run: "click",
        },
        {
            content: "The dialog closes on the new membership",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "The new membership is shown, active",
            trigger: ".o_form_view .o_field_widget[name=person_partner_id]:contains('Tour Agent Jean')",
        },
        {
            trigger: ".o_form_statusbar .o_arrow_button_current:contains('Active')",
        },
        {
            content: "Open the menu of the Service Accounts section",
            trigger: ".o_main_navbar button[data-menu-xmlid='abs_connector.abs_governance_menu_accounts']",
            run: "click",
        },
        {
            content: "Open the customer assignments",
            trigger: ".dropdown-item[data-menu-xmlid='abs_connector.ov_sa_customer_assignment_menu']",
            run: "click",
        },
        {
            content: "Select the customer to hand over",
            trigger: ".o_data_row:contains('Tour Customer Marie') .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Reassign the selection",
            trigger: ".o_control_panel button:contains('Reassign')",
            run: "click",
        },
        {
            content: "The customer is preselected",
            trigger: ".modal .o_field_widget[name=partner_ids] .o_data_row:contains('Tour Customer Marie')",
        },
        {
            content: "Choose the new agent",
            trigger: ".modal .o_field_widget[name=employee_id] input",
            run: "edit Tour Agent Jean",
        },
        {
            content: "Pick the agent in the dropdown",
            trigger: ".ui-autocomplete .ui-menu-item a:contains('Tour Agent Jean')",
            run: "click",
        },
        {
            content: "Confirm the reassignment",
            trigger: ".modal footer button[name=action_reassign]",
            run: "click",
        },
        {
            content: "The confirmation is shown",
            trigger: ".o_notification:contains('Customers reassigned')",
        },
        {
            content: "The dialog is closed",
            trigger: "body:not(:has(.modal))",
        },
    ],
});
