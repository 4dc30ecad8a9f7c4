/** @odoo-module **/
/*
 * The analysis views of the Governance app, opened from its menus in a real
 * browser by tests/test_ui_analysis_tour.py: customers per agent and SA,
 * reassignments per month, members per role and state, events per type and
 * state (pivot and graph each), and the Service Account kanban with its counters.
 */
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

function openMenu(section, item) {
    return [
        {
            content: `Open the ${section} section`,
            trigger: `.o_main_navbar button[data-menu-xmlid='abs_connector.${section}']`,
            run: "click",
        },
        {
            content: `Open ${item}`,
            trigger: `.dropdown-item[data-menu-xmlid='abs_connector.${item}']`,
            run: "click",
        },
    ];
}

function switchTo(viewType) {
    return [
        {
            content: `Switch to the ${viewType} view`,
            trigger: `.o_control_panel .o_switch_view.o_${viewType}`,
            run: "click",
        },
    ];
}

const pivotShows = (text) => ({
    content: `The pivot shows ${text}`,
    trigger: `.o_pivot_view .o_pivot th:contains('${text}')`,
});

const graphDrawn = {
    content: "The graph is drawn",
    trigger: ".o_graph_view .o_graph_renderer .o_graph_canvas_container canvas",
};

registry.category("web_tour.tours").add("abs_backoffice_analysis", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Governance app",
            trigger: ".o_app[data-menu-xmlid='abs_connector.abs_governance_menu_root']",
            run: "click",
        },
        // Customers per SA and agent, assigned against unassigned
        ...openMenu("abs_governance_menu_reporting", "ov_sa_customer_assignment_menu_analysis"),
        pivotShows("Tour Analysis Operations"),
        pivotShows("Tour Analyst Ana"),
        pivotShows("Unassigned"),
        ...switchTo("graph"),
        graphDrawn,
        // Reassignments per month
        ...openMenu("abs_governance_menu_reporting", "ov_sa_customer_assignment_menu_reassignments"),
        graphDrawn,
        ...switchTo("pivot"),
        pivotShows("Tour Analysis Operations"),
        // Members per role and state
        ...openMenu("abs_governance_menu_reporting", "ov_membership_menu_analysis"),
        pivotShows("Agent"),
        pivotShows("Active"),
        ...switchTo("graph"),
        graphDrawn,
        // Events per type and state
        ...openMenu("abs_governance_menu_reporting", "abs_event_outbox_menu_analysis"),
        pivotShows("customer.created"),
        ...switchTo("graph"),
        graphDrawn,
        // Service Accounts as cards with their counters
        ...openMenu("abs_governance_menu_accounts", "ov_serviced_account_menu"),
        ...switchTo("kanban"),
        {
            content: "The account's card counts its members",
            trigger: ".o_kanban_record:contains('Tour Analysis Operations') [name=members]:contains('2')",
        },
        {
            content: "The account's card counts its customers",
            trigger: ".o_kanban_record:contains('Tour Analysis Operations') [name=customers]:contains('2')",
        },
        {
            content: "The account's card counts its sub-accounts",
            trigger: ".o_kanban_record:contains('Tour Analysis Operations') [name=children]:contains('0')",
        },
    ],
});
