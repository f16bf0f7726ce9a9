from unittest.mock import patch

from freezegun import freeze_time
from lxml import etree

from odoo.tests import tagged

from .common import D
from .common import DunningCase


@tagged("post_install", "-at_install")
class TestDunningLevels(DunningCase):
    def test_level_by_age(self):
        invoice = self._invoice("2026-03-10")
        expected = [
            ("2026-03-12", self.env["dunning.level"]),  # 2 days late: nothing yet
            ("2026-03-13", self.level_1),  # 3 days
            ("2026-03-16", self.level_1),
            ("2026-03-17", self.level_2),  # 7 days
            ("2026-03-24", self.level_3),  # 14 days
        ]
        for day, level in expected:
            self._run(day)
            with self.subTest(day=day):
                self.assertEqual(invoice.dunning_level_id, level)
        self.assertEqual(invoice.dunning_last_date, D(2026, 3, 24))
        self.assertEqual(invoice.dunning_next_date, D(2026, 4, 9))
        emails = self._events(invoice, "email")
        self.assertEqual(emails.level_id, self.level_1 | self.level_2 | self.level_3)
        self.assertEqual(set(emails.mapped("state")), {"done"})
        self.assertFalse(self._events(invoice, "skipped"))

    def test_negative_delay_reminds_before_due(self):
        self.level_friendly.active = True
        invoice = self._invoice("2026-03-10")
        self.assertEqual(invoice.dunning_next_date, D(2026, 3, 7))
        self._run("2026-03-06")
        self.assertFalse(invoice.dunning_level_id)
        self._run("2026-03-07")
        self.assertEqual(invoice.dunning_level_id, self.level_friendly)
        mail = self._mails_of(self._events(invoice, "email"))
        self.assertEqual(len(mail), 1)
        self.assertIn("will soon be due", mail.body_html)
        self.assertEqual(invoice.dunning_next_date, D(2026, 3, 13))

    def test_catch_up_records_skipped_levels(self):
        # 40 days late when the job first sees it: straight to the handoff level.
        invoice = self._invoice("2026-02-01")
        self._run("2026-03-13")
        self.assertEqual(invoice.dunning_level_id, self.level_handoff)
        skipped = self._events(invoice, "skipped")
        self.assertEqual(skipped.level_id, self.level_1 | self.level_2 | self.level_3)
        # Skipped levels send nothing; the handoff level has no mail template.
        self.assertFalse(self._events(invoice, "email"))
        self.assertEqual(len(self._events(invoice, "handoff")), 1)
        self.assertTrue(invoice.dunning_handed_off)
        self.assertFalse(invoice.dunning_next_date)
        task = self.env["project.task"].search(
            [
                (
                    "project_id",
                    "=",
                    self.env.ref("dunning_escalation.project_collections").id,
                )
            ]
        )
        self.assertEqual(len(task), 1)
        self.assertIn(invoice.name, str(task.description))

    def test_catch_up_to_a_mail_level_sends_that_level_only(self):
        invoice = self._invoice("2026-03-01")
        self._run("2026-03-16")  # 15 days: final notice
        self.assertEqual(invoice.dunning_level_id, self.level_3)
        self.assertEqual(
            self._events(invoice, "skipped").level_id, self.level_1 | self.level_2
        )
        emails = self._events(invoice, "email")
        self.assertEqual(emails.level_id, self.level_3)
        self.assertIn("final notice", self._mails_of(emails).body_html)

    def test_grace_days(self):
        self.policy.grace_days = 2
        invoice = self._invoice("2026-03-10")
        self._run("2026-03-14")
        self.assertFalse(invoice.dunning_level_id)
        self._run("2026-03-15")
        self.assertEqual(invoice.dunning_level_id, self.level_1)


@tagged("post_install", "-at_install")
class TestDunningMessages(DunningCase):
    def test_one_message_per_customer_lists_every_overdue_invoice(self):
        old = self._invoice("2026-02-20", 250.0)  # 22 days late: final notice
        mid = self._invoice("2026-03-04", 120.5)  # 10 days: firm reminder
        new = self._invoice("2026-03-11", 80.0)  # 3 days: reminder
        other = self._invoice("2026-03-11", 999.0, partner=self.customer_2)
        self._run("2026-03-14")
        self.assertEqual(old.dunning_level_id, self.level_3)
        self.assertEqual(mid.dunning_level_id, self.level_2)
        self.assertEqual(new.dunning_level_id, self.level_1)
        events = self._events(old | mid | new, "email")
        self.assertEqual(len(events), 3)
        self.assertEqual(len(events.mail_message_id), 1, "one message for the customer")
        mail = self._mails_of(events)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertEqual(mail.state, "outgoing")
        # The highest level's template, listing every invoice and the total.
        self.assertIn("Final notice", mail.subject)
        for invoice in old | mid | new:
            self.assertIn(invoice.name, mail.body_html)
        self.assertIn("450.50", mail.body_html)
        self.assertNotIn(other.name, mail.body_html)
        self.assertIn("/my/invoices/", mail.body_html, "a link to pay online")
        self.assertIn("View Invoice", mail.body_html)
        self.assertNotIn("Journal Entry", mail.body_html)
        # The other customer gets its own message.
        other_mail = self._mails_of(self._events(other, "email"))
        self.assertEqual(other_mail.recipient_ids, self.customer_2)
        # Written by the invoice's salesperson, the policy naming no one.
        self.assertEqual(
            events.mail_message_id.author_id, old.invoice_user_id.partner_id
        )
        self.policy.user_id = self.env.ref("base.user_admin")
        self._run("2026-03-20")  # mid reaches the final notice
        self.assertEqual(
            self._events(mid, "email")[-1:].mail_message_id.author_id,
            self.env.ref("base.partner_admin"),
        )

    def test_totals_per_currency_never_added_together(self):
        """A customer owing in two currencies: each invoice in its own currency,
        and the total due one amount per currency, not their sum."""
        eur = self.setup_other_currency("EUR", rates=[("2020-01-01", 2.0)])
        usd = self._invoice("2026-03-10", 100.0)
        euro = self._invoice("2026-03-09", 40.0, currency=eur)
        euro_2 = self._invoice("2026-03-10", 2.5, currency=eur)
        self._run("2026-03-13")
        mail = self._mails_of(self._events(usd | euro | euro_2, "email"))
        self.assertEqual(len(mail), 1)
        body = mail.body_html.replace("&nbsp;", " ")
        self.assertIn("$ 100.00", body)
        self.assertIn("40.00 €", body)
        # Currencies in the order of the due dates.
        self.assertIn("<strong>42.50 € + $ 100.00</strong>", body)
        self.assertNotIn("142.50", body)
        self.assertEqual(
            usd.with_context(dunning_statement_ids=(usd | euro | euro_2).ids)
            .dunning_statement_total()
            .replace("\xa0", " "),
            "42.50 € + $ 100.00",
        )

    def test_one_message_per_invoice_when_not_consolidated(self):
        self.policy.consolidate_per_partner = False
        first = self._invoice("2026-03-10", 100.0)
        second = self._invoice("2026-03-10", 200.0)
        self._run("2026-03-13")
        events = self._events(first | second, "email")
        self.assertEqual(len(events.mail_message_id), 2)
        mails = self._mails_of(events)
        self.assertEqual(len(mails), 2)
        first_mail = self._mails_of(self._events(first, "email"))
        self.assertIn(first.name, first_mail.body_html)
        self.assertNotIn(second.name, first_mail.body_html)

    def test_template_in_customer_language(self):
        self.env["res.lang"]._activate_lang("nl_NL")
        template = self.level_1.mail_template_id
        template.update_field_translations(
            "subject", {"nl_NL": "Betalingsherinnering {{ object.name }}"}
        )
        self.customer.lang = "nl_NL"
        dutch = self._invoice("2026-03-10")
        english = self._invoice("2026-03-10", partner=self.customer_2)
        self._run("2026-03-13")
        self.assertEqual(
            self._mails_of(self._events(dutch, "email")).subject,
            f"Betalingsherinnering {dutch.name}",
        )
        self.assertTrue(
            self._mails_of(self._events(english, "email")).subject.startswith(
                "Payment reminder"
            )
        )

    def test_customer_without_email_fails_and_does_not_advance(self):
        self.customer.email = False
        invoice = self._invoice("2026-03-10")
        self._run("2026-03-13")
        self.assertFalse(invoice.dunning_level_id)
        event = self._events(invoice, "email")
        self.assertRecordValues(
            event, [{"state": "failed", "level_id": self.level_1.id}]
        )
        self.assertIn("no email address", event.reason)
        # Fixed the next day: the same step is retried, on the same event.
        self.customer.email = "ap@devries.example"
        self._run("2026-03-14")
        self.assertEqual(invoice.dunning_level_id, self.level_1)
        self.assertRecordValues(
            self._events(invoice, "email"), [{"id": event.id, "state": "done"}]
        )


@tagged("post_install", "-at_install")
class TestDunningExactlyOnce(DunningCase):
    def test_second_run_same_day_does_nothing(self):
        invoices = self._invoice("2026-03-10") | self._invoice("2026-03-01")
        self._run("2026-03-13")
        events = self._events(invoices)
        mails = self.env["mail.mail"].search_count([])
        self._run("2026-03-13")
        self.assertEqual(self._events(invoices), events)
        self.assertEqual(self.env["mail.mail"].search_count([]), mails)

    def test_rerun_after_level_reset_does_not_resend(self):
        """Even if an invoice's level were lost (a crash between the mail and the
        level), the unique step record keeps the mail from going out twice."""
        invoice = self._invoice("2026-03-10")
        self._run("2026-03-13")
        invoice.sudo().write({"dunning_level_id": False, "dunning_last_date": False})
        self._run("2026-03-13")
        self.assertEqual(len(self._events(invoice, "email")), 1)
        self.assertEqual(invoice.dunning_level_id, self.level_1)


@tagged("post_install", "-at_install")
class TestDunningSkips(DunningCase):
    def test_credit_notes_drafts_and_paid_are_ignored(self):
        refund = self._invoice("2026-03-01", move_type="out_refund")
        draft = self._invoice("2026-03-01")
        draft.button_draft()
        cancelled = self._invoice("2026-03-01")
        cancelled.button_cancel()
        paid = self._invoice("2026-03-01")
        self._register_payment(paid, payment_date="2026-03-02")
        vendor_bill = self._invoice("2026-03-01", move_type="in_invoice")
        self._run("2026-03-20")
        for move in (refund, draft, cancelled, paid, vendor_bill):
            with self.subTest(move=move.name):
                self.assertFalse(move.dunning_level_id)
                self.assertFalse(self._events(move))

    def test_minimum_amount_per_customer(self):
        self.policy.min_amount = 100.0
        small = self._invoice("2026-03-10", 60.0)
        self._run("2026-03-13")
        self.assertFalse(small.dunning_level_id)
        decision = self.env["dunning.run"]._decide(small, D(2026, 3, 13))[0]
        self.assertEqual(decision.code, "below_min")
        # A second overdue invoice brings the customer's total over the minimum.
        second = self._invoice("2026-03-09", 50.0)
        self._run("2026-03-14")
        self.assertEqual((small | second).dunning_level_id, self.level_1)

    def test_excluded_customer_and_no_followup(self):
        excluded = self._invoice("2026-03-10", partner=self.customer_2)
        self.customer_2.dunning_excluded = True
        no_followup = self._invoice("2026-03-10")
        no_followup.no_followup = True
        self._run("2026-03-13")
        self.assertFalse((excluded | no_followup).dunning_level_id)
        codes = {
            d.move: d.code
            for d in self.env["dunning.run"]._decide(
                excluded | no_followup, D(2026, 3, 13)
            )
        }
        self.assertEqual(codes, {excluded: "excluded", no_followup: "no_followup"})

    def test_partner_policy_overrides_company_default(self):
        strict = self.policy.copy({"name": "Strict"})
        strict.level_ids[0].delay_days = 1
        self.customer.dunning_policy_id = strict
        invoice = self._invoice("2026-03-10")
        self.assertEqual(invoice.dunning_policy_id, strict)
        self._run("2026-03-11")
        self.assertEqual(invoice.dunning_level_id, strict.level_ids[0])


@tagged("post_install", "-at_install")
class TestDunningBlocks(DunningCase):
    def _block(self, moves, reason, **values):
        wizard = (
            self.env["dunning.block.wizard"]
            .with_context(default_move_ids=moves.ids)
            .create({"reason": reason, **values})
        )
        wizard.action_confirm()

    def test_block_and_expiry(self):
        invoice = self._invoice("2026-03-10")
        self._run("2026-03-13")
        with freeze_time("2026-03-14"):
            self._block(invoice, "dispute", until=D(2026, 4, 1), note="Wrong quantity")
        self.assertEqual(invoice.dunning_next_date, D(2026, 4, 1))
        self.assertEqual(
            self._events(invoice, "dispute").reason,
            "Blocked until 2026-04-01: Wrong quantity",
        )
        self._run("2026-03-25")  # would be the final notice, but disputed
        self.assertEqual(invoice.dunning_level_id, self.level_1)
        self._run("2026-04-01")  # block over: resumes where it was, at its age
        self.assertFalse(invoice.dunning_blocked_until)
        self.assertEqual(len(self._events(invoice, "unblock")), 1)
        self.assertEqual(invoice.dunning_level_id, self.level_3)
        self.assertEqual(self._events(invoice, "skipped").level_id, self.level_2)

    def test_broken_promise_resumes_next_day(self):
        invoice = self._invoice("2026-03-10")
        self._run("2026-03-13")
        with freeze_time("2026-03-14"):
            self._block(invoice, "promise", promise_date=D(2026, 3, 20))
        self.assertEqual(invoice.dunning_blocked_until, D(2026, 3, 21))
        self._run("2026-03-20")
        self.assertEqual(invoice.dunning_level_id, self.level_1)
        self._run("2026-03-21")
        unblock = self._events(invoice, "unblock")
        self.assertIn("Promise to pay broken", unblock.reason)
        self.assertEqual(invoice.dunning_level_id, self.level_2)

    def test_block_needs_a_future_date(self):
        invoice = self._invoice("2026-03-10")
        with (
            freeze_time("2026-03-14"),
            self.assertRaisesRegex(Exception, "after today"),
        ):
            self._block(invoice, "other", until=D(2026, 3, 14))
        self.assertFalse(invoice.dunning_blocked_until)


@tagged("post_install", "-at_install")
class TestDunningPayments(DunningCase):
    def test_paid_after_reminder_gets_thank_you_once(self):
        invoice = self._invoice("2026-03-10", 300.0)
        self._run("2026-03-13")
        self._register_payment(invoice, payment_date="2026-03-15")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertFalse(invoice.dunning_next_date)
        self._run("2026-03-16")
        paid = self._events(invoice, "paid")
        self.assertEqual(len(paid), 1)
        thanks = self._mails_of(paid)
        self.assertEqual(len(thanks), 1)
        self.assertIn("Thank you", thanks.subject)
        self.assertEqual(thanks.recipient_ids, self.customer)
        self._run("2026-03-17")
        self.assertEqual(len(self._events(invoice, "paid")), 1)
        self.assertEqual(
            invoice.dunning_level_id, self.level_1, "history keeps the level"
        )

    def test_payments_phase_reads_only_the_newly_paid(self):
        """The payments phase takes the invoices paid since their last reminder
        and not yet recorded, not every dunned invoice ever paid: an invoice
        recorded as paid on an earlier day is not read again."""
        earlier = self._invoice("2026-03-10", 300.0)
        later = self._invoice("2026-03-10", 200.0, partner=self.customer_2)
        self._run("2026-03-13")
        self._register_payment(earlier, payment_date="2026-03-14")
        self._run("2026-03-15")
        self._register_payment(later, payment_date="2026-03-16")
        Run = type(self.env["dunning.run"])
        process = Run._process_payments
        given = []

        def recording(run, paid, today):
            given.append(paid)
            return process(run, paid, today)

        with patch.object(Run, "_process_payments", recording):
            self._run("2026-03-17")
            self._run("2026-03-18")
        self.assertEqual(len(given), 1, "one batch, on the first of the two runs")
        self.assertEqual(given[0], later)
        self.assertEqual(len(self._events(earlier | later, "paid")), 2)

    def test_payments_of_a_day_each_get_their_thank_you(self):
        """Three reminded invoices paid before the same run, one of a customer who
        has lost its email address since: two thank-you mails, each on its own
        invoice and event, and the third payment recorded with why no mail went
        out."""
        silent = self.env["res.partner"].create(
            {"name": "Zonder Mail BV", "email": "ap@zondermail.example"}
        )
        invoices = (
            self._invoice("2026-03-10", 300.0)
            | self._invoice("2026-03-10", 200.0, partner=self.customer_2)
            | self._invoice("2026-03-10", 100.0, partner=silent)
        )
        self._run("2026-03-13")
        silent.email = False
        for invoice in invoices:
            self._register_payment(invoice, payment_date="2026-03-15")
        self._run("2026-03-16")
        paid = self._events(invoices, "paid")
        self.assertEqual(len(paid), 3)
        for invoice, customer in zip(
            invoices[:2], self.customer | self.customer_2, strict=True
        ):
            event = paid.filtered(lambda e, i=invoice: e.move_id == i)
            self.assertEqual(event.mail_message_id.res_id, invoice.id)
            self.assertEqual(self._mails_of(event).recipient_ids, customer)
            self.assertEqual(event.reason, "Paid in full after Reminder")
        unmailed = paid.filtered(lambda e: e.move_id == invoices[2])
        self.assertFalse(unmailed.mail_message_id)
        self.assertEqual(
            unmailed.reason,
            "Paid in full after Reminder; Zonder Mail BV has no email address",
        )

    def test_partial_payment_stays_in_dunning(self):
        invoice = self._invoice("2026-03-10", 300.0)
        self._run("2026-03-13")
        self._register_payment(invoice, payment_date="2026-03-15", amount=100.0)
        self.assertEqual(invoice.payment_state, "partial")
        self._run("2026-03-17")
        self.assertEqual(invoice.dunning_level_id, self.level_2)
        self.assertFalse(self._events(invoice, "paid"))
        mail = self._mails_of(
            self._events(invoice, "email").filtered(
                lambda e: e.level_id == self.level_2
            )
        )
        self.assertIn("200.00", mail.body_html)


@tagged("post_install", "-at_install")
class TestDunningCustomerOverview(DunningCase):
    def test_overdue_total_and_highest_level(self):
        self._invoice("2026-02-20", 250.0)
        self._invoice("2026-03-08", 120.5)
        self._invoice("2026-04-30", 999.0)  # not due yet
        self._invoice("2026-03-01", 75.0, partner=self.customer_2)
        self._run("2026-03-14")
        contact = self.env["res.partner"].create(
            {"name": "Anna de Vries", "parent_id": self.customer.id}
        )
        with freeze_time("2026-03-14"):
            self.env.invalidate_all()
            self.assertRecordValues(
                self.customer | contact | self.customer_2,
                [
                    # 22 days late: final notice; 6 days: reminder
                    {
                        "dunning_overdue_amount": 370.5,
                        "dunning_max_level_id": self.level_3.id,
                    },
                    {
                        "dunning_overdue_amount": 370.5,
                        "dunning_max_level_id": self.level_3.id,
                    },
                    {
                        "dunning_overdue_amount": 75.0,
                        "dunning_max_level_id": self.level_2.id,
                    },
                ],
            )
            action = self.customer.action_view_dunning_invoices()
        self.assertEqual(
            sorted(self.Move.search(action["domain"]).mapped("amount_total")),
            [120.5, 250.0, 999.0],
        )
        self.assertEqual(action["context"]["search_default_dunning_overdue"], 1)


@tagged("post_install", "-at_install")
class TestDunningRecovery(DunningCase):
    def test_recovery_per_step(self):
        quick = self._invoice("2026-03-10", 100.0)
        slow = self._invoice("2026-03-10", 200.0, partner=self.customer_2)
        self._run("2026-03-13")
        self._register_payment(quick, payment_date="2026-03-18")  # 5 days after
        self._run("2026-03-17")  # slow: firm reminder
        self.env.flush_all()
        quick_mail = self._events(quick, "email")
        self.assertRecordValues(
            quick_mail,
            [{"paid_date": D(2026, 3, 18), "days_to_pay": 5, "recovery": "07"}],
        )
        self.assertEqual(set(self._events(slow, "email").mapped("recovery")), {"open"})
        self._register_payment(slow, payment_date="2026-04-10")
        self.env.flush_all()
        by_level = {e.level_id: e for e in self._events(slow, "email")}
        self.assertEqual(by_level[self.level_1].days_to_pay, 28)
        self.assertEqual(by_level[self.level_1].recovery, "30")
        self.assertEqual(by_level[self.level_2].days_to_pay, 24)
        # The analysis groups by level and bucket, averaging the days to pay.
        groups = self.Event._read_group(
            [("kind", "=", "email"), ("move_id", "in", (quick | slow).ids)],
            ["level_id"],
            ["days_to_pay:avg"],
        )
        self.assertEqual(dict(groups), {self.level_1: 16.5, self.level_2: 24.0})


@tagged("post_install", "-at_install")
class TestDunningRendering(DunningCase):
    def test_mail_body_compiled_once_per_run_and_filled_per_customer(self):
        customers = self.customer | self.customer_2
        customers |= self.env["res.partner"].create(
            {"name": "Kellner GmbH", "email": "buchhaltung@kellner.example"}
        )
        invoices = [
            self._invoice("2026-03-10", 100.0 * (n + 1), partner=partner)
            for n, partner in enumerate(customers)
        ]
        IrQweb = type(self.env["ir.qweb"])
        compiled = []
        original = IrQweb._generate_code_uncached

        def counting(qweb, template):
            if isinstance(template, etree._Element):
                compiled.append(template)
            return original(qweb, template)

        with patch.object(IrQweb, "_generate_code_uncached", counting):
            self._run("2026-03-13")
        self.assertEqual(len(compiled), 1, "one body compiled for three mails")
        for invoice, other in zip(invoices, invoices[1:] + invoices[:1], strict=True):
            mail = self._mails_of(self._events(invoice, "email"))
            self.assertIn(invoice.name, mail.body_html)
            self.assertNotIn(other.name, mail.body_html)
            self.assertIn(invoice.partner_id.name, mail.body_html)
