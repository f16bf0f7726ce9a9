import { registry } from "@web/core/registry";

// A billing user opens an overdue invoice, reads its dunning level and history on
// the Dunning tab, and blocks dunning because the customer promised to pay.
registry.category("web_tour.tours").add("dunning_escalation_invoice_tour", {
    steps: () => [
        {
            content: "Open the Dunning tab of the invoice",
            trigger: ".o_form_view .o_notebook a[name=dunning]",
            run: "click",
        },
        {
            content: "The invoice is at the firm reminder",
            trigger: ".o_field_widget[name=dunning_level_id]:text(Firm reminder)",
        },
        {
            content: "The history lists the first reminder mail",
            trigger:
                ".o_field_widget[name=dunning_event_ids] .o_data_row" +
                ":has(td[name=level_id]:text(Reminder)):has(td[name=kind]:text(Email))",
        },
        {
            content: "and the firm reminder mail",
            trigger:
                ".o_field_widget[name=dunning_event_ids] .o_data_row" +
                ":has(td[name=level_id]:text(Firm reminder)):has(td[name=kind]:text(Email))",
        },
        {
            content: "Block dunning",
            trigger: ".o_form_view button[name=action_dunning_block]",
            run: "click",
        },
        {
            content: "The customer promised to pay",
            trigger: ".modal .o_field_widget[name=reason] input[data-value=promise]",
            run: "check",
        },
        {
            content: "on 15 January 2099",
            trigger: ".modal .o_field_widget[name=promise_date] input",
            run: "edit 01/15/2099",
        },
        {
            content: "Say why",
            trigger: ".modal .o_field_widget[name=note] input",
            run: "edit Pays after the audit",
        },
        {
            content: "Dunning resumes the day after the promised date",
            trigger: ".modal .o_field_widget[name=until] .o_input:value(01/16/2099)",
        },
        {
            content: "Confirm the block",
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The invoice shows why dunning is blocked",
            trigger:
                "body:not(:has(.modal)) .o_field_widget[name=dunning_block_reason]" +
                ":text(Promise to Pay)",
        },
        {
            content: "and the promise is in its history",
            trigger:
                ".o_field_widget[name=dunning_event_ids] td[name=kind]:text(Promise to Pay)",
        },
        {
            content: "Blocked invoices can be unblocked",
            trigger: ".o_form_view button[name=action_dunning_unblock]",
        },
    ],
});
