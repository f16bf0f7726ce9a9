import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

// An admin lengthens the delay of the firm reminder from 7 to 10 days and switches on
// the friendly reminder: from the Dunning block of the Accounting settings to the
// policy and its ladder of levels.
registry.category("web_tour.tours").add("dunning_escalation_settings_tour", {
    steps: () => [
        {
            content: "The Dunning block of the settings shows the default policy",
            trigger: "#dunning_default_policy .o_field_widget[name=dunning_policy_id]",
        },
        {
            content: "Open the policies and their levels",
            trigger: "#dunning_default_policy button[type=action]",
            run: "click",
        },
        {
            content: "Open the company's policy",
            trigger: ".o_list_view .o_data_row:only td[name=name]",
            run: "click",
        },
        {
            content: "Open the firm reminder in the policy's ladder",
            trigger:
                ".o_field_widget[name=level_all_ids] .o_data_row td[name=name]:text(Firm reminder)",
            run: "click",
        },
        {
            content: "Send it 10 days after the due date",
            trigger: ".modal .o_field_widget[name=delay_days] input",
            run: "edit 10",
        },
        {
            content: "Keep the level",
            trigger: ".modal .o_form_button_save:enabled",
            run: "click",
        },
        {
            content: "The ladder shows the new delay",
            trigger:
                "body:not(:has(.modal)) .o_field_widget[name=level_all_ids] " +
                ".o_data_row:has(td[name=name]:text(Firm reminder)) td[name=delay_days]:text(10)",
        },
        {
            content: "Switch on the friendly reminder, which ships switched off",
            trigger:
                ".o_field_widget[name=level_all_ids] " +
                ".o_data_row:has(td[name=name]:text(Friendly reminder)) td[name=active] input",
            run: "click",
        },
        ...stepUtils.saveForm(),
    ],
});
