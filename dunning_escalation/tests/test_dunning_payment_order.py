from freezegun import freeze_time

from odoo import Command
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

    def _charged_invoice(self):
        """EUR 10,000 due 31 January 2026, its final notice of 14 February charging
        the WIK costs 375 + 250 + 250 = 875.00 and 14 days at 10.15%:
        10,000 x 10.15% x 14/365 = 38.93; 913.93 of charges."""
        invoice = self._invoice("2026-01-31", 10000.0, currency=self.eur)
        for day in ("2026-02-03", "2026-02-07", "2026-02-14"):
            self._run(day)
        self.assertEqual(invoice.dunning_fee_move_ids.amount_total, 913.93)
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
        invoice = self._invoice("2026-01-31", 10000.0, currency=self.eur)
        for day in ("2026-02-03", "2026-02-07", "2026-02-14"):
            self._run(day)
        charge = invoice.dunning_fee_move_ids
        self.assertEqual(charge.amount_total, 185.07)
        self._pay(invoice, 2000.0)
        self.assertEqual(charge.amount_residual, 185.07)
        self.assertEqual(invoice.amount_residual, 8000.0)
        # The Netherlands with the policy's switch off.
        self.policy.write({"legal_profile": "nl_b2b", "payment_in_law_order": False})
        invoice, charge = self._charged_invoice()
        self._pay(invoice, 2000.0)
        self.assertEqual(charge.amount_residual, 913.93)
        self.assertEqual(invoice.amount_residual, 8000.0)

    def test_paying_the_charge_invoice_itself_stays_there(self):
        invoice, charge = self._charged_invoice()
        self._pay(charge, 913.93)
        self.assertEqual(charge.amount_residual, 0.0)
        self.assertEqual(invoice.amount_residual, 10000.0)
