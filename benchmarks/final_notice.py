"""What each channel and charge of a final notice costs, against a reminder mail:
N customers with one invoice each, a week overdue and reminded, reach the final
notice in one run of the nightly job. Run once per variant, each in a fresh copy
of a database with the addon installed (benchmarks/final_notice makes them):

    python benchmarks/final_notice.py -c CONF -d DB --variant email|letter|charges
        --customers N --result FILE

email: the final notice is a mail; letter: a mail and a letter; charges: a mail,
the recovery compensation and interest (EU late payment directive), one charge
invoice per invoice. The job is the scheduler's (``_cron_dunning_run`` with the
cron in the context, committing per batch); mails stay queued.
"""

import datetime
import time

from benchlib import environment
from benchlib import parse_args
from benchlib import peak_rss_mb
from benchlib import sql_count
from benchlib import write_result

DUE = datetime.date(2025, 10, 1)
REMINDED = DUE + datetime.timedelta(days=7)
FINAL = DUE + datetime.timedelta(days=14)


def add_arguments(parser):
    parser.add_argument("--variant", choices=["email", "letter", "charges"])
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--result", required=True)


def prepare(env, variant, count):
    """The customers, their invoices and the policy; the invoices reminded."""
    company = env.company
    policy = env["dunning.policy"].search([("company_id", "=", company.id)], limit=1)
    policy.legal_profile = "eu_b2b"
    final = policy._ordered_levels().filtered(lambda level: not level.handoff)[-1]
    final.write(
        {
            "send_letter": variant == "letter",
            "letter_registered": False,
            "charge_compensation": variant == "charges",
            "apply_interest": variant == "charges",
            "sms_template_id": False,
            "activity_type_id": False,
        }
    )
    belgium = env.ref("base.be")
    partners = env["res.partner"].create(
        [
            {
                "name": f"Final Notice Customer {n:05d} BV",
                "is_company": True,
                "email": f"ap{n}@customer.example",
                "street": f"Kerkstraat {n}",
                "zip": "9000",
                "city": "Gent",
                "country_id": belgium.id,
            }
            for n in range(count)
        ]
    )
    moves = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": DUE - datetime.timedelta(days=30),
                "invoice_date_due": DUE,
                "currency_id": company.currency_id.id,
                "invoice_line_ids": [
                    (0, 0, {"name": "Services", "price_unit": 1000.0, "tax_ids": []})
                ],
            }
            for partner in partners
        ]
    )
    moves.action_post()
    env.cr.commit()
    run(env, REMINDED)
    return final


def run(env, date):
    cron = env.ref("dunning_escalation.ir_cron_dunning_run")
    env["account.move"].with_context(
        dunning_date=date, cron_id=cron.id, mail_notify_force_send=False
    )._cron_dunning_run()
    env.flush_all()
    env.cr.commit()


def main():
    args = parse_args(__doc__, add_arguments)
    with environment(args.database, {"tracking_disable": True}) as env:
        final = prepare(env, args.variant, args.customers)
        queries = sql_count()
        started = time.perf_counter()
        run(env, FINAL)
        seconds = time.perf_counter() - started
        queries = sql_count() - queries
        Event = env["dunning.event"]
        at_final = [("level_id", "=", final.id), ("state", "=", "done")]
        result = {
            "variant": args.variant,
            "customers": args.customers,
            "seconds": round(seconds, 3),
            "ms_per_invoice": round(seconds * 1000 / args.customers, 2),
            "queries_per_invoice": round(queries / args.customers, 1),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "mails": Event.search_count([*at_final, ("kind", "=", "email")]),
            "letters": Event.search_count([*at_final, ("kind", "=", "letter")]),
            "charge_invoices": env["account.move"].search_count(
                [("dunning_origin_id", "!=", False), ("state", "=", "posted")]
            ),
        }
    write_result(args.result, result)
    print(result)


if __name__ == "__main__":
    main()
