from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from ..demo import dunning_demo
from ..demo.dunning_demo import CUSTOMERS
from ..demo.dunning_demo import INVOICES
from .common import D


@tagged("post_install", "-at_install")
class TestDunningDemo(AccountTestInvoicingCommon):
    """The demo data, built as on 24 November 2026: every stage of the ladder is
    there, with the history the replayed job wrote."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2026-11-24"):
            cls.moves = dunning_demo.populate(cls.env)
        cls.invoices = cls.env["account.move"].union(*cls.moves.values())
        cls.policy = cls.invoices.dunning_policy_id
        cls.Event = cls.env["dunning.event"]

    def _events(self, kind, state="done"):
        return self.Event.search(
            [("move_id", "in", self.invoices.ids), ("kind", "=", kind)]
            + ([("state", "=", state)] if state else []),
            order="date, id",
        )

    def _by_key(self, records, value):
        """{invoice key: [value(record), ...]} of the records (invoices or events)."""
        keys = {move: key for key, move in self.moves.items()}
        result = {}
        for record in records:
            move = record if record._name == "account.move" else record.move_id
            result.setdefault(keys[move], []).append(value(record))
        return result

    def test_customers_and_profiles(self):
        customers = self.invoices.commercial_partner_id
        self.assertEqual(len(customers), len(CUSTOMERS))
        self.assertEqual(
            sorted(customers.country_id.mapped("code")), ["BE", "DE", "GB", "NL", "SE"]
        )
        profiles = {c.name: self.policy._legal_profile_for(c) for c in customers}
        self.assertEqual(
            profiles,
            {
                "Bakkerij Van der Linden B.V.": "nl_b2b",
                "Groenhart Installatietechniek B.V.": "nl_b2b",
                "Sanne de Boer": "nl_b2c",
                "Brasserie Le Petit Sablon SRL": "be_b2b",
                "Vandenberghe Bouw NV": "be_b2b",
                "Lucas Peeters": "be_b2c",
                "Nordvik Logistik AB": "se_b2b",
                "Karin Lindqvist": "se_b2c",
                "Hofmann Maschinenbau GmbH": "de_b2b",
                "Jonas Becker": "de_b2c",
                "Ashworth & Gale Ltd": "uk_b2b",
                "Thistle Print Studio Ltd": "uk_b2b",
                "Oliver Bennett": False,
            },
        )
        groenhart = self.moves["groenhart_new"].partner_id
        self.assertEqual(
            groenhart.dunning_contact_id.email, "crediteuren@groenhart.example"
        )
        self.assertEqual(
            sorted(set(self.invoices.currency_id.mapped("name"))), ["EUR", "GBP", "SEK"]
        )
        self.assertEqual(set(self.invoices.mapped("state")), {"posted"})

    def test_every_level_today(self):
        levels = {
            key: move.dunning_level_id.name or "new"
            for key, move in self.moves.items()
            if move.payment_state in ("not_paid", "partial")
        }
        self.assertEqual(
            levels,
            {
                "groenhart_new": "new",
                "thistle_new": "new",
                "nordvik_friendly": "Friendly reminder",
                "ashworth_blocked": "Friendly reminder",
                "vandenberghe_reminder": "Reminder",
                "peeters_reminder": "Reminder",
                "hofmann_reminder": "Reminder",
                "vanderlinden_firm": "Firm reminder",
                "deboer_firm": "Firm reminder",
                "sablon_dispute": "Firm reminder",
                "nordvik_promise": "Firm reminder",
                "becker_final": "Final notice",
                "ashworth_final": "Final notice",
                "thistle_broken": "Final notice",
                "vandenberghe_agency": "Collection agency",
                # Recalled: back at the last level before the agency.
                "hofmann_recalled": "Final notice",
                "bennett_written_off": "Collection agency",
            },
        )
        self.assertEqual(self.moves["hofmann_recalled"].payment_state, "partial")
        # 12,400.00 less its payment of 4,000.00, which settled the charges first
        # (BGB § 367): EUR 40 and 30 days at 10.52% (12,400 x 10.52% x 14/365 =
        # 50.04 on 4 October, 16/365 = 57.18 on 20 October), 147.22; 3,852.78 of
        # the invoice.
        self.assertEqual(self.moves["hofmann_recalled"].amount_residual, 8547.22)
        # Every invoice climbed the ladder one level at a time.
        self.assertFalse(self._events("skipped", state=None))
        self.assertEqual(self._events("email", state="failed").ids, [])

    def test_blocks_with_each_reason(self):
        blocked = self.invoices.filtered("dunning_blocked_until")
        self.assertEqual(
            self._by_key(
                blocked, lambda m: (m.dunning_block_reason, m.dunning_blocked_until)
            ),
            {
                "sablon_dispute": [("dispute", D(2026, 12, 8))],
                "nordvik_promise": [("promise", D(2026, 11, 29))],
                "hofmann_recalled": [("promise", D(2026, 12, 4))],
                "ashworth_blocked": [("other", D(2026, 11, 30))],
                # Replied on Monday 23 November: "wij betalen op vrijdag", paused
                # until the day after.
                "vandenberghe_reminder": [("promise", D(2026, 11, 28))],
                # Three instalments from 28 November: the last of 28 January,
                # and the policy's 7 days to pay it (paused through 4 February).
                "becker_final": [("plan", D(2027, 2, 5))],
            },
        )
        self.assertEqual(
            self._by_key(self._events("unblock"), lambda e: (e.date, e.reason)),
            {
                "groenhart_kept": [(D(2026, 10, 31), "Promise kept")],
                "thistle_broken": [
                    (
                        D(2026, 11, 11),
                        "Promise to pay broken: still unpaid, dunning resumes",
                    )
                ],
            },
        )
        self.assertEqual(len(self._events("dispute")), 1)
        self.assertEqual(len(self._events("promise")), 5)
        # Ashworth's, and Hofmann's pause after the recall (since replaced by
        # the promise to pay).
        self.assertEqual(len(self._events("block")), 2)

    def test_customers_are_segmented_by_how_they_paid(self):
        behaviours = self.env["dunning.behaviour"].search(
            [("partner_id", "in", self.invoices.commercial_partner_id.ids)]
        )
        segments = {b.partner_id.name: b.segment for b in behaviours}
        # Those with a payment history before the replay; the others have too
        # few invoices yet.
        self.assertEqual(
            {name: segment for name, segment in segments.items() if segment != "new"},
            {
                "Ashworth & Gale Ltd": "chronic",
                "Hofmann Maschinenbau GmbH": "chronic",
                "Nordvik Logistik AB": "late",
                "Bakkerij Van der Linden B.V.": "usual",
            },
        )
        self.assertEqual(len(segments), len(CUSTOMERS))
        hofmann = behaviours.filtered(lambda b: b.partner_id.name.startswith("Hof"))
        self.assertTrue(hofmann.reason.startswith("6 of 6 invoices paid late"))
        # The demo's rules (late and chronic payers) choose no policy for them:
        # each has its own.
        rules = self.env["dunning.policy.rule"].search(
            [("policy_id", "=", self.policy.id)]
        )
        self.assertEqual(rules.mapped("segment"), ["chronic", "late"])

    def test_an_a_b_test_with_a_verdict(self):
        level = self.env["dunning.level"].search(
            [("policy_id.name", "=", "Kiosks (A/B test of the reminder)")]
        )
        variants = level.with_context(dunning_date="2026-11-24").variant_ids
        # 12 of A's 40 kiosks and 24 of B's paid 4 days after the reminder, the
        # others 27 days after it.
        self.assertRecordValues(
            variants,
            [
                {"name": "A", "sent_count": 40, "recovered_07": 30.0},
                {"name": "B", "sent_count": 40, "recovered_07": 60.0},
            ],
        )
        self.assertEqual(variants.mapped("recovered_30"), [100.0, 100.0])
        # z = 0.3 / sqrt(0.45 x 0.55 x 2/40) = 2.70: 99.3%.
        self.assertEqual(
            level.with_context(dunning_date="2026-11-24").ab_verdict,
            "B recovers 30 points more within 14 days than A; 99% confidence",
        )

    def test_customers_who_saved_a_card(self):
        def invoice_of(name):
            return self.env["account.move"].search(
                [("partner_id.name", "=", name), ("move_type", "=", "out_invoice")]
            )

        paid = invoice_of("Bloemenhuis Jansen B.V.")
        refused = invoice_of("Fietsenmakerij De Spaak")
        # The card paid at the reminder (due 10 days before the 24th): the
        # friendly reminder before the due date was the only mail.
        charge = self.Event.search(
            [("move_id", "=", paid.id), ("kind", "=", "collect")]
        )
        self.assertRecordValues(
            charge, [{"state": "done", "amount": 640.0, "date": D(2026, 11, 17)}]
        )
        self.assertEqual(charge.level_id.name, "Reminder")
        self.assertIn(paid.payment_state, ("paid", "in_payment"))
        mails = self.Event.search([("move_id", "=", paid.id), ("kind", "=", "email")])
        self.assertEqual(mails.level_id.mapped("name"), ["Friendly reminder"])
        # The other card was refused: the reminder went out, saying so.
        charge = self.Event.search(
            [("move_id", "=", refused.id), ("kind", "=", "collect")]
        )
        self.assertRecordValues(
            charge, [{"state": "failed", "amount": 215.0, "date": D(2026, 11, 23)}]
        )
        mail = self.env["mail.mail"].search(
            [("model", "=", "account.move"), ("res_id", "=", refused.id)],
            order="id desc",
            limit=1,
        )
        self.assertIn("We could not charge your saved payment method", mail.body_html)
        self.assertIn("/my/payment_method", mail.body_html)

    def test_a_payment_plan_runs(self):
        plan = self.env["dunning.plan"].search(
            [("move_ids", "in", self.moves["becker_final"].ids)]
        )
        self.assertRecordValues(
            plan,
            [
                {
                    "state": "running",
                    "date_start": D(2026, 11, 21),
                    "amount_total": 649.0,
                    "amount_paid": 0.0,
                }
            ],
        )
        self.assertRecordValues(
            plan.instalment_ids,
            [
                {"date": D(2026, 11, 28), "amount": 216.33},
                {"date": D(2026, 12, 28), "amount": 216.33},
                {"date": D(2027, 1, 28), "amount": 216.34},
            ],
        )
        self.assertEqual(len(self._events("plan")), 1)

    def test_replies_to_reminders(self):
        replies = self._events("reply")
        self.assertEqual(
            self._by_key(
                replies,
                lambda e: (
                    e.date,
                    e.reply_reading,
                    e.reply_date,
                    e.reply_paused_until,
                    e.reply_status,
                ),
            ),
            {
                "vandenberghe_reminder": [
                    (
                        D(2026, 11, 23),
                        "promise",
                        D(2026, 11, 27),
                        D(2026, 11, 28),
                        "to_check",
                    )
                ],
                # An out-of-office: nothing paused, nothing to check.
                "peeters_reminder": [
                    (D(2026, 11, 24), "auto_reply", False, False, False)
                ],
            },
        )
        vandenberghe = self.moves["vandenberghe_reminder"]
        self.assertEqual(
            vandenberghe.activity_ids.mapped("summary"),
            ["Vandenberghe Bouw NV replied: Promise to Pay on 11/27/2026"],
        )
        self.assertFalse(self.moves["peeters_reminder"].activity_ids)
        # The replies are in the invoices' threads, below their reminders.
        for reply in replies:
            self.assertEqual(reply.mail_message_id.message_type, "email")
            self.assertEqual(reply.mail_message_id.res_id, reply.move_id.id)

    def test_paid_after_a_reminder(self):
        paid = self._events("paid")
        self.assertEqual(
            self._by_key(paid, lambda e: (e.date, e.reason, e.recovery)),
            {
                "vanderlinden_paid": [
                    (D(2026, 10, 14), "Paid in full after Firm reminder", "07")
                ],
                "deboer_paid": [(D(2026, 10, 15), "Paid in full after Reminder", "07")],
                "hofmann_paid": [
                    (D(2026, 10, 22), "Paid in full after Reminder", "07")
                ],
                "groenhart_kept": [
                    (D(2026, 10, 29), "Paid in full after Reminder", "07")
                ],
                "sablon_paid": [
                    (D(2026, 11, 12), "Paid in full after Final notice", "07")
                ],
                "lindqvist_recovered": [
                    (
                        D(2026, 11, 16),
                        "Paid in full after Collection agency; the late-payment "
                        "charges on it are still open and dunned",
                        "07",
                    )
                ],
            },
        )
        # A thank-you mail for each, queued; Karin Lindqvist's once her
        # compensation is paid too.
        self.assertEqual(len(paid.mail_message_id), 5)
        self.assertEqual(
            paid.filtered("thanks_pending").move_id, self.moves["lindqvist_recovered"]
        )
        mails = self.env["mail.mail"].search(
            [("mail_message_id", "in", paid.mail_message_id.ids)]
        )
        self.assertEqual(len(mails), 5)
        # The reminders before those payments, by how soon each was paid.
        reminders = self._events("email").filtered(lambda e: e.recovery != "open")
        self.assertEqual(
            sorted(reminders.mapped("recovery")),
            ["07"] * 6 + ["14"] * 5 + ["30"] * 3 + ["later"] * 3,
        )

    def test_charges_follow_the_legal_profile(self):
        fees = self._events("fee", state=None)
        self.assertEqual(
            self._by_key(
                fees, lambda e: (e.state, e.amount, e.fee_move_id.payment_state)
            ),
            {
                "vanderlinden_paid": [("done", 346.5, "paid")],  # WIK: 15%
                "vanderlinden_firm": [("done", 222.0, "not_paid")],
                "vandenberghe_agency": [("done", 40.0, "not_paid")],
                # Its partial payment settled the charges first (BGB § 367).
                "hofmann_recalled": [("done", 40.0, "paid")],
                "lindqvist_recovered": [("done", 180.0, "not_paid")],  # SEK
                # Paid in full: the charges with the invoice (art. 5.210).
                "sablon_paid": [("done", 40.0, "paid")],
                "thistle_broken": [("done", 70.0, "not_paid")],  # GBP
                "sablon_dispute": [("done", 40.0, "not_paid")],
                "ashworth_final": [("done", 70.0, "not_paid")],
                # Waived as goodwill with a credit note.
                "nordvik_promise": [("cancelled", 450.0, "reversed")],
                # A Dutch consumer: not before the 14-day term has run.
                "deboer_firm": [("waiting", 0.0, False)],
                # A British consumer: no late-payment law of ours, nothing
                # statutory (at the final notice and at the agency).
                "bennett_written_off": [
                    ("cancelled", 0.0, False),
                    ("cancelled", 0.0, False),
                ],
            },
        )
        refused = fees.filtered(lambda e: e.move_id == self.moves["deboer_firm"])
        self.assertIn("waiting period", refused.reason)
        interest = self._events("interest", state=None)
        self.assertEqual(
            self._by_key(interest, lambda e: (e.date, e.state)),
            {
                "vandenberghe_agency": [
                    (D(2026, 9, 4), "done"),
                    (D(2026, 9, 20), "done"),
                ],
                "hofmann_recalled": [
                    (D(2026, 10, 4), "done"),
                    (D(2026, 10, 20), "done"),
                ],
                "lindqvist_recovered": [
                    (D(2026, 10, 19), "done"),
                    # Paid within 14 days of the charge: waived by itself.
                    (D(2026, 11, 4), "cancelled"),
                ],
                # Paid in full, interest included: nothing left to forgive.
                "sablon_paid": [(D(2026, 11, 8), "done")],
                "thistle_broken": [(D(2026, 11, 11), "done")],
                "ashworth_final": [(D(2026, 11, 18), "done")],
                "becker_final": [(D(2026, 11, 20), "done")],
                # No late-payment law of ours for a British consumer.
                "bennett_written_off": [
                    (D(2026, 9, 24), "cancelled"),
                    (D(2026, 10, 10), "cancelled"),
                ],
            },
        )
        # UK: base rate 3.75 of 30 June + 8, fixed for the life of the debt.
        # 4,800.00 x 11.75% x 14 / 365 and 2,150.00 x 11.75% x 15 / 365.
        self.assertEqual(
            self._by_key(
                interest.filtered(
                    lambda e: e.move_id.currency_id.name == "GBP" and e.state == "done"
                ),
                lambda e: e.amount,
            ),
            {"ashworth_final": [21.63], "thistle_broken": [10.38]},
        )

    def test_agency_cases(self):
        tasks = self._events("handoff", state=None).task_id
        self.assertEqual(
            {task.name: task.stage_id.name for task in tasks},
            {
                "Collection: Vandenberghe Bouw NV": "With Agency",
                # Its one invoice recalled: the case is closed as Recalled.
                "Collection: Hofmann Maschinenbau GmbH": "Recalled",
                "Collection: Oliver Bennett": "Written Off",
                # The invoice is paid, its compensation (SEK 180, paid as
                # registered in Sweden) is not: the case stays open for it.
                "Collection: Karin Lindqvist": "To Hand Over",
            },
        )
        self.assertFalse(tasks.filtered(lambda t: "Hofmann" in t.name).dunning_move_ids)
        self.assertEqual(
            set(tasks.project_id.ids),
            {self.env.ref("dunning_escalation.project_collections").id},
        )
        self.assertEqual(tasks.partner_id, self.policy.agency_partner_id)
        case_files = self.env["ir.attachment"].search(
            [("res_model", "=", "project.task"), ("res_id", "in", tasks.ids)]
        )
        self.assertEqual(len(case_files), 4)
        self.assertEqual(
            self._by_key(self._events("handoff", state=None), lambda e: e.date),
            {
                "vandenberghe_agency": [D(2026, 9, 20)],
                "hofmann_recalled": [D(2026, 10, 20)],
                "bennett_written_off": [D(2026, 10, 10)],
                "lindqvist_recovered": [D(2026, 11, 4)],
            },
        )
        self.assertEqual(
            self.invoices.filtered("dunning_handed_off"),
            self.moves["vandenberghe_agency"]
            | self.moves["bennett_written_off"]
            | self.moves["lindqvist_recovered"],
        )
        self.assertEqual(len(self._events("recall")), 1)
        self.assertEqual(
            self._events("handoff", state="cancelled").agency_outcome, "recalled"
        )
        self.assertEqual(len(self._events("write_off")), 1)

    def test_channels(self):
        self.assertEqual(len(self._events("email")), 61)
        self.assertEqual(len(self._events("sms")), 19)
        letters = self._events("letter")
        self.assertEqual(len(letters), 8)
        self.assertTrue(all(letters.mapped("letter_registered")))
        self.assertEqual(
            letters.attachment_id.mapped("mimetype"), ["application/pdf"] * 8
        )
        # Jonas Becker has no phone number: his SMS failed at both levels.
        failed = self._events("sms", state="failed")
        self.assertEqual(failed.move_id, self.moves["becker_final"])
        self.assertEqual(len(failed), 2)
        calls = self._events("call")
        self.assertEqual(len(calls), 8)
        self.assertEqual(set(calls.level_id.mapped("name")), {"Final notice"})
        # From the first friendly reminder, 98 days ago, to this morning's reply;
        # the last step was yesterday's.
        history = self.Event.search([("move_id", "in", self.invoices.ids)])
        self.assertEqual(min(history.mapped("date")), D(2026, 8, 18))
        self.assertEqual(max(history.mapped("date")), D(2026, 11, 24))
        steps = history.filtered(lambda e: e.kind != "reply")
        self.assertEqual(max(steps.mapped("date")), D(2026, 11, 23))
        self.assertEqual(len(INVOICES), len(self.invoices))
