{
    "name": "Dunning Escalation",
    "summary": "Escalate overdue customer invoices through dunning levels: reminders, "
    "late fees, statutory interest and collection-agency handoff",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "AGPL-3",
    "author": "dunning_escalation developers",
    "website": "https://github.com/dunning-escalation/dunning_escalation",
    "depends": ["account", "mail", "sms", "project", "phone_validation"],
    "external_dependencies": {"python": ["phonenumbers"]},
    "data": [
        "security/dunning_security.xml",
        "security/ir.model.access.csv",
        "views/dunning_policy_views.xml",
        "views/dunning_event_views.xml",
        "views/account_move_views.xml",
        "views/res_config_settings_views.xml",
        "views/dunning_menus.xml",
    ],
    "post_init_hook": "_post_init_hook",
}
