import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

// An accountant reviews a customer's dunning: the overdue amount and highest level
// on the customer's smart button, the overdue invoices behind it, then the Dunning
// History of Accounting > Customers and its analysis by level.
registry.category("web_tour.tours").add("dunning_escalation_followup_tour", {
    steps: () => [
        stepUtils.autoExpandMoreButtons(),
        {
            content: "The customer's smart button shows the highest dunning level",
            trigger:
                ".o-form-buttonbox button[name=action_view_dunning_invoices]" +
                ":has(.o_stat_text:contains(Firm reminder))",
            run: "click",
        },
        {
            content: "The customer's overdue invoices, with their level",
            trigger:
                ".o_list_view .o_data_row:only td[name=dunning_level_id]:text(Firm reminder)",
        },
        {
            content: "Open the Customers menu",
            trigger:
                ".o_main_navbar [data-menu-xmlid='account.menu_finance_receivables']",
            run: "click",
        },
        {
            content: "Open the Dunning History",
            trigger:
                ".dropdown-item[data-menu-xmlid='dunning_escalation.menu_dunning_event']",
            run: "click",
        },
        {
            content: "The history lists what was sent to the customer",
            trigger:
                ".o_list_view .o_data_row:has(td[name=partner_id]:text(Bakkerij De Vries))" +
                ":has(td[name=level_id]:text(Firm reminder))",
        },
        {
            content: "Analyse the history by level",
            trigger: ".o_control_panel .o_switch_view.o_pivot",
            run: "click",
        },
        {
            content: "The pivot has a row for the firm reminder",
            trigger: ".o_pivot .o_pivot_header_cell_closed:contains(Firm reminder)",
        },
    ],
});
