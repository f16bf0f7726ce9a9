"""Prepares the base database of the benchmark, once: languages, currencies and
their rates, a second company with its chart of accounts, and in each company the
two policies that do the same work: reminders at 3, 7 and 14 days after the due
date, each an email, one per customer.

    python benchmarks/setup_base.py -c CONF -d bench_base
"""

import datetime

from benchlib import environment
from benchlib import parse_args

LANGUAGES = ["nl_NL", "fr_FR", "de_DE"]
CURRENCIES = ["EUR", "USD", "GBP"]
# Units of each currency for one unit of the company's currency.
RATES = {
    "USD": {"EUR": 0.92, "GBP": 0.79},
    "EUR": {"USD": 1.09, "GBP": 0.86},
}
LEVELS = [(1, "Reminder", 3), (2, "Firm reminder", 7), (3, "Final notice", 14)]


def set_up_companies(env):
    """Two companies, in USD and EUR, each with its chart and an email address."""
    currencies = {
        c.name: c
        for c in env["res.currency"]
        .with_context(active_test=False)
        .search([("name", "in", CURRENCIES)])
    }
    for currency in currencies.values():
        currency.active = True
    first = env.ref("base.main_company")
    first.write(
        {
            "name": "Bench US",
            "email": "billing@bench-us.example.com",
            "currency_id": currencies["USD"].id,
        }
    )
    second = env["res.company"].create(
        {"name": "Bench EU", "email": "billing@bench-eu.example.com"}
    )
    env["account.chart.template"].try_loading("generic_coa", second, install_demo=False)
    # The chart sets the currency of its template: the company's comes after it.
    second.currency_id = currencies["EUR"]
    env.user.write(
        {
            "company_ids": [(4, second.id)],
            "email": "admin@bench-us.example.com",
        }
    )
    for company in first | second:
        for name, rate in RATES[company.currency_id.name].items():
            env["res.currency.rate"].create(
                {
                    "name": datetime.date(2025, 1, 1),
                    "rate": rate,
                    "currency_id": currencies[name].id,
                    "company_id": company.id,
                }
            )
    return first | second


def set_up_our_policy(company):
    """The company's default dunning policy, reduced to three emails: no SMS, no
    handoff, no statutory charges, no minimum."""
    policy = company.dunning_policy_id
    levels = policy.with_context(active_test=False).level_ids
    for level in levels:
        if level.handoff or level.delay_days < 0:
            level.active = False
        else:
            level.sms_template_id = False
    policy.write({"legal_profile": False, "min_amount": 0, "grace_days": 0})
    delays = [level.delay_days for level in policy._ordered_levels()]
    assert delays == [3, 7, 14], delays
    assert all(level.mail_template_id for level in policy._ordered_levels())


def set_up_peer_policy(env, company):
    """account_credit_control's policy with the same levels, its PDF attachment
    taken off its mail template."""
    template = env.ref("account_credit_control.email_template_credit_control_base")
    template.report_template_ids = [(5,)]
    accounts = env["account.account"].search(
        [
            ("account_type", "=", "asset_receivable"),
            ("company_ids", "in", company.id),
        ]
    )
    policy = env["credit.control.policy"].create(
        {
            "name": f"Bench 3/7/14 ({company.name})",
            "company_id": company.id,
            "account_ids": [(6, 0, accounts.ids)],
        }
    )
    for level, name, delay in LEVELS:
        env["credit.control.policy.level"].create(
            {
                "policy_id": policy.id,
                "name": name,
                "level": level,
                "computation_mode": "net_days",
                "delay_days": delay,
                "email_template_id": template.id,
                "channel": "email",
                "custom_text": f"{name}: please pay the invoices below.",
                "custom_mail_text": f"<p>{name}: please pay the invoices below.</p>",
                "mail_show_invoice_detail": True,
            }
        )
    company.credit_policy_id = policy


def main():
    args = parse_args(__doc__)
    with environment(args.database) as env:
        languages = (
            env["res.lang"]
            .with_context(active_test=False)
            .search([("code", "in", LANGUAGES)])
        )
        env["base.language.install"].create(
            {"lang_ids": [(6, 0, languages.ids)], "overwrite": False}
        ).lang_install()
        companies = set_up_companies(env)
        for company in companies:
            set_up_our_policy(company)
            set_up_peer_policy(env, company)
        print(f"{args.database}: companies {companies.mapped('name')}")


if __name__ == "__main__":
    main()
