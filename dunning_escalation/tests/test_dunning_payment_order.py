from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import D
from .common import DunningCase


@tagged("post_install", "-at_install")
class TestDunningPaymentOrder(DunningCase):
    """A partial payment on an invoice with charges, where the law orders it: the
    costs, then the interest, then the invoice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2020-01-01", 1.0)])
        cls.gbp = cls.setup_other_currency("GBP", rates=[("2020-01-01", 0.5)])
        cls.policy.write({"legal_profile": "nl_b2b", "payment_in_law_order": True})
        cls.level_3.write({"charge_compensation": True, "apply_interest": True})
        cls.customer.write(
            {"is_company": True, "country_id": cls.env.ref("base.nl").id}
        )

    def _charged_invoice(self, charges=913.93):
        """EUR 10,000 due 31 January 2026 and its charges (``charges``) booked by
        the final notice of 14 February. The Netherlands: the WIK costs 375 + 250
        + 250 = 875.00 and 14 days at 10.15%: 10,000 x 10.15% x 14/365 = 38.93;
        913.93 of charges."""
        invoice = self._invoice("2026-01-31", 10000.0, currency=self.eur)
        for day in ("2026-02-03", "2026-02-07", "2026-02-14"):
            self._run(day)
        self.assertEqual(invoice.dunning_fee_move_ids.amount_total, charges)
        return invoice, invoice.dunning_fee_move_ids

    def _pay(self, invoice, amount, day="2026-02-20"):
        return (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"amount": amount, "payment_date": day})
            ._create_payments()
        )

    def test_dutch_payment_settles_the_charges_first(self):
        invoice, charge = self._charged_invoice()
        payment = self._pay(invoice, 2000.0)
        # 913.93 settles the charges, 1,086.07 the invoice: 8,913.93 open.
        self.assertEqual(charge.amount_residual, 0.0)
        self.assertEqual(charge.payment_state, "paid")
        self.assertEqual(invoice.amount_residual, 8913.93)
        self.assertEqual(
            str(invoice.message_ids[0].body),
            "<p>2,000.00&nbsp;€ received on 02/20/2026, applied in the law's order: "
            "875.00&nbsp;€ costs, 38.93&nbsp;€ interest, "
            f"1,086.07&nbsp;€ invoice {invoice.name}</p>",
        )
        # Undone like any reconciliation: every residual is back.
        payment.move_id.line_ids.remove_move_reconcile()
        self.assertEqual(charge.amount_residual, 913.93)
        self.assertEqual(invoice.amount_residual, 10000.0)

    def test_costs_before_an_older_charge_of_interest_only(self):
        # The firm reminder of 7 February charges interest only: 10,000 x 10.15%
        # x 7/365 = 19.47; the final notice of 14 February the costs, 875.00,
        # and 38.93 - 19.47 = 19.46 of interest: 894.46.
        self.level_2.apply_interest = True
        invoice = self._invoice("2026-01-31", 10000.0, currency=self.eur)
        for day in ("2026-02-03", "2026-02-07", "2026-02-14"):
            self._run(day)
        older, newer = invoice.dunning_fee_move_ids.sorted("id")
        self.assertEqual((older.amount_total, newer.amount_total), (19.47, 894.46))
        # 880.00: the costs first, though their charge invoice is the newer one.
        self._pay(invoice, 880.0)
        self.assertEqual(newer.amount_residual, 14.46)
        self.assertEqual(older.amount_residual, 19.47)
        self.assertEqual(invoice.amount_residual, 10000.0)

    def test_less_than_the_costs_pays_part_of_the_costs_only(self):
        invoice, charge = self._charged_invoice()
        self._pay(invoice, 500.0)
        self.assertEqual(charge.amount_residual, 413.93)
        self.assertEqual(invoice.amount_residual, 10000.0)
        self.assertIn(
            "applied in the law's order: 500.00&nbsp;€ costs</p>",
            str(invoice.message_ids[0].body),
        )
        # A second payment: the costs left (375.00), the interest, then the invoice.
        self._pay(invoice, 1000.0, day="2026-02-25")
        self.assertEqual(charge.amount_residual, 0.0)
        self.assertEqual(invoice.amount_residual, 9413.93)

    def test_one_payment_for_two_invoices_settles_both_charges_first(self):
        first, first_charge = self._charged_invoice()
        second, second_charge = self._charged_invoice()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=(first | second).ids
        ).create(
            {"group_payment": True, "payment_date": "2026-02-20"}
        )._create_payments()
        # 20,000.00: the charges of both (2 x 913.93) first, then 18,172.14 of
        # the invoices: 1,827.86 left on them.
        self.assertEqual(first_charge.amount_residual, 0.0)
        self.assertEqual(second_charge.amount_residual, 0.0)
        self.assertEqual(
            round(first.amount_residual + second.amount_residual, 2), 1827.86
        )

    def test_the_invoice_and_its_charges_paid_as_separate_payments(self):
        invoice, charge = self._charged_invoice()
        wizard = (
            self.env["account.payment.register"]
            .with_context(
                active_model="account.move", active_ids=(invoice | charge).ids
            )
            .create({"payment_date": "2026-02-20"})
        )
        self.assertFalse(wizard.group_payment)
        payments = wizard._create_payments()
        self.assertEqual(len(payments), 2)
        # Each paid what it was registered for: nothing left over on either.
        self.assertEqual(charge.amount_residual, 0.0)
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertTrue(all(payments.mapped("is_reconciled")))

    def test_a_write_off_closes_the_invoice_as_registered(self):
        invoice, charge = self._charged_invoice()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create(
            {
                "amount": 9990.0,
                "payment_date": "2026-02-20",
                "payment_difference_handling": "reconcile",
                "writeoff_account_id": self.company_data["default_account_expense"].id,
                "writeoff_label": "Rounding",
            }
        )._create_payments()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(charge.amount_residual, 913.93)

    def test_an_outstanding_payment_assigned_from_the_invoice(self):
        invoice, charge = self._charged_invoice()
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.customer.id,
                "amount": 2000.0,
                "currency_id": self.eur.id,
                "date": D(2026, 2, 20),
            }
        )
        payment.action_post()
        line = payment.move_id.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        invoice.js_assign_outstanding_line(line.id)
        self.assertEqual(charge.amount_residual, 0.0)
        self.assertEqual(invoice.amount_residual, 8913.93)

    def test_a_bank_statement_line_matched_to_the_invoice(self):
        invoice, charge = self._charged_invoice()
        journal = self.env["account.journal"].create(
            {
                "name": "Bank EUR",
                "type": "bank",
                "code": "BEUR",
                "currency_id": self.eur.id,
            }
        )
        st_line = self.env["account.bank.statement.line"].create(
            {
                "journal_id": journal.id,
                "date": D(2026, 2, 20),
                "payment_ref": invoice.name,
                "partner_id": self.customer.id,
                "amount": 2000.0,
            }
        )
        _liquidity, suspense, _other = st_line._seek_for_lines()
        receivable = invoice.line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        )
        suspense.account_id = receivable.account_id
        (suspense + receivable).reconcile()
        self.assertEqual(charge.amount_residual, 0.0)
        self.assertEqual(invoice.amount_residual, 8913.93)
        self.assertTrue(st_line.is_reconciled)

    def test_a_payment_on_the_portal(self):
        invoice, charge = self._charged_invoice()
        provider = (
            self.env["payment.provider"]
            .sudo()
            .search(
                [("code", "=", "demo"), ("company_id", "=", self.env.company.id)],
                limit=1,
            )
        )
        provider.state = "test"
        # Its payments booked on the outstanding receipts account: reconciled with
        # the invoice when the transaction is done (else when the bank line comes).
        provider.journal_id.inbound_payment_method_line_ids.filtered(
            lambda line: line.payment_provider_id == provider
        ).payment_account_id = self.inbound_payment_method_line.payment_account_id
        transaction = (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": provider.id,
                    "payment_method_id": self.env.ref(
                        "payment_demo.payment_method_demo"
                    ).id,
                    "reference": "Portal payment 1",
                    "amount": 2000.0,
                    "currency_id": self.eur.id,
                    "partner_id": self.customer.id,
                    "operation": "online_direct",
                    "invoice_ids": [Command.set(invoice.ids)],
                }
            )
        )
        with freeze_time("2026-02-20"):
            transaction._set_done()
            transaction._post_process()
        self.assertEqual(transaction.payment_id.amount, 2000.0)
        self.assertEqual(charge.amount_residual, 0.0)
        self.assertEqual(invoice.amount_residual, 8913.93)

    def test_as_registered_where_the_law_sets_no_order_or_the_policy_says_so(self):
        # The UK: 14 days at 11.75% (10,000 x 11.75% x 14/365 = 45.07) and GBP 70
        # (EUR 140.00): the payment lowers the invoice only.
        self.policy.legal_profile = "uk_b2b"
        invoice, charge = self._charged_invoice(185.07)
        self._pay(invoice, 2000.0)
        self.assertEqual(charge.amount_residual, 185.07)
        self.assertEqual(invoice.amount_residual, 8000.0)
        # The Netherlands with the policy's switch off.
        self.policy.write({"legal_profile": "nl_b2b", "payment_in_law_order": False})
        invoice, charge = self._charged_invoice()
        self._pay(invoice, 2000.0)
        self.assertEqual(charge.amount_residual, 913.93)
        self.assertEqual(invoice.amount_residual, 8000.0)
        self.assertEqual(
            str(invoice.message_ids[0].body),
            "<p>2,000.00&nbsp;€ received on 02/20/2026, applied as registered: the "
            f"policy {self.policy.name} does not apply payments in the law's "
            "order, so the late-payment charges stay open.</p>",
        )

    def test_a_payment_plan_sets_how_its_invoices_are_paid(self):
        # Agreeing on a plan is the company's consent to another order: its
        # instalments lower the invoice, the charges stay as they are.
        invoice, charge = self._charged_invoice()
        with freeze_time("2026-02-16"):
            plan = self.env["dunning.plan"].browse(
                invoice.action_dunning_payment_plan()["res_id"]
            )
            plan.write({"instalment_count": 2, "first_date": D(2026, 2, 20)})
            plan.action_compute_schedule()
            plan.action_agree()
        self._pay(invoice, 5000.0)
        self.assertEqual(charge.amount_residual, 913.93)
        self.assertEqual(invoice.amount_residual, 5000.0)
        self.assertEqual(plan.instalment_ids[0].state, "paid")
        self.assertIn(
            "applied as registered: the payment plan agreed with the customer sets "
            "how it is paid, so the late-payment charges stay open.",
            str(invoice.message_ids[0].body),
        )

    def test_paying_the_charge_invoice_itself_stays_there(self):
        invoice, charge = self._charged_invoice()
        self._pay(charge, 913.93)
        self.assertEqual(charge.amount_residual, 0.0)
        self.assertEqual(invoice.amount_residual, 10000.0)

    # ------------------------------------------------------------------
    # More figures worked by hand, and what follows the split.
    # ------------------------------------------------------------------

    def _report_text(self, xmlid, records):
        report = self.env.ref(xmlid)
        html, _kind = report._render_qweb_html(report.report_name, records.ids)
        return " ".join(html.decode().split())

    def test_more_than_everything_pays_all_and_leaves_a_credit(self):
        invoice, charge = self._charged_invoice()
        payment = self._pay(invoice, 12000.0)
        # 913.93 charges + 10,000.00 invoice; 1,086.07 stays on the payment.
        self.assertEqual(charge.payment_state, "paid")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        receivable = payment.move_id.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertEqual(receivable.amount_residual_currency, -1086.07)

    def test_two_payments_with_interest_charged_between_them(self):
        self.level_handoff.apply_interest = True
        invoice, charge = self._charged_invoice()
        self._pay(invoice, 2000.0)
        self.assertEqual(invoice.amount_residual, 8913.93)
        # The handoff of 2 March charges the interest of 15 February to 2 March:
        # 6 days on 10,000.00 and, from the day after the payment of 20 February,
        # 10 days on the 8,913.93 still open of the invoice:
        # 10,000 x 10.15% x 20/365 = 55.62 (1 to 20 February)
        # + 8,913.93 x 10.15% x 10/365 = 24.79 -> 80.40 to 2 March,
        # less the 38.93 charged to 14 February: 41.47.
        self._run("2026-03-02")
        second = invoice.dunning_fee_move_ids - charge
        self.assertEqual(second.amount_total, 41.47)
        # The second payment settles that interest first, then the invoice.
        self._pay(invoice, 1000.0, day="2026-03-05")
        self.assertEqual(second.amount_residual, 0.0)
        self.assertEqual(invoice.amount_residual, 7955.40)
        self.assertEqual(
            invoice.dunning_payment_lines(),
            [
                "2,000.00\xa0€ received on 02/20/2026: 875.00\xa0€ costs, "
                f"38.93\xa0€ interest, 1,086.07\xa0€ invoice {invoice.name}",
                "1,000.00\xa0€ received on 03/05/2026: 41.47\xa0€ interest, "
                f"958.53\xa0€ invoice {invoice.name}",
            ],
        )
        # The agency's case file shows what each payment settled.
        task = self.env["project.task"].search(
            [("dunning_move_ids", "in", invoice.ids)]
        )
        text = self._report_text(
            "dunning_escalation.action_report_dunning_case_file", task
        )
        self.assertIn("Payments received", text)
        self.assertIn(
            "1,000.00 € received on 03/05/2026: 41.47 € interest, "
            f"958.53 € invoice {invoice.name}",
            text.replace("&nbsp;", " "),
        )

    def test_a_payment_at_the_agency_then_a_recall_and_a_second_handoff(self):
        invoice, charge = self._charged_invoice()
        # The handoff of 2 March charges 15 February to 2 March on 10,000.00:
        # 10,000 x 10.15% x 30/365 = 83.42 to date, less the 38.93 charged: 44.49.
        self._run("2026-03-02")
        self.assertTrue(invoice.dunning_handed_off)
        second = invoice.dunning_fee_move_ids - charge
        self.assertEqual(second.amount_total, 44.49)
        # Paid at the agency: 875.00 costs, 38.93 + 44.49 = 83.42 interest,
        # 1,041.58 of the invoice; 8,958.42 open.
        self._pay(invoice, 2000.0, day="2026-03-05")
        self.assertEqual((charge | second).mapped("amount_residual"), [0.0, 0.0])
        self.assertEqual(invoice.amount_residual, 8958.42)
        with freeze_time("2026-03-06"):
            invoice.action_dunning_recall()
        self.assertFalse(invoice.dunning_handed_off)
        with freeze_time("2026-03-09"):
            invoice.action_dunning_handoff()
        self.assertTrue(invoice.dunning_handed_off)
        # Nothing settled twice, nothing charged again by the handoff by hand.
        self.assertEqual(invoice.dunning_fee_move_ids, charge | second)
        self.assertEqual(invoice.amount_residual, 8958.42)
        task = (
            self._events(invoice, "handoff")
            .filtered(lambda event: event.state == "done")
            .task_id
        )
        self.assertEqual(len(task), 1)
        text = self._report_text(
            "dunning_escalation.action_report_dunning_case_file", task
        ).replace("&nbsp;", " ")
        self.assertIn(
            "2,000.00 € received on 03/05/2026: 875.00 € costs, 83.42 € interest, "
            f"1,041.58 € invoice {invoice.name}",
            text,
        )

    def test_a_payment_then_a_waiver_credits_what_is_open(self):
        invoice, charge = self._charged_invoice()
        self._pay(invoice, 500.0)
        # 500.00 of the 875.00 costs paid: 375.00 costs and 38.93 interest open.
        with freeze_time("2026-02-22"):
            charge._dunning_waive("goodwill")
        credit = self.Move.search([("reversed_entry_id", "=", charge.id)])
        self.assertEqual(credit.amount_total, 413.93)
        self.assertEqual(
            sorted(
                (line.dunning_charge_type, line.price_total)
                for line in credit.invoice_line_ids
            ),
            [("compensation", 375.0), ("interest", 38.93)],
        )
        self.assertEqual(charge.amount_residual, 0.0)
        # The next payment has no charge left to settle: all of it on the invoice.
        self._pay(invoice, 1000.0, day="2026-02-25")
        self.assertEqual(invoice.amount_residual, 9000.0)

    def test_interest_forgiven_when_the_invoice_amount_comes_in_time(self):
        # The policy forgives the interest of an invoice paid within 10 days of
        # the notice: 10,000.00 paid on 20 February, 6 days after it. The 38.93
        # interest is credited, the payment settles the 875.00 costs and
        # 9,125.00 of the invoice: 875.00 left on the invoice.
        self.policy.waive_interest_days = 10
        invoice, charge = self._charged_invoice()
        self._pay(invoice, 10000.0)
        credit = self.Move.search([("reversed_entry_id", "=", charge.id)])
        self.assertEqual(credit.amount_total, 38.93)
        self.assertEqual(credit.invoice_line_ids.dunning_charge_type, "interest")
        self.assertEqual(charge.amount_residual, 0.0)
        self.assertEqual(invoice.amount_residual, 875.0)
        interest = self._events(invoice, "interest")
        self.assertEqual(interest.state, "cancelled")
        # Less than the invoice's amount forgives nothing.
        self.policy.waive_interest_days = 10
        other, other_charge = self._charged_invoice()
        self._pay(other, 9000.0)
        self.assertFalse(
            self.Move.search([("reversed_entry_id", "=", other_charge.id)])
        )
        self.assertEqual(other.amount_residual, 1913.93)

    def test_a_reversed_payment_restores_every_residual(self):
        invoice, charge = self._charged_invoice()
        payment = self._pay(invoice, 2000.0)
        self.assertEqual(charge.amount_residual, 0.0)
        with freeze_time("2026-02-21"):
            payment.move_id._reverse_moves([{"date": D(2026, 2, 21)}], cancel=True)
        self.assertEqual(charge.amount_residual, 913.93)
        self.assertEqual(invoice.amount_residual, 10000.0)

    def test_germany_and_belgium(self):
        # DE, § 288 BGB: EUR 40 and 14 days at 10.27%:
        # 10,000 x 10.27% x 14/365 = 39.39; 79.39 of charges.
        self.policy.legal_profile = "de_b2b"
        invoice, charge = self._charged_invoice(79.39)
        # Less than the costs: 30.00 of the 40.00 and nothing else.
        self._pay(invoice, 30.0)
        self.assertEqual(charge.amount_residual, 49.39)
        self.assertEqual(invoice.amount_residual, 10000.0)
        # Then 2,000.00: 10.00 costs, 39.39 interest, 1,950.61 invoice.
        self._pay(invoice, 2000.0, day="2026-02-21")
        self.assertEqual(charge.amount_residual, 0.0)
        self.assertEqual(invoice.amount_residual, 8049.39)
        self.assertEqual(
            invoice.dunning_payment_lines()[1],
            "2,000.00\xa0€ received on 02/21/2026: 10.00\xa0€ costs, "
            f"39.39\xa0€ interest, 1,950.61\xa0€ invoice {invoice.name}",
        )
        # BE, art. 5.210 Civil Code: EUR 40 and 14 days at 10.50%:
        # 10,000 x 10.50% x 14/365 = 40.27; 80.27 of charges. 2,000.00 paid:
        # 80.27 of charges, 1,919.73 of the invoice.
        self.policy.legal_profile = "be_b2b"
        invoice, charge = self._charged_invoice(80.27)
        self._pay(invoice, 2000.0)
        self.assertEqual(charge.amount_residual, 0.0)
        self.assertEqual(invoice.amount_residual, 8080.27)

    def test_each_law_with_more_than_everything_a_waiver_and_a_reversal(self):
        # (profile, charges booked by 14 February, what 12,000.00 leaves on the
        # payment): DE 40 + 39.39, BE 40 + 40.27 settle first; the UK's 185.07
        # stay open, the invoice takes 10,000.00.
        for profile, charges, left in (
            ("de_b2b", 79.39, -1920.61),
            ("be_b2b", 80.27, -1919.73),
            ("uk_b2b", 185.07, -2000.0),
        ):
            with self.subTest(profile=profile):
                self.policy.legal_profile = profile
                invoice, charge = self._charged_invoice(charges)
                payment = self._pay(invoice, 12000.0)
                receivable = payment.move_id.line_ids.filtered(
                    lambda line: line.account_id.account_type == "asset_receivable"
                )
                self.assertEqual(receivable.amount_residual_currency, left)
                self.assertEqual(invoice.amount_residual, 0.0)
                ordered = profile != "uk_b2b"
                self.assertEqual(charge.amount_residual, 0.0 if ordered else charges)
                # Reversed: every residual back.
                with freeze_time("2026-02-21"):
                    payment.move_id._reverse_moves(
                        [{"date": D(2026, 2, 21)}], cancel=True
                    )
                self.assertEqual(charge.amount_residual, charges)
                self.assertEqual(invoice.amount_residual, 10000.0)
        # DE, 30.00 paid of the 40.00 costs, then a waiver: 10.00 costs and
        # 39.39 interest are what is open, and what the credit note credits.
        self.policy.legal_profile = "de_b2b"
        invoice, charge = self._charged_invoice(79.39)
        self._pay(invoice, 30.0)
        with freeze_time("2026-02-22"):
            charge._dunning_waive("goodwill")
        credit = self.Move.search([("reversed_entry_id", "=", charge.id)])
        self.assertEqual(
            sorted(
                (line.dunning_charge_type, line.price_total)
                for line in credit.invoice_line_ids
            ),
            [("compensation", 10.0), ("interest", 39.39)],
        )
        self.assertEqual(invoice.amount_residual, 10000.0)

    def test_the_statement_and_the_thank_you_show_the_split(self):
        invoice, _charge = self._charged_invoice()
        self._pay(invoice, 2000.0)
        with freeze_time("2026-02-21"):
            text = self._report_text(
                "dunning_escalation.action_report_dunning_statement", self.customer
            ).replace("&nbsp;", " ")
        self.assertIn(
            "2,000.00 € received on 02/20/2026: 875.00 € costs, 38.93 € interest, "
            f"1,086.07 € invoice {invoice.name}",
            text,
        )
        # The letter lists it too, and in the customer's language.
        self.env["res.lang"]._activate_lang("nl_NL")
        self.env["ir.module.module"].search(
            [("name", "=", "dunning_escalation")]
        )._load_module_terms(["dunning_escalation"], ["nl_NL"], overwrite=True)
        self.customer.lang = "nl_NL"
        with freeze_time("2026-02-21"):
            letter = self._report_text(
                "dunning_escalation.action_report_dunning_letter", invoice
            ).replace("&nbsp;", " ")
        self.assertIn("Ontvangen betalingen", letter)
        self.assertIn("<strong>Totaal verschuldigd</strong>", letter)
        self.assertIn("<strong>8.913,93 €</strong>", letter)
        self.assertIn(
            "2.000,00 € ontvangen op 20-02-2026: 875,00 € kosten, 38,93 € rente, "
            f"1.086,07 € factuur {invoice.name}",
            letter,
        )
        self.customer.lang = "en_US"
        # Paid in full: the thank-you says how both payments were applied.
        self._pay(invoice, 8913.93, day="2026-02-24")
        self._run("2026-02-25")
        thanks = (
            self.env["mail.mail"]
            .search([("model", "=", "account.move"), ("res_id", "=", invoice.id)])
            .filtered(lambda mail: "Thank you" in (mail.subject or ""))
        )
        self.assertEqual(len(thanks), 1)
        body = " ".join(str(thanks.body_html).split()).replace("&nbsp;", " ")
        self.assertIn("how your payments were applied", body)
        self.assertIn(
            f"8,913.93 € received on 02/24/2026: 8,913.93 € invoice {invoice.name}",
            body,
        )

    def test_a_paid_invoice_is_dunned_for_its_open_charges(self):
        # Paid as registered (the UK): the invoice is paid, its charges are not.
        # The firm reminder of 7 February charges GBP 70 (EUR 140.00) and 7 days
        # at 11.75%: 10,000 x 11.75% x 7/365 = 22.53; 162.53 of charges.
        self.policy.legal_profile = "uk_b2b"
        self.level_2.write({"charge_compensation": True, "apply_interest": True})
        self.level_3.fee_fixed = 10.0
        invoice = self._invoice("2026-01-31", 10000.0, currency=self.eur)
        for day in ("2026-02-03", "2026-02-07"):
            self._run(day)
        charge = invoice.dunning_fee_move_ids
        self.assertEqual(charge.amount_total, 162.53)
        self._pay(invoice, 10000.0, day="2026-02-10")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertTrue(invoice.dunning_charges_open)
        self._run("2026-02-11")
        paid = self._events(invoice, "paid")
        self.assertIn("late-payment charges on it are still open", paid.reason)
        self.assertTrue(paid.thanks_pending)
        self.assertFalse(paid.mail_message_id, "no thank-you while charges are open")
        self.assertEqual(invoice.dunning_next_date, D(2026, 2, 14))
        with self.assertRaisesRegex(UserError, "only the late-payment charges"):
            invoice.action_dunning_payment_plan()
        # The final notice is for the charges: listed, with what the invoice is.
        self._run("2026-02-14")
        self.assertEqual(invoice.dunning_level_id, self.level_3)
        # No new fee for a paid invoice dunned for its charges.
        fee = self._events(invoice, "fee").filtered(
            lambda event: event.level_id == self.level_3
        )
        self.assertEqual(fee.state, "cancelled")
        self.assertIn("only the charges on it are dunned", fee.reason)
        notice = self._events(invoice, "email").filtered(
            lambda event: event.level_id == self.level_3
        )
        body = " ".join(str(notice.mail_message_id.body).split()).replace("&nbsp;", " ")
        self.assertIn(
            f"Thank you for paying these invoices:</span> <strong>{invoice.name}"
            "</strong>",
            body,
        )
        self.assertIn(charge.name, body)
        self.assertIn("162.53", body)
        # Interest ran until the day the invoice was paid: 8 to 10 February,
        # 10,000 x 11.75% x 3/365 = 9.66; nothing after it, no second
        # compensation.
        second = invoice.dunning_fee_move_ids - charge
        self.assertEqual(second.amount_total, 9.66)
        # What the customer owes, on the contact: the charges, 162.53 + 9.66.
        self.customer.invalidate_recordset()
        with freeze_time("2026-02-15"):
            self.assertEqual(self.customer.dunning_overdue_amount, 172.19)
        # The charges paid: the customer is thanked once, the run done with it.
        for fee in charge | second:
            self._pay(fee, fee.amount_residual, day="2026-02-20")
        self.assertFalse(invoice.dunning_charges_open)
        self.assertFalse(invoice.dunning_next_date)
        self._run("2026-02-21")
        self._run("2026-02-22")
        self.assertFalse(paid.thanks_pending)
        thanks = paid.mail_message_id
        self.assertIn("Thank you", thanks.subject)
        self.assertEqual(
            len(
                self.env["mail.message"].search(
                    [
                        ("model", "=", "account.move"),
                        ("res_id", "=", invoice.id),
                        ("subject", "ilike", "Thank you"),
                    ]
                )
            ),
            1,
        )
