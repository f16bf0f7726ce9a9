from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

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

    def test_charge_invoice_items_as_odoo_completes_them(self):
        """The journal items a charge invoice is written with are those Odoo's own
        completion of an invoice gives the same lines, in a currency at a rate;
        drafted again and edited, Odoo completes it as any invoice."""
        # 1 USD = 0.5 GBP: GBP 40.00 and GBP 3.33 are USD 80.00 and USD 6.66.
        invoice = self._invoice("2026-01-31", 1000.0, currency=self.gbp)
        lines = [
            {
                "name": "Compensation",
                "price_unit": 40.0,
                "dunning_charge_type": "compensation",
            },
            {
                "name": "Interest",
                "price_unit": 3.333,
                "dunning_charge_type": "interest",
            },
        ]
        today = D(2026, 2, 14)
        # The customer's lines go half to a project's analytic account.
        plan = self.env["account.analytic.plan"].create({"name": "Projects"})
        analytic = self.env["account.analytic.account"].create(
            {"name": "Harbour works", "plan_id": plan.id}
        )
        self.env["account.analytic.distribution.model"].create(
            {
                "partner_id": self.customer.id,
                "analytic_distribution": {str(analytic.id): 50},
            }
        )
        Move = self.env["account.move"]
        # Only Odoo's accounting completes invoices' lines here (no localisation).
        self.assertTrue(Move._dunning_lines_completed_here())
        direct = invoice._dunning_book_charge_invoices(
            [(invoice, self.level_3, lines, {})], today
        )
        with patch.object(
            type(Move), "_dunning_lines_completed_here", lambda self: False
        ):
            synced = invoice._dunning_book_charge_invoices(
                [(invoice, self.level_3, lines, {})], today
            )
        fields = [
            "display_type",
            "account_id",
            "partner_id",
            "currency_id",
            "name",
            "amount_currency",
            "balance",
            "debit",
            "credit",
            "date_maturity",
            "dunning_charge_type",
            "tax_ids",
            "price_subtotal",
            "price_total",
            "analytic_distribution",
        ]
        receivable = self.customer.property_account_receivable_id
        common = {"currency_id": self.gbp.id, "tax_ids": []}
        expected = [
            {
                **common,
                "display_type": "product",
                "dunning_charge_type": "compensation",
                "amount_currency": -40.0,
                "balance": -80.0,
                "debit": 0.0,
                "credit": 80.0,
            },
            {
                **common,
                "display_type": "product",
                "dunning_charge_type": "interest",
                "amount_currency": -3.33,
                "balance": -6.66,
                "debit": 0.0,
                "credit": 6.66,
            },
            {
                **common,
                "display_type": "payment_term",
                "dunning_charge_type": False,
                "amount_currency": 43.33,
                "balance": 86.66,
                "debit": 86.66,
                "credit": 0.0,
            },
        ]
        for move in direct | synced:
            self.assertRecordValues(
                move,
                [
                    {
                        "state": "posted",
                        "amount_total": 43.33,
                        "amount_residual": 43.33,
                        "amount_total_signed": 86.66,
                        "payment_state": "not_paid",
                        "dunning_origin_id": invoice.id,
                    }
                ],
            )
            self.assertRecordValues(
                move.line_ids.sorted(
                    lambda line: (line.display_type == "payment_term", line.balance)
                ),
                expected,
            )
        by_kind = {}
        for move in (direct, synced):
            by_kind[move] = [
                {
                    **{name: line[name] for name in fields},
                    # the receivable line's label is the invoice's own number
                    "name": line.name.replace(move.name, "<number>"),
                }
                for line in move.line_ids.sorted(
                    lambda line: (line.display_type, line.dunning_charge_type or "")
                )
            ]
        self.assertEqual(by_kind[direct], by_kind[synced])
        for move in direct | synced:
            # Half of USD 80.00 and of USD 6.66 earned, on the analytic account.
            self.assertEqual(
                sorted(move.line_ids.analytic_line_ids.mapped("amount")), [3.33, 40.0]
            )
        self.assertEqual(direct.payment_reference, direct.name)
        term = direct.line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        )
        self.assertRecordValues(
            term,
            [
                {
                    "account_id": receivable.id,
                    "date_maturity": today,
                    "partner_id": self.customer.id,
                }
            ],
        )
        # Back to draft, one line edited: the receivable follows, in both currencies.
        direct.button_draft()
        direct.invoice_line_ids.filtered(
            lambda line: line.dunning_charge_type == "interest"
        ).price_unit = 10.0
        direct.action_post()
        self.assertRecordValues(
            direct.line_ids.filtered(lambda line: line.display_type == "payment_term"),
            [{"amount_currency": 50.0, "balance": 100.0, "account_id": receivable.id}],
        )
        self.assertEqual(len(direct.line_ids), 3)

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
        # Payments as registered: the invoice paid in full forgives the interest
        # (in the law's order, see test_dunning_payment_order).
        self.policy.write({"waive_interest_days": 10, "payment_in_law_order": False})
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
        self.policy.write({"waive_interest_days": 3, "payment_in_law_order": False})
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
        # The notice that announced the costs is the firm reminder of 7 February,
        # not the first reminder of the 3rd: 14 days from the day after it.
        waiting = self._events(invoice, "fee") | self._events(invoice, "interest")
        self.assertEqual(waiting.mapped("state"), ["waiting", "waiting"])
        self.assertEqual(waiting.mapped("retry_date"), [D(2026, 2, 22)] * 2)
        self.assertIn(
            "notice Firm reminder of 2026-02-07 runs until 2026-02-21",
            waiting[0].reason,
        )
        self.assertFalse(self._ladder(invoice, ["2026-02-21"]))
        fees = self._ladder(invoice, ["2026-02-22"])
        lines = {
            line.dunning_charge_type: line.price_unit for line in fees.invoice_line_ids
        }
        # WIK 150; interest at the consumer rate (4% from 2026-01-01), 1 to 22
        # February, 22 days: 1000 x 4% x 22 / 365 = 2.41
        self.assertEqual(lines, {"compensation": 150.0, "interest": 2.41})
        self.assertEqual(fees.invoice_date, D(2026, 2, 22))
        self.assertEqual(waiting.mapped("state"), ["done", "done"])
        self.assertFalse(any(waiting.mapped("retry_date")))
        # The handoff level charges no second compensation, and interest only
        # from 23 February to 2 March: 8 days, 1000 x 4% x 8 / 365 = 0.88
        fees = self._ladder(invoice, ["2026-03-02"])
        self.assertEqual(len(fees), 2)
        self.assertEqual(
            [
                (line.dunning_charge_type, line.price_unit)
                for line in fees[1].invoice_line_ids
            ],
            [("interest", 0.88)],
        )

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
        # (profile, business, amount in EUR, country, compensation in EUR), worked
        # out by hand at 1 USD = 1 EUR = 0.5 GBP = 10 SEK:
        cases = [
            # WIK on 2,000,000: 375 + 250 + 250 + 1,900 + 9,000 = 11,775, capped
            # at 6,775.
            ("nl_b2b", True, 2000000.0, "base.nl", 6775.0),
            ("nl_b2c", False, 2000000.0, "base.nl", 6775.0),
            # 65 + 5% of 99,500 = 5,040, capped at 2,000.
            ("be_b2c", False, 100000.0, "base.be", 2000.0),
            ("be_b2b", True, 100000.0, "base.be", 40.0),
            ("de_b2b", True, 5000.0, "base.de", 40.0),
            # No flat compensation for German consumers.
            ("de_b2c", False, 5000.0, "base.de", 0.0),
            ("eu_b2b", True, 5000.0, "base.fr", 40.0),
            # GBP 50,000, 10,000 or more: GBP 100 = EUR 200.
            ("uk_b2b", True, 100000.0, "base.uk", 200.0),
            # SEK 450 from a business, SEK 180 from a consumer.
            ("se_b2b", True, 5000.0, "base.se", 45.0),
            ("se_b2c", False, 5000.0, "base.se", 18.0),
        ]
        self.setup_other_currency("SEK", rates=[("2020-01-01", 10.0)])
        self.policy.legal_profile = "by_customer"
        for profile, company, amount, country, expected in cases:
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
                self.assertEqual(sum(lines.mapped("price_unit")), expected)


@tagged("post_install", "-at_install")
class TestDunningLawDefaults(DunningCase):
    """The standard policy as every company gets it: the law of each customer's
    country and kind, and nothing statutory where no law of ours applies."""

    def _customer(self, name, country, business):
        return self.env["res.partner"].create(
            {
                "name": name,
                "email": f"{name.split()[0].lower()}@example.com",
                "is_company": business,
                "country_id": self.env.ref(country).id,
            }
        )

    def _charge_events(self, invoice):
        return self._events(invoice).filtered(lambda e: e.kind in ("fee", "interest"))

    def test_standard_policy_picks_the_law_by_customer(self):
        self.assertEqual(self.policy.legal_profile, "by_customer")
        company = self.env["res.company"].create({"name": "Fresh Company"})
        self.assertEqual(company.dunning_policy_id.legal_profile, "by_customer")

    def test_no_law_applies_fixed_fees_only(self):
        """A US business 40 days late: no EU compensation or interest, the
        reason in the history, the level's fixed fee still charged."""
        acme = self._customer("Acme Inc", "base.us", True)
        self.level_handoff.fee_fixed = 25.0
        invoice = self._invoice("2026-01-31", 1000.0, partner=acme)
        self._run("2026-03-12")
        self.assertTrue(invoice.dunning_handed_off)
        fees = invoice.dunning_fee_move_ids
        self.assertEqual(
            [
                (line.dunning_charge_type, line.price_unit)
                for line in fees.invoice_line_ids
            ],
            [("fee", 25.0)],
        )
        events = {e.kind: e for e in self._charge_events(invoice)}
        self.assertEqual(events["fee"].state, "done")
        self.assertEqual(events["fee"].amount, 25.0)
        self.assertEqual(events["interest"].state, "cancelled")
        self.assertEqual(events["interest"].charge_outcome, "refused")
        for event in events.values():
            self.assertIn("No statutory compensation or interest", event.reason)
            self.assertIn("United States, business", event.reason)
        # Refused for good: a later run changes nothing.
        self._run("2026-03-20")
        self.assertEqual(invoice.dunning_fee_move_ids, fees)
        self.assertEqual(events["interest"].state, "cancelled")

    def test_consumer_never_sent_the_notice_is_not_charged(self):
        """A Dutch consumer first seen 40 days late jumps over the final notice:
        the costs it would have announced are never charged, not even later."""
        jansen = self._customer("Jansen", "base.nl", False)
        invoice = self._invoice("2026-01-31", 1000.0, partner=jansen)
        self._run("2026-03-12")
        self.assertTrue(invoice.dunning_handed_off)
        self.assertFalse(invoice.dunning_fee_move_ids)
        events = self._charge_events(invoice)
        self.assertEqual(events.mapped("state"), ["cancelled", "cancelled"])
        self.assertFalse(any(events.mapped("retry_date")))
        self.assertIn(
            "after the notice that announces them (Final notice), and it was never "
            "sent",
            events[0].reason,
        )
        self._run("2026-04-15")
        self.assertFalse(invoice.dunning_fee_move_ids)

    def test_consumer_charged_once_the_period_after_the_notice_ends(self):
        """Charged at the last level: the waiting period after the final notice
        of 14 February runs until 28 February; the agency level comes on 2 March."""
        jansen = self._customer("Jansen", "base.nl", False)
        eur = self.setup_other_currency("EUR", rates=[("2020-01-01", 1.0)])
        invoice = self._invoice("2026-01-31", 1000.0, partner=jansen, currency=eur)
        for day in ("2026-02-03", "2026-02-07", "2026-02-14", "2026-03-02"):
            self._run(day)
        fees = invoice.dunning_fee_move_ids
        # WIK 150; 4% from 1 February to 2 March, 30 days: 3.29
        self.assertEqual(
            sorted(
                (line.dunning_charge_type, line.price_unit)
                for line in fees.invoice_line_ids
            ),
            [("compensation", 150.0), ("interest", 3.29)],
        )

    def test_consumer_charges_put_off_at_the_last_level_follow_the_case(self):
        """The final notice went out late (20 February): at the agency level on
        2 March the consumer's 14 days still run, so the charges wait; the job
        books them on 7 March, the invoice being with the agency by then."""
        jansen = self._customer("Jansen", "base.nl", False)
        eur = self.setup_other_currency("EUR", rates=[("2020-01-01", 1.0)])
        invoice = self._invoice("2026-01-31", 1000.0, partner=jansen, currency=eur)
        for day in ("2026-02-03", "2026-02-07", "2026-02-20", "2026-03-02"):
            self._run(day)
        self.assertTrue(invoice.dunning_handed_off)
        self.assertFalse(invoice.dunning_fee_move_ids)
        events = self._charge_events(invoice)
        self.assertEqual(events.mapped("state"), ["waiting", "waiting"])
        self.assertEqual(events.mapped("retry_date"), [D(2026, 3, 7)] * 2)
        self.assertEqual(events.level_id, self.level_handoff)
        self._run("2026-03-06")
        self.assertFalse(invoice.dunning_fee_move_ids)
        self._run("2026-03-07")
        fees = invoice.dunning_fee_move_ids
        # WIK 150; 4% from 1 February to 7 March, 35 days: 3.84
        self.assertEqual(
            sorted(
                (line.dunning_charge_type, line.price_unit)
                for line in fees.invoice_line_ids
            ),
            [("compensation", 150.0), ("interest", 3.84)],
        )
        self.assertEqual(events.mapped("state"), ["done", "done"])

    def test_consumer_who_pays_within_the_period_is_not_charged(self):
        jansen = self._customer("Jansen", "base.nl", False)
        eur = self.setup_other_currency("EUR", rates=[("2020-01-01", 1.0)])
        invoice = self._invoice("2026-01-31", 1000.0, partner=jansen, currency=eur)
        for day in ("2026-02-03", "2026-02-07", "2026-02-20", "2026-03-02"):
            self._run(day)
        self._register_payment(invoice, payment_date="2026-03-05", currency_id=eur.id)
        self._run("2026-03-07")
        self.assertFalse(invoice.dunning_fee_move_ids)
        events = self._charge_events(invoice)
        self.assertEqual(events.mapped("state"), ["cancelled", "cancelled"])
        self.assertIn("the invoice was settled first", events[0].reason)
        self._run("2026-03-08")
        self.assertFalse(invoice.dunning_fee_move_ids)

    def _waiting_consumer_invoice(self):
        """A Dutch consumer's invoice whose agency-level charges wait until 7
        March (the final notice went out late, on 20 February)."""
        jansen = self._customer("Jansen", "base.nl", False)
        eur = self.setup_other_currency("EUR", rates=[("2020-01-01", 1.0)])
        invoice = self._invoice("2026-01-31", 1000.0, partner=jansen, currency=eur)
        for day in ("2026-02-03", "2026-02-07", "2026-02-20", "2026-03-02"):
            self._run(day)
        self.assertEqual(
            self._charge_events(invoice).mapped("state"), ["waiting", "waiting"]
        )
        return invoice

    def test_charges_put_off_for_a_customer_excluded_since_are_not_booked(self):
        invoice = self._waiting_consumer_invoice()
        invoice.partner_id.dunning_excluded = True
        self._run("2026-03-07")
        self.assertFalse(invoice.dunning_fee_move_ids)
        events = self._charge_events(invoice)
        self.assertEqual(events.mapped("state"), ["cancelled", "cancelled"])
        self.assertIn("the customer was excluded from dunning", events[0].reason)

    def test_charges_put_off_can_be_waived_before_they_are_booked(self):
        invoice = self._waiting_consumer_invoice()
        wizard = (
            self.env["dunning.waive.wizard"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"reason": "Agreed with the customer"})
        )
        self.assertEqual(wizard.move_ids, invoice)
        self.assertFalse(wizard.fee_move_ids)
        with freeze_time("2026-03-04"):
            wizard.action_confirm()
        events = self._charge_events(invoice)
        self.assertEqual(events.mapped("state"), ["cancelled", "cancelled"])
        self.assertIn(
            "before it was charged: Agreed with the customer", events[0].reason
        )
        self._run("2026-03-07")
        self.assertFalse(invoice.dunning_fee_move_ids)
        # Nothing left to waive: a clear refusal.
        with self.assertRaisesRegex(UserError, "no open late-payment charge"):
            (
                self.env["dunning.waive.wizard"]
                .with_context(active_model="account.move", active_ids=invoice.ids)
                .create({"reason": "again"})
                .action_confirm()
            )
