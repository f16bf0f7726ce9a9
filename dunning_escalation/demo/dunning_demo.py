"""Demo data that depends on today's date.

Customers in the Netherlands, Belgium, Sweden, Germany and the United Kingdom,
businesses and consumers, get posted invoices due relative to today. The scheduled
job is then replayed for every day of the last ``REPLAY_DAYS`` days, and what people
do on those days (payments, disputes, promises to pay, a waived charge, a recall, a
write-off, a payment plan, customers' email replies) happens before that day's run,
through the engine's own methods and Odoo's mail gateway. The result is a history
as the job would have written it: reminders at every level, charges per legal
profile, letters, calls, blocks, replies, a running payment plan, payments after a
reminder and cases with the collection agency.
"""

import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from email.utils import formataddr
from email.utils import make_msgid

from odoo import Command, fields

# The company's bank account for transfers (a test IBAN of the Netherlands).
DEMO_IBAN = "NL91ABNA0417164300"
# How far back the daily job is replayed (days before today).
REPLAY_DAYS = 100

# The invoicing currency of each customer's country.
CURRENCY_BY_COUNTRY = {"NL": "EUR", "BE": "EUR", "DE": "EUR", "SE": "SEK", "GB": "GBP"}
# Rough units per US dollar, for a currency that has no rate yet in the company
# (the engine charges no fixed amount in a currency without a rate).
UNITS_PER_USD = {"USD": 1.0, "EUR": 0.86, "SEK": 9.5, "GBP": 0.76}

# The ladder of the demo policy: (sequence, name, delay in days, options), the
# options' records named by their xml ids. Every channel is used: a friendly
# reminder before the due date, SMS, a registered letter and a call, the statutory
# compensation and interest of each customer's country, and the agency.
LADDER = [
    (
        5,
        "Friendly reminder",
        -3,
        {"mail_template_id": "dunning_escalation.mail_template_dunning_level_friendly"},
    ),
    (
        10,
        "Reminder",
        3,
        {"mail_template_id": "dunning_escalation.mail_template_dunning_level_1"},
    ),
    (
        20,
        "Firm reminder",
        7,
        {
            "mail_template_id": "dunning_escalation.mail_template_dunning_level_2",
            "sms_template_id": "dunning_escalation.sms_template_dunning_level_2",
            "charge_compensation": True,
        },
    ),
    (
        30,
        "Final notice",
        14,
        {
            "mail_template_id": "dunning_escalation.mail_template_dunning_level_3",
            "sms_template_id": "dunning_escalation.sms_template_dunning_level_3",
            "send_letter": True,
            "letter_registered": True,
            "activity_type_id": "mail.mail_activity_data_call",
            "charge_compensation": True,
            "apply_interest": True,
        },
    ),
    (40, "Collection agency", 30, {"handoff": True, "apply_interest": True}),
]

AGENCY = {
    "name": "Eurocollect Incasso B.V.",
    "is_company": True,
    "street": "Stationsplein 45",
    "zip": "3013 AK",
    "city": "Rotterdam",
    "country": "NL",
    "email": "dossiers@eurocollect.example",
    "phone": "+31102041880",
}

# The demo customers; a ``contact`` receives the reminders (dunning contact).
CUSTOMERS = {
    "vanderlinden": {
        "name": "Bakkerij Van der Linden B.V.",
        "is_company": True,
        "street": "Haarlemmerdijk 112",
        "zip": "1013 JG",
        "city": "Amsterdam",
        "country": "NL",
        "email": "administratie@bakkerijvanderlinden.example",
        "phone": "+31612345678",
    },
    "groenhart": {
        "name": "Groenhart Installatietechniek B.V.",
        "is_company": True,
        "street": "Kanaalweg 31",
        "zip": "3526 KL",
        "city": "Utrecht",
        "country": "NL",
        "email": "info@groenhart.example",
        "phone": "+31620481937",
        "contact": {
            "name": "Marieke Jansen (crediteurenadministratie)",
            "email": "crediteuren@groenhart.example",
            "phone": "+31638204715",
        },
    },
    "deboer": {
        "name": "Sanne de Boer",
        "is_company": False,
        "street": "Nieuwe Binnenweg 220b",
        "zip": "3021 GP",
        "city": "Rotterdam",
        "country": "NL",
        "email": "sanne.deboer@mail.example",
        "phone": "+31651193027",
    },
    "sablon": {
        "name": "Brasserie Le Petit Sablon SRL",
        "is_company": True,
        "street": "Rue de Rollebeek 14",
        "zip": "1000",
        "city": "Bruxelles",
        "country": "BE",
        "email": "comptabilite@petitsablon.example",
        "phone": "+32478552190",
    },
    "vandenberghe": {
        "name": "Vandenberghe Bouw NV",
        "is_company": True,
        "street": "Industrieweg 88",
        "zip": "9032",
        "city": "Gent",
        "country": "BE",
        "email": "boekhouding@vandenberghe-bouw.example",
        "phone": "+32470123456",
    },
    "peeters": {
        "name": "Lucas Peeters",
        "is_company": False,
        "street": "Lange Kievitstraat 57",
        "zip": "2018",
        "city": "Antwerpen",
        "country": "BE",
        "email": "lucas.peeters@mail.example",
        "phone": "+32495671204",
    },
    "nordvik": {
        "name": "Nordvik Logistik AB",
        "is_company": True,
        "street": "Lindholmspiren 9",
        "zip": "417 56",
        "city": "Göteborg",
        "country": "SE",
        "email": "ekonomi@nordvik.example",
        "phone": "+46701234567",
    },
    "lindqvist": {
        "name": "Karin Lindqvist",
        "is_company": False,
        "street": "Svartbäcksgatan 23",
        "zip": "753 20",
        "city": "Uppsala",
        "country": "SE",
        "email": "karin.lindqvist@mail.example",
        "phone": "+46739912045",
    },
    "hofmann": {
        "name": "Hofmann Maschinenbau GmbH",
        "is_company": True,
        "street": "Pragstraße 140",
        "zip": "70376",
        "city": "Stuttgart",
        "country": "DE",
        "email": "buchhaltung@hofmann-maschinenbau.example",
        "phone": "+4915123456789",
    },
    "becker": {
        # No phone number: his SMS reminders fail, for the failed-sends list.
        "name": "Jonas Becker",
        "is_company": False,
        "street": "Karl-Liebknecht-Straße 61",
        "zip": "04275",
        "city": "Leipzig",
        "country": "DE",
        "email": "jonas.becker@mail.example",
    },
    "ashworth": {
        "name": "Ashworth & Gale Ltd",
        "is_company": True,
        "street": "21 Deansgate",
        "zip": "M3 2BA",
        "city": "Manchester",
        "country": "GB",
        "email": "accounts@ashworthgale.example",
        "phone": "+447911123456",
    },
    "thistle": {
        "name": "Thistle Print Studio Ltd",
        "is_company": True,
        "street": "8 Leith Walk",
        "zip": "EH6 5AA",
        "city": "Edinburgh",
        "country": "GB",
        "email": "hello@thistleprint.example",
        "phone": "+447723456789",
    },
    "bennett": {
        "name": "Oliver Bennett",
        "is_company": False,
        "street": "14 Cotham Hill",
        "zip": "BS6 6LA",
        "city": "Bristol",
        "country": "GB",
        "email": "oliver.bennett@mail.example",
        "phone": "+447400123456",
    },
}

# Invoices: key -> (customer, due date in days from today, [(label, qty, price)]).
# Each is invoiced 30 days before its due date. The comment says where it stands
# today; the levels of the demo ladder come at -3, 3, 7, 14 and 30 days.
INVOICES = {
    # Paid two days after the firm reminder, with its WIK compensation.
    "vanderlinden_paid": (
        "vanderlinden",
        -50,
        [("Sourdough starter and flour, monthly supply", 14, 165.00)],
    ),
    # At the firm reminder, WIK compensation charged.
    "vanderlinden_firm": (
        "vanderlinden",
        -9,
        [("Proofing baskets and linen", 40, 37.00)],
    ),
    # Promised to pay after the reminder and kept the promise.
    "groenhart_kept": (
        "groenhart",
        -35,
        [("Heat pump maintenance contract, Q2", 1, 3960.00)],
    ),
    # New: not due yet.
    "groenhart_new": (
        "groenhart",
        20,
        [("Underfloor heating manifold", 5, 1055.00)],
    ),
    # A consumer who paid after the first reminder.
    "deboer_paid": ("deboer", -45, [("Bicycle service, full", 1, 89.00)]),
    # At the firm reminder; compensation refused: the 14-day letter term runs.
    "deboer_firm": ("deboer", -10, [("Bicycle lights and lock", 1, 129.95)]),
    # Partly paid after the reminder, the rest after the final notice: the
    # interest charged at the final notice is waived automatically.
    "sablon_paid": (
        "sablon",
        -30,
        [("Espresso machine servicing", 1, 445.60), ("Coffee beans, 20 kg", 20, 40)],
    ),
    # Disputed after the firm reminder, five weeks ago.
    "sablon_dispute": (
        "sablon",
        -40,
        [("Terrace heaters", 4, 717.50)],
    ),
    # Handed over to the agency, which has the case.
    "vandenberghe_agency": (
        "vandenberghe",
        -95,
        [("Scaffolding rental, 6 weeks", 1, 18750.00)],
    ),
    # At the first reminder.
    "vandenberghe_reminder": (
        "vandenberghe",
        -5,
        [("Concrete formwork panels", 40, 103.00)],
    ),
    # A consumer at the first reminder.
    "peeters_reminder": ("peeters", -4, [("Kitchen tap, installed", 1, 189.00)]),
    # Friendly reminder: due in two days.
    "nordvik_friendly": (
        "nordvik",
        2,
        [("Pallet racking inspection", 1, 24500.00)],
    ),
    # Promised to pay after the firm reminder; its compensation waived.
    "nordvik_promise": (
        "nordvik",
        -16,
        [("Forklift rental, May", 3, 20400.00)],
    ),
    # A consumer handed over to the agency, who then paid it.
    "lindqvist_recovered": (
        "lindqvist",
        -50,
        [("Sofa, three-seater", 1, 4350.00)],
    ),
    # Paid two days after the first reminder.
    "hofmann_paid": (
        "hofmann",
        -38,
        [("CNC spindle overhaul", 1, 7890.00)],
    ),
    # Handed over, recalled for a payment plan, partly paid, promise to pay.
    "hofmann_recalled": (
        "hofmann",
        -65,
        [("Hydraulic press tooling", 2, 6200.00)],
    ),
    # At the first reminder.
    "hofmann_reminder": (
        "hofmann",
        -6,
        [("Spare parts kit", 12, 270.00)],
    ),
    # A consumer at the final notice; his SMS reminders failed (no number).
    "becker_final": ("becker", -18, [("Laptop repair", 1, 649.00)]),
    # At the final notice, with compensation and interest.
    "ashworth_final": (
        "ashworth",
        -20,
        [("Office fit-out, stage 2", 1, 4800.00)],
    ),
    # Blocked (other reason) after the friendly reminder.
    "ashworth_blocked": (
        "ashworth",
        -25,
        [("Returnable pallets", 24, 40.00)],
    ),
    # Broke its promise to pay: at the final notice.
    "thistle_broken": (
        "thistle",
        -28,
        [("Exhibition banners", 10, 215.00)],
    ),
    # New: not due yet.
    "thistle_new": ("thistle", 12, [("Business cards, 2,000", 4, 330.00)]),
    # A consumer handed over to the agency, the case written off.
    "bennett_written_off": (
        "bennett",
        -75,
        [("Garden landscaping, deposit", 1, 420.00)],
    ),
}

# What people do on the days of the replay, before that day's run:
# (day from today, action, invoice, options). Amounts are in the invoice's
# currency; a block lasts ``days`` days from the day it is recorded.
# Invoices of the months before the replay, already paid: (due, in days from today;
# amount; days after the due date it was paid). They give the customers a payment
# history that the run reads into segments: Van der Linden paid on the day (usual,
# with this month's reminders), Nordvik now and then late, Ashworth & Gale often
# late, Hofmann weeks late (both chronic).
PAYMENT_HISTORY = {
    "vanderlinden": [
        (-330, 1180.0, 0),
        (-290, 960.0, 0),
        (-250, 1240.0, 0),
        (-210, 1010.0, 0),
        (-170, 1120.0, 0),
    ],
    "nordvik": [(-300, 14500.0, 4), (-240, 12800.0, 0), (-180, 16900.0, 0)],
    "ashworth": [(-320, 780.0, 16), (-250, 640.0, 0), (-190, 910.0, 21)],
    "hofmann": [(-310, 4200.0, 44), (-240, 3650.0, 38), (-170, 5100.0, 57)],
}

# An A/B test of the reminder, on a policy of its own (one level: the reminder 3
# days after the due date): forty kiosks get the shipped reminder (A), forty the
# same reminder whose subject offers to pay in one click (B). Their invoices fell due
# AB_TEST_DUE days ago; 4 days after the reminder, AB_TEST_PAID_QUICKLY of each
# variant's kiosks paid, the rest AB_TEST_PAID_LATER days after their due date.
AB_TEST_KIOSKS = 40
AB_TEST_DUE = -70
AB_TEST_PAID_QUICKLY = {"A": 12, "B": 24}
AB_TEST_PAID_LATER = 30

SCRIPT = [
    (-60, "task_stage", "vandenberghe_agency", {"stage": "with_agency"}),
    (-41, "pay", "vanderlinden_paid", {"with_charges": True}),
    (-40, "pay", "deboer_paid", {}),
    (-33, "pay", "hofmann_paid", {}),
    (
        -31,
        "block",
        "groenhart_kept",
        {"reason": "promise", "days": 7, "note": "Will pay within the week"},
    ),
    (
        -31,
        "block",
        "sablon_dispute",
        {
            "reason": "dispute",
            "days": 45,
            "note": "Disputes the quantity on delivery note BL-4471",
        },
    ),
    (-28, "recall", "hofmann_recalled", {}),
    (
        -28,
        "block",
        "hofmann_recalled",
        {
            "reason": "promise",
            "days": 38,
            "note": "Payment plan: three instalments of EUR 4,000",
        },
    ),
    (-26, "pay", "groenhart_kept", {}),
    (-25, "pay", "sablon_paid", {"amount": 600.00}),
    (
        -24,
        "block",
        "ashworth_blocked",
        {
            "reason": "other",
            "days": 30,
            "note": "Awaiting our credit note for the returned pallets (RMA 2291)",
        },
    ),
    (-20, "pay", "hofmann_recalled", {"amount": 4000.00}),
    (
        -20,
        "block",
        "thistle_broken",
        {"reason": "promise", "days": 7, "note": "Will pay by the end of the week"},
    ),
    (-12, "pay", "sablon_paid", {}),
    (-10, "write_off", "bennett_written_off", {}),
    (-8, "pay", "lindqvist_recovered", {}),
    (
        -6,
        "block",
        "nordvik_promise",
        {"reason": "promise", "days": 11, "note": "Paid in their next payment run"},
    ),
    (
        -6,
        "waive",
        "nordvik_promise",
        {"reason": "Goodwill: long-standing customer, promise to pay"},
    ),
    # Jonas Becker cannot pay his repair at once: three monthly instalments.
    (-3, "plan", "becker_final", {"count": 3, "first_in_days": 7}),
    # Customers answer their reminders by email, through the mail gateway.
    (
        -1,
        "reply",
        "vandenberghe_reminder",
        {
            "text": "Goedemiddag,\n\nBedankt voor de herinnering. Wij betalen op "
            "vrijdag, samen met de andere facturen van deze maand.\n\n"
            "Met vriendelijke groet,\nAn Vandenberghe"
        },
    ),
    (
        0,
        "reply",
        "peeters_reminder",
        {
            "text": "Ik ben afwezig tot en met 30 november en lees mijn e-mail niet.",
            "subject": "Automatisch antwoord: afwezig",
            "automatic": True,
        },
    ),
]


def populate(env):
    """Create the demo data in the current company of ``env``; see DemoData."""
    return DemoData(env).populate()


class DemoData:
    """What the demo data is made of, built through the addon's own methods."""

    def __init__(self, env):
        self.env = env
        # The payments of the A/B test's kiosks, by day offset (see _ab_test).
        self.ab_payments = {}
        # The invoices of the customers who saved a card (see _saved_methods).
        self.saved_methods = {}

    def populate(self):
        """Create the demo customers, their invoices and the job's history up to
        today, in the current company. Returns the invoices by their key in
        INVOICES."""
        today = fields.Date.context_today(self.env.user)
        company = self.env.company
        # The install hook gives each company its default policy only after the
        # demo data: give it now, so that Odoo's own demo invoices are replayed too.
        self.env["res.company"].search([])._dunning_ensure_default_policy()
        policy = self._policy(company)
        self._rules(company, policy)
        self._bank_account(company)
        customers = self._customers(company, policy)
        self._payment_history(company, customers, today)
        moves = self._invoices(company, customers, today)
        self._ab_test(company, today)
        self.saved_methods = self._saved_methods(company, policy, today)
        self._replay(moves, today)
        return moves

    def _bank_account(self, company):
        """The company's IBAN that the invoices name for transfers; with a QR
        method installed (account_qr_code_sepa in the demo), the invoices and the
        reminders in euros carry the code that pays them."""
        Bank = self.env["res.partner.bank"]
        account = Bank.search(
            [("acc_number", "=", DEMO_IBAN), ("partner_id", "=", company.partner_id.id)]
        ) or Bank.create(
            {
                "acc_number": DEMO_IBAN,
                "partner_id": company.partner_id.id,
                "acc_holder_name": company.name,
                "allow_out_payment": True,
            }
        )
        if Bank.get_available_qr_methods_in_sequence():
            company.qr_code = True
        return account

    def _policy(self, company):
        """The policy of the demo customers (see LADDER), with the agency."""
        agency = self._partner(AGENCY)
        return self.env["dunning.policy"].create(
            {
                "name": "Statutory dunning (customer's country)",
                "company_id": company.id,
                "legal_profile": "by_customer",
                "agency_partner_id": agency.id,
                "handoff_mail_agency": True,
                "user_id": self._user().id,
                "waive_interest_days": 14,
                "thankyou_template_id": self.env.ref(
                    "dunning_escalation.mail_template_dunning_thankyou"
                ).id,
                "level_ids": [
                    Command.create(
                        {
                            "sequence": sequence,
                            "name": name,
                            "delay_days": delay,
                            **{
                                field: self.env.ref(value).id
                                if field.endswith("_id")
                                else value
                                for field, value in options.items()
                            },
                        }
                    )
                    for sequence, name, delay, options in LADDER
                ],
            }
        )

    def _rules(self, company, policy):
        """Customers without a policy of their own who pay late or worse (Odoo's
        demo customers, say) get the demo's statutory policy, chosen by their
        payment segment as the replay reads it."""
        return self.env["dunning.policy.rule"].create(
            [
                {
                    "sequence": 10,
                    "name": "Chronic payers",
                    "segment": "chronic",
                    "policy_id": policy.id,
                    "company_id": company.id,
                },
                {
                    "sequence": 20,
                    "name": "Late payers",
                    "segment": "late",
                    "policy_id": policy.id,
                    "company_id": company.id,
                },
            ]
        )

    def _partner(self, values, parent=None):
        """A partner of ``values`` (as in CUSTOMERS), an invoice address of
        ``parent`` when given."""
        values = dict(values)
        country = values.pop("country", None)
        values.pop("contact", None)
        if country:
            values["country_id"] = (
                self.env["res.country"].search([("code", "=", country)], limit=1).id
            )
        if parent:
            values.update(parent_id=parent.id, type="invoice")
        return self.env["res.partner"].create(values)

    def _customers(self, company, policy):
        """The customers by their key in CUSTOMERS, under ``policy``."""
        customers = {}
        for key, values in CUSTOMERS.items():
            customer = self._partner(values)
            if values.get("contact"):
                contact = self._partner(values["contact"], customer)
                customer.dunning_contact_id = contact
            customer.with_company(company).dunning_policy_id = policy
            customers[key] = customer
        return customers

    def _currency(self, company, country_code, today):
        """The currency of the country, active, with a rate in ``company``."""
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", CURRENCY_BY_COUNTRY[country_code])], limit=1)
        )
        if not currency.active:
            currency.active = True
        Rate = self.env["res.currency.rate"]
        own = company.currency_id
        has_rate = currency == own or Rate.search_count(
            [
                ("currency_id", "=", currency.id),
                ("company_id", "in", [False, company.root_id.id]),
            ],
            limit=1,
        )
        if not has_rate and own.name in UNITS_PER_USD:
            Rate.create(
                {
                    "currency_id": currency.id,
                    "company_id": company.root_id.id,
                    "name": today - datetime.timedelta(days=365),
                    "rate": UNITS_PER_USD[currency.name] / UNITS_PER_USD[own.name],
                }
            )
        return currency

    def _invoices(self, company, customers, today):
        """The posted invoices by their key in INVOICES, created oldest first."""
        keys = sorted(INVOICES, key=lambda key: INVOICES[key][1])
        salesperson = self._user()
        vals_list = []
        for key in keys:
            customer_key, due_in, lines = INVOICES[key]
            customer = customers[customer_key]
            due = today + datetime.timedelta(days=due_in)
            vals_list.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "invoice_user_id": salesperson.id,
                    "invoice_date": due - datetime.timedelta(days=30),
                    "invoice_date_due": due,
                    "currency_id": self._currency(
                        company, customer.country_id.code, today
                    ).id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": label,
                                "quantity": quantity,
                                "price_unit": price,
                                "tax_ids": [],
                            }
                        )
                        for label, quantity, price in lines
                    ],
                }
            )
        moves = self.env["account.move"].with_company(company).create(vals_list)
        moves.action_post()
        return dict(zip(keys, moves, strict=True))

    def _payment_history(self, company, customers, today):
        """The paid invoices of PAYMENT_HISTORY, each paid the days it says after
        its due date."""
        Move = self.env["account.move"].with_company(company)
        for key, invoices in PAYMENT_HISTORY.items():
            customer = customers[key]
            currency = self._currency(company, customer.country_id.code, today)
            for due_in, amount, late in invoices:
                due = today + datetime.timedelta(days=due_in)
                move = Move.create(
                    {
                        "move_type": "out_invoice",
                        "partner_id": customer.id,
                        "invoice_user_id": self._user().id,
                        "invoice_date": due - datetime.timedelta(days=30),
                        "invoice_date_due": due,
                        "currency_id": currency.id,
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "name": "Supplies",
                                    "quantity": 1,
                                    "price_unit": amount,
                                    "tax_ids": [],
                                }
                            )
                        ],
                    }
                )
                move.action_post()
                paid_on = due + datetime.timedelta(days=late)
                self.env["account.payment.register"].with_context(
                    active_model="account.move", active_ids=move.ids
                ).create({"payment_date": paid_on})._create_payments()

    def _ab_test(self, company, today):
        """The kiosks of the A/B test, their policy with the two variants of its
        reminder, and their invoices; their payments wait in ``self.ab_payments``
        ({day offset: invoices}) for the replay."""
        reminder = self.env.ref("dunning_escalation.mail_template_dunning_level_1")
        short = reminder.copy(
            {"subject": "Pay invoice {{ object.name or '' }} in one click"}
        )
        # A copy is named "... (copy)" whatever it is given.
        short.name = "Dunning: reminder, pay in one click"
        policy = self.env["dunning.policy"].create(
            {
                "name": "Kiosks (A/B test of the reminder)",
                "company_id": company.id,
                "user_id": self._user().id,
                "level_ids": [
                    Command.create(
                        {
                            "sequence": 10,
                            "name": "Reminder",
                            "delay_days": 3,
                            "mail_template_id": reminder.id,
                        }
                    )
                ],
            }
        )
        level = policy.level_ids
        variants = self.env["dunning.level.variant"].create(
            [
                {"level_id": level.id, "name": "A", "sequence": 1},
                {
                    "level_id": level.id,
                    "name": "B",
                    "sequence": 2,
                    "mail_template_id": short.id,
                },
            ]
        )
        country = self.env["res.country"].search([("code", "=", "NL")], limit=1)
        kiosks = {variant: [] for variant in variants}
        number = 0
        while any(len(chosen) < AB_TEST_KIOSKS for chosen in kiosks.values()):
            number += 1
            kiosk = self.env["res.partner"].create(
                {
                    "name": f"Kiosk {number:03d}",
                    "email": f"kiosk{number:03d}@example.com",
                    "is_company": True,
                    "country_id": country.id,
                }
            )
            chosen = kiosks[level._variant_for(kiosk)]
            if len(chosen) < AB_TEST_KIOSKS:
                kiosk.with_company(company).dunning_policy_id = policy
                chosen.append(kiosk)
            else:
                kiosk.unlink()
        due = today + datetime.timedelta(days=AB_TEST_DUE)
        currency = self._currency(company, "NL", today)
        for variant, partners in kiosks.items():
            moves = (
                self.env["account.move"]
                .with_company(company)
                .create(
                    [
                        {
                            "move_type": "out_invoice",
                            "partner_id": kiosk.id,
                            "invoice_date": due - datetime.timedelta(days=30),
                            "invoice_date_due": due,
                            "currency_id": currency.id,
                            "invoice_line_ids": [
                                Command.create(
                                    {
                                        "name": "Newspapers and magazines",
                                        "quantity": 1,
                                        "price_unit": 180.0,
                                        "tax_ids": [],
                                    }
                                )
                            ],
                        }
                        for kiosk in partners
                    ]
                )
            )
            moves.action_post()
            quickly = AB_TEST_PAID_QUICKLY[variant.name]
            for offset, paid in (
                (AB_TEST_DUE + 3 + 4, moves[:quickly]),
                (AB_TEST_DUE + AB_TEST_PAID_LATER, moves[quickly:]),
            ):
                self.ab_payments.setdefault(offset, self.env["account.move"])
                self.ab_payments[offset] |= paid
        return variants

    def _saved_methods(self, company, policy, today):
        """Two customers who saved a card on the portal (Odoo's demo provider,
        when payment_demo is installed): the reminder level charges it first.
        Bloemenhuis Jansen's card pays its invoice at the reminder; De Spaak's is
        refused, so its reminder goes out with the link to update it, and the
        run charges again 7 days after the due date. Returns their invoices by
        outcome."""
        provider = self.env["payment.provider"].search(
            [("code", "=", "demo"), ("company_id", "=", company.id)], limit=1
        )
        if not provider:
            return {}
        provider.state = "test"
        reminder = policy.level_ids.filtered(lambda level: level.delay_days == 3)
        reminder.write({"collect_token": True, "collect_retry_days": "7"})
        country = self.env["res.country"].search([("code", "=", "NL")], limit=1)
        currency = self._currency(company, "NL", today)
        method = self.env.ref("payment_demo.payment_method_demo")
        invoices = {}
        for outcome, name, email, due_in, amount in (
            (
                "done",
                "Bloemenhuis Jansen B.V.",
                "administratie@jansen.example",
                -10,
                640.0,
            ),
            ("error", "Fietsenmakerij De Spaak", "info@despaak.example", -4, 215.0),
        ):
            customer = self.env["res.partner"].create(
                {
                    "name": name,
                    "email": email,
                    "is_company": True,
                    "country_id": country.id,
                }
            )
            customer.with_company(company).dunning_policy_id = policy
            self.env["payment.token"].create(
                {
                    "provider_id": provider.id,
                    "payment_method_id": method.id,
                    "partner_id": customer.id,
                    "payment_details": "4242" if outcome == "done" else "0002",
                    "provider_ref": f"demo-{customer.id}",
                    "demo_simulated_state": outcome,
                }
            )
            due = today + datetime.timedelta(days=due_in)
            move = (
                self.env["account.move"]
                .with_company(company)
                .create(
                    {
                        "move_type": "out_invoice",
                        "partner_id": customer.id,
                        "invoice_date": due - datetime.timedelta(days=30),
                        "invoice_date_due": due,
                        "currency_id": currency.id,
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "name": "Plants and flowers, weekly delivery"
                                    if outcome == "done"
                                    else "Bicycle repairs",
                                    "quantity": 1,
                                    "price_unit": amount,
                                    "tax_ids": [],
                                }
                            )
                        ],
                    }
                )
            )
            move.action_post()
            invoices[outcome] = move
        return invoices

    def _replay(self, moves, today):
        """Run the daily job for each of the last REPLAY_DAYS days and today, the
        day's SCRIPT actions first, done by the demo user."""
        Move = self.env["account.move"]
        user = self._user()
        for offset in range(-REPLAY_DAYS, 1):
            day = today + datetime.timedelta(days=offset)
            for when, action, key, options in SCRIPT:
                if when == offset:
                    move = moves[key].with_user(user).with_context(dunning_date=day)
                    getattr(self, f"_{action}")(move, **options)
            for move in self.ab_payments.get(offset, []):
                self._pay(move.with_user(user).with_context(dunning_date=day))
            Move.with_context(dunning_date=day)._cron_dunning_run()

    def _user(self):
        """Who takes the users' steps and the calls: the current user, or the
        administrator when the superuser loads the demo data."""
        admin = self.env.ref("base.user_admin", raise_if_not_found=False)
        if self.env.user._is_superuser() and admin:
            return admin
        return self.env.user

    # ------------------------------------------------------------------
    # What users do during the replay: ``move`` is in the user's environment,
    # with the day of the replay as dunning_date.
    # ------------------------------------------------------------------

    def _pay(self, move, amount=None, with_charges=False):
        """Register a payment of ``amount`` (else in full) on the invoice, and of
        its open charges first when ``with_charges`` (the law's order pays them
        first anyway)."""
        to_pay = (move._dunning_open_charges() | move) if with_charges else move
        if not amount and not with_charges and move._dunning_payment_order():
            # In full where the law orders the payment: the charges come first, so
            # paying in full is paying them with the invoice.
            amount = move.amount_residual + sum(
                move._dunning_open_charges().mapped("amount_residual")
            )
        for invoice in to_pay:
            values = {"payment_date": move._dunning_today()}
            if amount and invoice == move:
                values["amount"] = amount
            move.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create(values)._create_payments()

    def _block(self, move, reason, days, note):
        """Block the invoice for ``days`` days from the day of the action."""
        until = move._dunning_today() + datetime.timedelta(days=days)
        move._dunning_check_actionable()._dunning_block(until, reason, note)

    def _waive(self, move, reason):
        """Waive the open charges of the invoice, through the waive wizard."""
        charges = move._dunning_open_charges()
        wizard = move.env["dunning.waive.wizard"].create(
            {"fee_move_ids": [Command.set(charges.ids)], "reason": reason}
        )
        wizard.action_confirm()

    def _plan(self, move, count, first_in_days):
        """Agree on a payment plan for the invoice: ``count`` monthly instalments,
        the first ``first_in_days`` after the day of the action."""
        plan = move.env["dunning.plan"].browse(
            move.action_dunning_payment_plan()["res_id"]
        )
        plan.write(
            {
                "instalment_count": count,
                "first_date": move._dunning_today()
                + datetime.timedelta(days=first_in_days),
            }
        )
        plan.action_compute_schedule()
        plan.action_agree()

    def _reply(self, move, text, subject=None, automatic=False):
        """The customer answers the invoice's last reminder by email: a raw
        message in answer to the reminder's Message-Id, through the mail gateway
        as the mail fetcher hands it over."""
        reminder = (
            move.env["dunning.event"]
            .sudo()
            .search(
                [
                    ("move_id", "=", move.id),
                    ("kind", "=", "email"),
                    ("state", "=", "done"),
                ],
                order="date desc, id desc",
                limit=1,
            )
            .mail_message_id
        )
        day = move._dunning_today()
        email = EmailMessage()
        email["From"] = formataddr((move.partner_id.name, move.partner_id.email))
        email["To"] = reminder.reply_to or reminder.email_from
        email["Subject"] = subject or f"Re: {reminder.subject}"
        email["Message-ID"] = make_msgid(domain=move.partner_id.email.split("@")[-1])
        email["In-Reply-To"] = reminder.message_id
        email["References"] = reminder.message_id
        email["Date"] = format_datetime(
            datetime.datetime.combine(day, datetime.time(9, 30), datetime.UTC)
        )
        if automatic:
            email["Auto-Submitted"] = "auto-replied"
        email.set_content(text)
        move.env["mail.thread"].sudo().message_process(False, email.as_bytes())

    def _recall(self, move):
        move.action_dunning_recall()

    def _write_off(self, move):
        self._task(move).action_dunning_write_off()

    def _task_stage(self, move, stage):
        """Move the invoice's collection task to ``stage`` (the agency's news)."""
        stage = move.env.ref(f"dunning_escalation.project_task_stage_{stage}")
        self._task(move).sudo().stage_id = stage

    def _task(self, move):
        """The collection task of the invoice, in the user's environment."""
        task = (
            move.env["project.task"]
            .sudo()
            .search([("dunning_move_ids", "in", move.ids)], limit=1)
        )
        return task.with_env(move.env)
