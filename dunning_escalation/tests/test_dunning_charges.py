from decimal import Decimal

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..tools import legal
from .common import D
from .common import DunningCase


@tagged("post_install", "-at_install")
class TestDunningCharges(DunningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 1 USD (the company's currency) = 1 EUR = 0.5 GBP.
        cls.eur = cls.setup_other_currency("EUR", rates=[("2020-01-01", 1.0)])
        cls.gbp = cls.setup_other_currency("GBP", rates=[("2020-01-01", 0.5)])
        cls.policy.legal_profile = "nl_b2b"
        # The final notice charges compensation and interest too.
        cls.level_3.write({"charge_compensation": True, "apply_interest": True})
        cls.customer.write(
            {"is_company": True, "country_id": cls.env.ref("base.nl").id}
        )

    def _ladder(self, invoice, days):
        for day in days:
            self._run(day)
        return invoice.dunning_fee_move_ids.sorted("id")

    def test_fee_invoice_journal_items_nl_b2b(self):
        invoice = self._invoice("2026-01-31", 1000.0, currency=self.eur)
        fees = self._ladder(invoice, ["2026-02-03", "2026-02-07", "2026-02-14"])
        self.assertEqual(len(fees), 1, "one charge invoice, at the final notice")
        self.assertRecordValues(
            fees,
            [
                {
                    "move_type": "out_invoice",
                    "state": "posted",
                    "partner_id": self.customer.id,
                    "currency_id": self.eur.id,
                    "company_id": self.env.company.id,
                    "invoice_date": D(2026, 2, 14),
                    "dunning_origin_id": invoice.id,
                    # 150.00 WIK on 1000 + 14 days at 10.15%: 3.89
                    "amount_total": 153.89,
                    "dunning_policy_id": False,
                }
            ],
        )
        self.assertRecordValues(
            fees.line_ids.sorted(lambda line: -line.amount_currency),
            [
                {
                    "display_type": "payment_term",
                    "dunning_charge_type": False,
                    "amount_currency": 153.89,
                    "dunning_interest_until": False,
                },
                {
                    "display_type": "product",
                    "dunning_charge_type": "interest",
                    "amount_currency": -3.89,
                    "dunning_interest_until": D(2026, 2, 14),
                },
                {
                    "display_type": "product",
                    "dunning_charge_type": "compensation",
                    "amount_currency": -150.0,
                    "dunning_interest_until": False,
                },
            ],
        )
        interest_line = fees.invoice_line_ids.filtered(
            lambda line: line.dunning_charge_type == "interest"
        )
        self.assertIn(
            "from 2026-02-01 to 2026-02-14, 14 days at 10.15%", interest_line.name
        )
        self.assertFalse(fees.invoice_line_ids.tax_ids)
        events = self._events(invoice).filtered(lambda e: e.kind in ("fee", "interest"))
        self.assertRecordValues(
            events.sorted("kind"),
            [
                {
                    "kind": "fee",
                    "amount": 150.0,
                    "fee_move_id": fees.id,
                    "state": "done",
                },
                {
                    "kind": "interest",
                    "amount": 3.89,
                    "fee_move_id": fees.id,
                    "state": "done",
                },
            ],
        )
        # The handoff level charges only the interest not charged before: 16 days.
        fees = self._ladder(invoice, ["2026-03-02"])
        self.assertEqual(len(fees), 2)
        self.assertEqual(fees[1].amount_total, 4.45)  # 1000 * .1015 * 16/365
        self.assertEqual(
            fees[1].invoice_line_ids.mapped("dunning_charge_type"), ["interest"]
        )
        # The charges are listed in the next message... here the handoff has none,
        # but the statement of the customer lists them.
        statement = invoice.with_context(
            dunning_date=D(2026, 3, 2)
        ).dunning_statement_moves()
        self.assertIn(fees[0], statement)

    def test_fixed_and_percent_fees(self):
        self.policy.legal_profile = False
        self.level_1.write({"fee_fixed": 15.0, "fee_percent": 2.0})
        invoice = self._invoice("2026-01-31", 500.0)
        fees = self._ladder(invoice, ["2026-02-03"])
        self.assertEqual(
            sorted(fees.invoice_line_ids.mapped("price_unit")), [10.0, 15.0]
        )
        self.assertEqual(fees.amount_total, 25.0)

    def test_fee_accounts_and_taxes_from_settings(self):
        fee_account = self.copy_account(self.company_data["default_account_revenue"])
        interest_account = self.copy_account(fee_account)
        self.env.company.write(
            {
                "dunning_fee_account_id": fee_account.id,
                "dunning_interest_account_id": interest_account.id,
                "dunning_fee_tax_ids": [(6, 0, self.tax_sale_a.ids)],
            }
        )
        invoice = self._invoice("2026-01-31", 1000.0, currency=self.eur)
        fees = self._ladder(invoice, ["2026-02-14"])
        by_type = {line.dunning_charge_type: line for line in fees.invoice_line_ids}
        self.assertEqual(by_type["compensation"].account_id, fee_account)
        self.assertEqual(by_type["compensation"].tax_ids, self.tax_sale_a)
        self.assertEqual(by_type["interest"].account_id, interest_account)
        self.assertFalse(by_type["interest"].tax_ids, "interest carries no tax")

    def test_partial_payment_lowers_interest_and_compensation(self):
        invoice = self._invoice("2026-01-31", 1000.0, currency=self.eur)
        self._register_payment(
            invoice, payment_date="2026-02-05", amount=400.0, currency_id=self.eur.id
        )
        fees = self._ladder(invoice, ["2026-02-14"])
        # 5 days on 1000 + 9 days on 600 at 10.15%: 1.3904 + 1.5016 = 2.89;
        # WIK on the 600 still unpaid: 90.00
        lines = {
            line.dunning_charge_type: line.price_unit for line in fees.invoice_line_ids
        }
        self.assertEqual(lines, {"interest": 2.89, "compensation": 90.0})

    def test_foreign_currency_converts_fixed_amounts(self):
        self.policy.legal_profile = "uk_b2b"
        # Shipped rates: 12.25 from 2025-07-01, 11.75 from 2026-01-01.
        invoice = self._invoice("2025-12-31", 500.0, currency=self.eur)
        fees = self._ladder(invoice, ["2026-01-14"])
        lines = {
            line.dunning_charge_type: line.price_unit for line in fees.invoice_line_ids
        }
        # GBP 40 (debt under GBP 1,000) = USD 80 = EUR 80; interest fixed at the
        # rate in force when the debt fell due (12.25), 14 days: 2.35
        self.assertEqual(lines, {"compensation": 80.0, "interest": 2.35})

    def test_waive_reverses_with_a_credit_note(self):
        invoice = self._invoice("2026-01-31", 1000.0, currency=self.eur)
        fees = self._ladder(invoice, ["2026-02-14"])
        billing = new_test_user(
            self.env,
            login="dunning_waive_billing",
            groups="account.group_account_invoice",
        )
        wizard = (
            self.env["dunning.waive.wizard"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"reason": "Goodwill"})
        )
        self.assertEqual(wizard.fee_move_ids, fees)
        with self.assertRaises(AccessError):
            wizard.with_user(billing).action_confirm()
        self.assertEqual(fees.payment_state, "not_paid")
        wizard.action_confirm()
        self.assertEqual(fees.payment_state, "reversed")
        credit_note = fees.reversal_move_ids
        self.assertRecordValues(
            credit_note,
            [{"move_type": "out_refund", "state": "posted", "amount_total": 153.89}],
        )
        self.assertIn("Goodwill", credit_note.ref)
        events = self._events(invoice).filtered(lambda e: e.kind in ("fee", "interest"))
        self.assertEqual(set(events.mapped("state")), {"cancelled"})
        self.assertIn("Waived by", events[0].reason)
        # Forgiven, not charged again: the handoff level charges only the interest
        # after the waived period, and no second compensation.
        fees = self._ladder(invoice, ["2026-03-02"])
        self.assertEqual(len(fees), 2)
        self.assertEqual(
            fees[1].invoice_line_ids.mapped("dunning_charge_type"), ["interest"]
        )
        self.assertEqual(fees[1].amount_total, 4.45)

    def test_interest_waived_when_paid_soon_after_the_notice(self):
        self.policy.waive_interest_days = 10
        invoice = self._invoice("2026-01-31", 1000.0, currency=self.eur)
        fees = self._ladder(invoice, ["2026-02-14"])
        self.assertEqual(fees.amount_total, 153.89)
        self._register_payment(
            invoice, payment_date="2026-02-20", currency_id=self.eur.id
        )
        self._run("2026-02-21")
        credit_note = fees.reversal_move_ids
        self.assertRecordValues(
            credit_note,
            [{"move_type": "out_refund", "state": "posted", "amount_total": 3.89}],
        )
        self.assertEqual(credit_note.invoice_line_ids.dunning_charge_type, "interest")
        self.assertEqual(fees.payment_state, "partial")
        self.assertEqual(fees.amount_residual, 150.0, "the compensation stays due")
        events = {e.kind: e.state for e in self._events(invoice) if e.fee_move_id}
        self.assertEqual(events, {"fee": "done", "interest": "cancelled"})

    def test_interest_kept_when_paid_late(self):
        self.policy.waive_interest_days = 3
        invoice = self._invoice("2026-01-31", 1000.0, currency=self.eur)
        fees = self._ladder(invoice, ["2026-02-14"])
        self._register_payment(
            invoice, payment_date="2026-02-20", currency_id=self.eur.id
        )
        self._run("2026-02-21")
        self.assertFalse(fees.reversal_move_ids)
        self.assertEqual(fees.amount_residual, 153.89)

    def test_consumer_waiting_period_nl(self):
        consumer = self.env["res.partner"].create(
            {
                "name": "J. Jansen",
                "email": "j.jansen@example.nl",
                "country_id": self.env.ref("base.nl").id,
            }
        )
        self.policy.legal_profile = "by_customer"
        invoice = self._invoice(
            "2026-01-31", 1000.0, partner=consumer, currency=self.eur
        )
        self.assertEqual(invoice._dunning_legal_profile(), "nl_b2c")
        self._ladder(invoice, ["2026-02-03", "2026-02-07", "2026-02-14"])
        self.assertFalse(invoice.dunning_fee_move_ids)
        refused = self._events(invoice, "fee")
        self.assertEqual(refused.state, "cancelled")
        self.assertIn(
            "waiting period after the notice of 2026-02-03 runs until 2026-02-17",
            refused.reason,
        )
        fees = self._ladder(invoice, ["2026-03-02"])
        lines = {
            line.dunning_charge_type: line.price_unit for line in fees.invoice_line_ids
        }
        # WIK 150; interest at the consumer rate (4% from 2026-01-01), 1 February to
        # 2 March, 30 days: 3.29
        self.assertEqual(lines, {"compensation": 150.0, "interest": 3.29})

    def test_profile_by_customer(self):
        self.policy.legal_profile = "by_customer"
        cases = [
            ("base.nl", True, "nl_b2b"),
            ("base.nl", False, "nl_b2c"),
            ("base.be", False, "be_b2c"),
            ("base.de", True, "de_b2b"),
            ("base.uk", True, "uk_b2b"),
            ("base.uk", False, False),
            ("base.fr", True, "eu_b2b"),
            ("base.fr", False, False),
            ("base.us", True, False),
        ]
        for country, company, expected in cases:
            partner = self.env["res.partner"].create(
                {
                    "name": "P",
                    "country_id": self.env.ref(country).id,
                    "is_company": company,
                }
            )
            with self.subTest(country=country, company=company):
                self.assertEqual(self.policy._legal_profile_for(partner), expected)
        partner.dunning_legal_profile = "none"
        self.assertFalse(self.policy._legal_profile_for(partner))
        partner.dunning_legal_profile = "de_b2c"
        self.assertEqual(self.policy._legal_profile_for(partner), "de_b2c")

    def test_compensation_never_above_the_cap(self):
        """Every level asks for compensation; over the whole ladder and repeated
        runs, one invoice is charged at most the legal amount of its profile."""
        self.policy.level_ids.write({"charge_compensation": True})
        cases = [
            ("nl_b2b", True, 2000000.0, "base.nl"),
            ("nl_b2c", False, 2000000.0, "base.nl"),
            ("be_b2c", False, 100000.0, "base.be"),
            ("be_b2b", True, 100000.0, "base.be"),
            ("de_b2b", True, 5000.0, "base.de"),
            ("de_b2c", False, 5000.0, "base.de"),
            ("eu_b2b", True, 5000.0, "base.fr"),
            ("uk_b2b", True, 100000.0, "base.uk"),
            ("se_b2b", True, 5000.0, "base.se"),
            ("se_b2c", False, 5000.0, "base.se"),
        ]
        self.setup_other_currency("SEK", rates=[("2020-01-01", 10.0)])
        # EUR per unit of the law's currency, at 1 USD = 1 EUR = 0.5 GBP = 10 SEK.
        eur_per = {"EUR": Decimal(1), "GBP": Decimal(2), "SEK": Decimal("0.1")}
        self.policy.legal_profile = "by_customer"
        for profile, company, amount, country in cases:
            partner = self.env["res.partner"].create(
                {
                    "name": f"Cap {profile}",
                    "email": f"{profile}@example.com",
                    "is_company": company,
                    "country_id": self.env.ref(country).id,
                }
            )
            invoice = self._invoice(
                "2026-01-31", amount, partner=partner, currency=self.eur
            )
            self._ladder(
                invoice,
                [
                    "2026-02-03",
                    "2026-02-07",
                    "2026-02-14",
                    "2026-02-14",
                    "2026-03-02",
                    "2026-03-03",
                ],
            )
            lines = invoice.dunning_fee_move_ids.invoice_line_ids.filtered(
                lambda line: line.dunning_charge_type == "compensation"
            )
            with self.subTest(profile=profile):
                self.assertEqual(invoice._dunning_legal_profile(), profile)
                self.assertLessEqual(len(lines), 1)
                rate = eur_per[legal.PROFILE_CURRENCY[profile]]
                in_law_currency = Decimal(str(amount)) / rate
                self.assertEqual(
                    Decimal(str(sum(lines.mapped("price_unit")))).quantize(
                        Decimal("0.01")
                    ),
                    legal.compensation(profile, in_law_currency) * rate,
                )
