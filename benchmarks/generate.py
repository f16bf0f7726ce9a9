"""Fills a copy of the base database with customers and overdue invoices, fast.

Customers are created through the ORM in batches. Of the invoices, one per
(company, currency) is created and posted through the ORM; every other one is a
copy of it made in SQL (INSERT ... SELECT of its move and lines) with its own
customer, dates, amount and number. The copies are kept consistent the way the
ORM would have written them: each amount of the template (in the invoice's
currency, or in the company's) is replaced by the copy's amount with the same
sign, which holds because a template is one untaxed line: every amount of it is
0 or plus or minus its total. Moves stay balanced, residuals equal totals
(not paid), numbers follow the journal's sequence, and the stored dunning fields
(policy, next step) are those of the template shifted by the copy's due date.
A check at the end recomputes a sample through the ORM and compares.

    python benchmarks/generate.py -c CONF -d DB --invoices N --customers C \
        --date 2025-11-20 [--seed 1] [--result FILE] [--orm-sample K]

Mix: a quarter of the customers belong to the second company; 70% of the
invoices are in the company's currency, 15% in each of the two others; customers
speak English, Dutch, French or German; invoices are 1 to 40 days overdue on
--date, for 20 to 2,000 in their currency.
"""

import datetime
import io
import random
import time
from collections import Counter, defaultdict
from itertools import groupby

from benchlib import environment
from benchlib import parse_args
from benchlib import write_result

from odoo import Command
from odoo.tools import SQL

LANGUAGES = ["en_US", "nl_NL", "fr_FR", "de_DE"]
PARTNER_BATCH = 1000
MAX_AGE = 40
# Amount columns, by the currency they are in.
MOVE_AMOUNTS_IN_CURRENCY = {
    "amount_untaxed",
    "amount_tax",
    "amount_total",
    "amount_residual",
    "amount_untaxed_in_currency_signed",
    "amount_total_in_currency_signed",
}
MOVE_AMOUNTS_IN_COMPANY_CURRENCY = {
    "amount_untaxed_signed",
    "amount_tax_signed",
    "amount_total_signed",
    "amount_residual_signed",
}
LINE_AMOUNTS_IN_CURRENCY = {
    "amount_currency",
    "amount_residual_currency",
    "price_unit",
    "price_subtotal",
    "price_total",
    "discount_amount_currency",
}
LINE_AMOUNTS_IN_COMPANY_CURRENCY = {
    "debit",
    "credit",
    "balance",
    "amount_residual",
    "tax_base_amount",
    "discount_balance",
}
# Fields compared between the copies and the ORM's recomputation of them.
CHECKED_FIELDS = [
    "amount_untaxed",
    "amount_total",
    "amount_residual",
    "amount_total_signed",
    "amount_residual_signed",
    "amount_total_in_currency_signed",
    "payment_state",
    "commercial_partner_id",
    "dunning_policy_id",
    "dunning_next_date",
]


def add_arguments(parser):
    parser.add_argument("--invoices", type=int, required=True)
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--date", type=datetime.date.fromisoformat, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--result")
    parser.add_argument(
        "--orm-sample",
        type=int,
        default=0,
        help="also time K invoices created and posted through the ORM in batches "
        "(rolled back), to compare",
    )


def create_customers(env, count, rng):
    """``count`` customers (companies with an email and a language), in batches;
    returns [(id, name, language, company index)], a quarter in the second company."""
    Partner = env["res.partner"].with_context(
        tracking_disable=True, mail_create_nolog=True, mail_create_nosubscribe=True
    )
    customers = []
    for start in range(0, count, PARTNER_BATCH):
        numbers = range(start + 1, min(start + PARTNER_BATCH, count) + 1)
        partners = Partner.create(
            [
                {
                    "name": f"Customer {number:06d}",
                    "email": f"customer{number:06d}@example.com",
                    "lang": rng.choice(LANGUAGES),
                    "is_company": True,
                }
                for number in numbers
            ]
        )
        customers += [
            (partner.id, partner.name, partner.lang, 1 if number % 4 == 0 else 0)
            for partner, number in zip(partners, numbers, strict=True)
        ]
        env.invalidate_all()
    return customers


def plan_invoices(customers, count, companies, today, rng):
    """One dict per invoice: customer, company, currency, dates, amount."""
    currencies = companies.env["res.currency"].search([]).sorted("name")
    plans = []
    for index in range(count):
        # Every customer has an invoice, the others go to customers at random.
        partner_id, name, lang, company_index = customers[
            index if index < len(customers) else rng.randrange(len(customers))
        ]
        company = companies[company_index]
        others = currencies - company.currency_id
        draw = rng.random()
        currency = (
            company.currency_id if draw < 0.7 else others[0 if draw < 0.85 else 1]
        )
        due = today - datetime.timedelta(days=rng.randint(1, MAX_AGE))
        plans.append(
            {
                "partner_id": partner_id,
                "partner_name": name,
                "lang": lang,
                "company": company,
                "company_name": company.name,
                "currency_name": currency.name,
                "currency": currency,
                "invoice_date": due - datetime.timedelta(days=30),
                "due": due,
                "amount": round(rng.uniform(20, 2000), 2),
            }
        )
    return plans


def invoice_values(plan):
    return {
        "move_type": "out_invoice",
        "partner_id": plan["partner_id"],
        "currency_id": plan["currency"].id,
        "invoice_date": plan["invoice_date"],
        "invoice_date_due": plan["due"],
        "invoice_line_ids": [
            Command.create(
                {
                    "name": "Services",
                    "quantity": 1,
                    "price_unit": plan["amount"],
                    "tax_ids": [Command.clear()],
                }
            )
        ],
    }


def create_templates(env, plans):
    """The first invoice of each (company, currency), through the ORM, posted;
    returns {(company id, currency id): move}."""
    templates = {}
    for plan in plans:
        key = (plan["company"].id, plan["currency"].id)
        if key in templates:
            continue
        Move = env["account.move"].with_company(plan["company"])
        move = Move.create(invoice_values(plan))
        move.action_post()
        templates[key] = move
        plan["template"] = True
    return templates


def columns(cr, table):
    cr.execute(
        SQL(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = %s AND column_name != 'id' ORDER BY ordinal_position",
            table,
        )
    )
    return [name for (name,) in cr.fetchall()]


def check_template(cr, template):
    """Refuse a template whose amounts are not all 0 or plus or minus its total:
    the copies could not be derived from it by a change of total."""
    total = template.amount_total
    total_company = template.amount_total_signed
    rows = [
        (template._table, MOVE_AMOUNTS_IN_CURRENCY, MOVE_AMOUNTS_IN_COMPANY_CURRENCY)
    ]
    rows.append(
        (
            "account_move_line",
            LINE_AMOUNTS_IN_CURRENCY,
            LINE_AMOUNTS_IN_COMPANY_CURRENCY,
        )
    )
    for table, in_currency, in_company in rows:
        where = "id" if table == "account_move" else "move_id"
        cr.execute(
            SQL(
                "SELECT * FROM %s WHERE %s = %s",
                SQL.identifier(table),
                SQL.identifier(where),
                template.id,
            )
        )
        for row in cr.dictfetchall():
            for column, expected in [
                *((c, total) for c in in_currency),
                *((c, total_company) for c in in_company),
            ]:
                value = row.get(column)
                if value and abs(float(value)) != abs(expected):
                    raise ValueError(
                        f"template {template.name}: {table}.{column} is {value}, "
                        f"not 0 or ±{expected}: it cannot be copied by scaling"
                    )
    if len(template.line_ids) != 2:
        raise ValueError(f"template {template.name} has {len(template.line_ids)} lines")


def number_copies(env, plans, templates):
    """Give each copy its number in the journal's sequence, after the template's,
    in order of invoice date (as if posted day by day)."""
    by_journal = defaultdict(list)
    for plan in plans:
        if not plan.get("template"):
            template = templates[plan["company"].id, plan["currency"].id]
            plan["template_move"] = template
            by_journal[template.journal_id, template.sequence_prefix].append(plan)
    for (journal, prefix), journal_plans in by_journal.items():
        env.cr.execute(
            SQL(
                "SELECT max(sequence_number), max(length(name)) FROM account_move "
                "WHERE journal_id = %s AND sequence_prefix = %s",
                journal.id,
                prefix,
            )
        )
        last, width = env.cr.fetchone()
        digits = width - len(prefix)
        journal_plans.sort(key=lambda p: (p["invoice_date"], p["partner_id"]))
        for number, plan in enumerate(journal_plans, start=last + 1):
            plan["sequence_number"] = number
            plan["name"] = f"{prefix}{number:0{digits}d}"


def copy_invoices(env, plans, templates):
    """Insert the copies: a staging table of what differs, then one INSERT ...
    SELECT for the moves and one for their lines."""
    cr = env.cr
    cr.execute(
        "CREATE TEMP TABLE bench_copy (template_id int, template_name varchar, "
        "new_id int, name varchar, sequence_number int, partner_id int, "
        "partner_name varchar, invoice_date date, due date, amount numeric, "
        "amount_company numeric) ON COMMIT DROP"
    )
    buffer = io.StringIO()
    for plan in plans:
        if plan.get("template"):
            continue
        template = plan["template_move"]
        # What the ORM does: the company amount is the invoice amount at the
        # invoice's rate, rounded in the company's currency.
        rate = template.invoice_currency_rate or 1.0
        amount_company = template.company_currency_id.round(plan["amount"] / rate)
        fields = [
            template.id,
            template.name,
            "\\N",
            plan["name"],
            plan["sequence_number"],
            plan["partner_id"],
            plan["partner_name"],
            plan["invoice_date"],
            plan["due"],
            plan["amount"],
            amount_company,
        ]
        buffer.write("\t".join(str(f) for f in fields) + "\n")
    buffer.seek(0)
    cr.copy_expert("COPY bench_copy FROM STDIN", buffer)
    cr.execute(
        "UPDATE bench_copy SET new_id = nextval(pg_get_serial_sequence("
        "'account_move', 'id'))"
    )
    now = "(now() AT TIME ZONE 'UTC')"
    move_values = {
        "name": "c.name",
        "sequence_number": "c.sequence_number",
        "payment_reference": "c.name",
        "partner_id": "c.partner_id",
        "commercial_partner_id": "c.partner_id",
        "partner_shipping_id": "c.partner_id",
        "invoice_partner_display_name": "c.partner_name",
        "date": "c.invoice_date",
        "invoice_date": "c.invoice_date",
        "invoice_date_due": "c.due",
        "dunning_next_date": "t.dunning_next_date + (c.due - t.invoice_date_due)",
        "access_token": "NULL",
        "message_main_attachment_id": "NULL",
        "create_date": now,
        "write_date": now,
        **{col: f"sign(t.{col}) * c.amount" for col in MOVE_AMOUNTS_IN_CURRENCY},
        **{
            col: f"sign(t.{col}) * c.amount_company"
            for col in MOVE_AMOUNTS_IN_COMPANY_CURRENCY
        },
    }
    line_values = {
        "move_id": "c.new_id",
        "move_name": "c.name",
        "partner_id": "c.partner_id",
        "date": "c.invoice_date",
        "invoice_date": "c.invoice_date",
        "date_maturity": "CASE WHEN t.date_maturity IS NULL THEN NULL ELSE c.due END",
        "name": "replace(t.name, c.template_name, c.name)",
        "reconciled": "false",
        "full_reconcile_id": "NULL",
        "matching_number": "NULL",
        "create_date": now,
        "write_date": now,
        **{col: f"sign(t.{col}) * c.amount" for col in LINE_AMOUNTS_IN_CURRENCY},
        **{
            col: f"sign(t.{col}) * c.amount_company"
            for col in LINE_AMOUNTS_IN_COMPANY_CURRENCY
        },
    }
    for table, values, join in [
        ("account_move", move_values, "t.id = c.template_id"),
        ("account_move_line", line_values, "t.move_id = c.template_id"),
    ]:
        names = columns(cr, table)
        select = ", ".join(values.get(name, f"t.{name}") for name in names)
        target = ", ".join(names)
        if table == "account_move":
            target, select = f"id, {target}", f"c.new_id, {select}"
        # The column names come from the catalog and the expressions from this
        # file: no outside input reaches this statement.
        cr.execute(
            f"INSERT INTO {table} ({target}) SELECT {select} "
            f"FROM bench_copy c JOIN {table} t ON {join}"
        )
    cr.execute("SELECT count(*) FROM bench_copy")
    return cr.fetchone()[0]


def check_consistency(env, plans, sample_size=200, seed=2):
    """The accounting of the generated invoices, checked in SQL over all of them
    and through the ORM on a sample; raises on the first difference."""
    cr = env.cr
    cr.execute(
        """
        SELECT count(*) FROM (
            SELECT move_id FROM account_move_line GROUP BY move_id
            HAVING sum(balance) != 0 OR sum(debit) != sum(credit)
        ) unbalanced
        """
    )
    unbalanced = cr.fetchone()[0]
    cr.execute(
        """
        SELECT count(*) FROM account_move m
          JOIN (SELECT l.move_id, sum(l.amount_residual) AS residual,
                       sum(l.amount_residual_currency) AS residual_currency
                  FROM account_move_line l JOIN account_account a
                    ON a.id = l.account_id
                 WHERE a.account_type = 'asset_receivable'
                 GROUP BY l.move_id) r ON r.move_id = m.id
         WHERE m.move_type = 'out_invoice'
           AND (m.amount_residual_signed != r.residual
                OR m.amount_residual != r.residual_currency
                OR m.amount_residual != m.amount_total)
        """
    )
    wrong_residual = cr.fetchone()[0]
    cr.execute(
        "SELECT count(*), count(DISTINCT (journal_id, name)) FROM account_move "
        "WHERE move_type = 'out_invoice' AND state = 'posted' "
        "AND payment_state = 'not_paid'"
    )
    open_invoices, names = cr.fetchone()
    if (
        unbalanced
        or wrong_residual
        or open_invoices != len(plans)
        or names != len(plans)
    ):
        raise AssertionError(
            f"inconsistent data: {unbalanced} unbalanced moves, {wrong_residual} "
            f"with a wrong residual, {open_invoices} open invoices and {names} "
            f"names for {len(plans)} planned"
        )
    Move = env["account.move"]
    ids = Move.search([("move_type", "=", "out_invoice")]).ids
    sample = Move.browse(random.Random(seed).sample(ids, min(sample_size, len(ids))))
    stored = sample.read(CHECKED_FIELDS)
    env.invalidate_all()
    for name in CHECKED_FIELDS:
        field = Move._fields[name]
        if field.compute:
            env.add_to_compute(field, sample)
    recomputed = sample.read(CHECKED_FIELDS)
    differences = [
        (row["id"], name, row[name], again[name])
        for row, again in zip(stored, recomputed, strict=True)
        for name in CHECKED_FIELDS
        if row[name] != again[name]
    ]
    # What the ORM recomputed stays out of the database: the check only reads.
    env.cr.rollback()
    if differences:
        raise AssertionError(f"ORM recomputation differs: {differences[:10]}")
    return len(sample)


def time_orm_sample(env, plans, count):
    """Seconds per invoice to create and post ``count`` invoices through the ORM,
    in batches of 100 (rolled back)."""
    sample = [p for p in plans if not p.get("template")][:count]
    sample.sort(key=lambda p: p["company"].id)
    start = time.perf_counter()
    for index in range(0, len(sample), 100):
        for company, batch in groupby(
            sample[index : index + 100], key=lambda p: p["company"]
        ):
            Move = env["account.move"].with_company(company)
            Move.create([invoice_values(p) for p in batch]).action_post()
    seconds = time.perf_counter() - start
    env.cr.rollback()
    return seconds / max(len(sample), 1)


def main():
    args = parse_args(__doc__, add_arguments)
    rng = random.Random(args.seed)
    timings = {}
    started = time.perf_counter()
    with environment(args.database, {"tracking_disable": True}) as env:
        step = time.perf_counter()
        customers = create_customers(env, args.customers, rng)
        timings["customers"] = time.perf_counter() - step
        companies = env["res.company"].search([], order="id")
        plans = plan_invoices(customers, args.invoices, companies, args.date, rng)
        step = time.perf_counter()
        templates = create_templates(env, plans)
        for template in templates.values():
            check_template(env.cr, template)
        timings["templates_orm"] = time.perf_counter() - step
        step = time.perf_counter()
        number_copies(env, plans, templates)
        copies = copy_invoices(env, plans, templates)
        timings["copies_sql"] = time.perf_counter() - step
        env.invalidate_all()
    with environment(args.database) as env:
        step = time.perf_counter()
        env.cr.execute("ANALYZE")
        timings["analyze"] = time.perf_counter() - step
    generation = time.perf_counter() - started
    with environment(args.database) as env:
        step = time.perf_counter()
        checked = check_consistency(env, plans)
        timings["check"] = time.perf_counter() - step
        orm_per_invoice = (
            time_orm_sample(env, plans, args.orm_sample) if args.orm_sample else None
        )
        ages = Counter(min((args.date - p["due"]).days // 10 * 10, 40) for p in plans)
        mix = {
            "company": Counter(p["company_name"] for p in plans),
            "currency": Counter(p["currency_name"] for p in plans),
            "language": Counter(p["lang"] for p in plans),
            "days_overdue_from": dict(sorted(ages.items())),
        }
    result = {
        "database": args.database,
        "invoices": len(plans),
        "customers": len(customers),
        "templates_orm": len(templates),
        "copies_sql": copies,
        "seconds": round(generation, 1),
        "timings": {name: round(value, 2) for name, value in timings.items()},
        "checked_by_orm": checked,
        "orm_seconds_per_invoice": orm_per_invoice and round(orm_per_invoice, 4),
        "mix": mix,
    }
    if args.result:
        write_result(args.result, result)
    else:
        print(result)


if __name__ == "__main__":
    main()
