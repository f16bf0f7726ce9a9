"""Tests of tools/legal.py with hand-worked examples, loaded from its file path: no
Odoo involved. Each expected figure is worked out in the comment above it."""

import datetime
import unittest
from decimal import Decimal

from .standalone import load_tool
from .standalone import run_without_odoo

legal = load_tool("legal")
D = datetime.date
E = Decimal


class TestStatutoryInterest(unittest.TestCase):
    def test_split_at_rate_change(self):
        # 15 days (16-30 June) at 10.15% and 14 days (1-14 July) at 10.40%:
        # 1000 * .1015 * 15/365 = 4.1712 ; 1000 * .104 * 14/365 = 3.9890 ; 8.1603
        rates = [(D(2026, 1, 1), "10.15"), (D(2026, 7, 1), "10.40")]
        self.assertEqual(
            legal.statutory_interest(1000, D(2026, 6, 15), D(2026, 7, 14), rates),
            E("8.16"),
        )

    def test_leap_year_counts_366_days_over_365(self):
        # 1 Jan - 31 Dec 2028 is 366 days: 10000 * .08 * 366/365 = 802.1918
        self.assertEqual(
            legal.statutory_interest(
                10000, D(2027, 12, 31), D(2028, 12, 31), [(D(2027, 1, 1), 8)]
            ),
            E("802.19"),
        )

    def test_from_day_after_due_through_until_inclusive(self):
        # One day: 36500 * .10 * 1/365 = 10.00
        rates = [(D(2026, 1, 1), 10)]
        self.assertEqual(
            legal.statutory_interest(36500, D(2026, 3, 1), D(2026, 3, 2), rates),
            E("10.00"),
        )

    def test_nothing_on_or_before_due(self):
        rates = [(D(2026, 1, 1), 10)]
        for until in (D(2026, 3, 1), D(2026, 2, 1)):
            with self.subTest(until=until):
                self.assertEqual(
                    legal.statutory_interest(1000, D(2026, 3, 1), until, rates),
                    E("0.00"),
                )

    def test_partial_payment_lowers_base_from_the_next_day(self):
        # 1 Feb - 2 Mar (30 days) on 1000: 8.2192 ; 3-31 Mar (29 days) on 600:
        # 4.7671 ; 12.9863
        self.assertEqual(
            legal.statutory_interest(
                1000,
                D(2026, 1, 31),
                D(2026, 3, 31),
                [(D(2026, 1, 1), 10)],
                payments=[(D(2026, 3, 2), 400)],
            ),
            E("12.99"),
        )

    def test_payment_of_everything_stops_interest(self):
        # 10 days on 3650 at 10%: 10.00, then nothing.
        self.assertEqual(
            legal.statutory_interest(
                3650,
                D(2026, 1, 31),
                D(2026, 6, 30),
                [(D(2026, 1, 1), 10)],
                payments=[(D(2026, 2, 10), 3650)],
            ),
            E("10.00"),
        )

    def test_compound_yearly(self):
        # Year 1, 1 Feb 2024 - 31 Jan 2025 (366 days): 1000 * .04 * 366/365 = 40.1096
        # Year 2 on 1040.1096, 365 days: 41.6044 ; total 81.7140
        rates = [(D(2023, 1, 1), 4)]
        args = (1000, D(2024, 1, 31), D(2026, 1, 31), rates)
        self.assertEqual(
            legal.statutory_interest(*args, compound_yearly=True), E("81.71")
        )
        # Simple: 731 days: 80.1096
        self.assertEqual(legal.statutory_interest(*args), E("80.11"))

    def test_compound_only_after_a_full_year(self):
        rates = [(D(2023, 1, 1), 4)]
        args = (1000, D(2024, 1, 31), D(2025, 1, 31), rates)
        self.assertEqual(
            legal.statutory_interest(*args, compound_yearly=True),
            legal.statutory_interest(*args),
        )

    def test_rounds_half_up_at_the_end(self):
        # 73 * .05 * 1/365 = 0.01 exactly; 36.5 * .05 / 365 = 0.005 -> 0.01
        rates = [(D(2026, 1, 1), 5)]
        self.assertEqual(
            legal.statutory_interest("36.5", D(2026, 3, 1), D(2026, 3, 2), rates),
            E("0.01"),
        )

    def test_uk_rate_fixed_for_life_of_the_debt(self):
        # Due 15 Nov 2025: the rate of the second half of 2025 (4.25 + 8 = 12.25)
        # applies after the January change too. 120 days on 3650: 147.00
        rates = [(D(2025, 7, 1), "12.25"), (D(2026, 1, 1), "11.75")]
        fixed = legal.rates_for("uk_b2b", rates, D(2025, 11, 15))
        self.assertEqual(fixed, [(D(2025, 11, 15), E("12.25"))])
        self.assertEqual(
            legal.statutory_interest(3650, D(2025, 11, 15), D(2026, 3, 15), fixed),
            E("147.00"),
        )
        # Other profiles keep every half year's rate.
        self.assertEqual(len(legal.rates_for("de_b2b", rates, D(2025, 11, 15))), 2)

    def test_bad_input(self):
        rates = [(D(2026, 1, 1), 10)]
        due, until = D(2026, 3, 1), D(2026, 4, 1)
        cases = [
            ((-1, due, until, rates), "cannot be negative"),
            (("abc", due, until, rates), "must be an amount"),
            ((100, "2026-03-01", until, rates), "must be a date"),
            ((100, due, until, [(D(2026, 1, 1), -2)]), "cannot be negative"),
            ((100, due, until, [(D(2026, 1, 1), 250)]), "not plausible"),
            ((100, due, until, [(D(2026, 3, 15), 10)]), "no interest rate is known"),
            ((100, due, until, [("x",)]), "pair"),
        ]
        for args, message in cases:
            with (
                self.subTest(message=message),
                self.assertRaisesRegex(ValueError, message),
            ):
                legal.statutory_interest(*args)
        with self.assertRaisesRegex(ValueError, "cannot be negative"):
            legal.statutory_interest(100, due, until, rates, payments=[(due, -5)])


class TestCompensation(unittest.TestCase):
    def assertCompensation(self, profile, cases):
        for principal, expected in cases:
            with self.subTest(profile=profile, principal=principal):
                self.assertEqual(
                    legal.compensation(profile, E(str(principal))), E(expected)
                )

    def test_flat_forty_euro(self):
        for profile in ("eu_b2b", "be_b2b", "de_b2b"):
            self.assertCompensation(profile, [("0.01", "40.00"), (1000000, "40.00")])

    def test_nl_wik_scale_with_minimum_and_cap(self):
        self.assertCompensation(
            "nl_b2c",
            [
                (100, "40.00"),  # 15 -> minimum 40
                ("266.66", "40.00"),  # 39.999 -> minimum
                ("266.67", "40.00"),  # 40.0005 -> 40.00
                (1000, "150.00"),
                (2500, "375.00"),
                (2600, "385.00"),  # 375 + 10% of 100
                (5000, "625.00"),
                (10000, "875.00"),  # 625 + 5% of 5000
                (200000, "2775.00"),  # 875 + 1% of 190000
                (1000000, "6775.00"),  # 2775 + 0.5% of 800000: exactly the cap
                (2000000, "6775.00"),  # capped
            ],
        )
        self.assertEqual(legal.compensation("nl_b2b", 2600), E("385.00"))

    def test_be_consumer_scale_and_cap(self):
        self.assertCompensation(
            "be_b2c",
            [
                (150, "20.00"),
                ("150.01", "30.00"),  # 30 + 0.001
                (400, "55.00"),  # 30 + 10% of 250
                (500, "65.00"),
                ("500.01", "65.00"),
                (1000, "90.00"),  # 65 + 5% of 500
                (39200, "2000.00"),  # 65 + 1935: exactly the cap
                (50000, "2000.00"),
            ],
        )

    def test_sweden(self):
        self.assertCompensation("se_b2b", [(10, "450.00")])
        self.assertCompensation("se_b2c", [(10, "180.00")])

    def test_germany_consumer_has_no_flat_amount(self):
        self.assertCompensation("de_b2c", [(5000, "0.00")])

    def test_uk_tiers(self):
        self.assertCompensation(
            "uk_b2b",
            [
                ("999.99", "40.00"),
                (1000, "70.00"),
                ("9999.99", "70.00"),
                (10000, "100.00"),
            ],
        )

    def test_nothing_on_nothing(self):
        for profile in legal.PROFILES:
            self.assertEqual(legal.compensation(profile, 0), E("0.00"))

    def test_every_profile_has_a_currency(self):
        self.assertEqual(set(legal.PROFILE_CURRENCY), set(legal.PROFILES))

    def test_bad_input(self):
        with self.assertRaisesRegex(ValueError, "unknown legal profile 'fr_b2b'"):
            legal.compensation("fr_b2b", 100)
        with self.assertRaisesRegex(ValueError, "cannot be negative"):
            legal.compensation("nl_b2c", -100)


class TestEarliestNextStep(unittest.TestCase):
    def test_belgian_consumer_email(self):
        # Sent Fri 6 Mar: the 14 days run 7-20 Mar, next step on 21 Mar.
        self.assertEqual(
            legal.earliest_next_step("be_b2c", D(2026, 3, 6), "email"), D(2026, 3, 21)
        )

    def test_belgian_consumer_letter_counts_working_days(self):
        # Sent Fri 6 Mar: working days Mon 9, Tue 10, Wed 11; 14 days 11-24 Mar.
        self.assertEqual(
            legal.earliest_next_step("be_b2c", D(2026, 3, 6), "letter"),
            D(2026, 3, 25),
        )

    def test_belgian_consumer_letter_skips_public_holidays(self):
        # Sent Thu 2 Apr 2026: Fri 3 (1), Easter Monday 6 Apr is a holiday, Tue 7
        # (2), Wed 8 (3); 14 days 8-21 Apr; next step 22 Apr.
        self.assertEqual(
            legal.earliest_next_step("be_b2c", D(2026, 4, 2), "letter"),
            D(2026, 4, 22),
        )

    def test_belgian_holidays(self):
        self.assertEqual(legal._easter(2026), D(2026, 4, 5))
        self.assertEqual(legal._easter(2027), D(2027, 3, 28))
        holidays = legal.belgian_public_holidays(2026)
        self.assertEqual(len(holidays), 10)
        self.assertIn(D(2026, 5, 14), holidays)  # Ascension
        self.assertIn(D(2026, 5, 25), holidays)  # Whit Monday
        self.assertIn(D(2026, 7, 21), holidays)

    def test_dutch_fourteen_day_letter(self):
        self.assertEqual(
            legal.earliest_next_step("nl_b2c", D(2026, 3, 6), "email"), D(2026, 3, 21)
        )
        self.assertEqual(
            legal.earliest_next_step("nl_b2c", D(2026, 3, 6), "letter"),
            D(2026, 3, 23),
        )

    def test_business_profiles_wait_a_day(self):
        for profile in ("eu_b2b", "nl_b2b", "be_b2b", "de_b2b", "uk_b2b", "se_b2c"):
            self.assertEqual(
                legal.earliest_next_step(profile, D(2026, 3, 6), "letter"),
                D(2026, 3, 7),
            )

    def test_bad_input(self):
        with self.assertRaisesRegex(ValueError, "channel must be one of"):
            legal.earliest_next_step("be_b2c", D(2026, 3, 6), "fax")
        with self.assertRaisesRegex(ValueError, "unknown legal profile"):
            legal.earliest_next_step("xx", D(2026, 3, 6), "email")


class TestDerivedRates(unittest.TestCase):
    """The statutory rates that follow from a central bank's rate."""

    # The ECB's rate as a bank publishes it: changed within half years too.
    ECB = [
        (D(2025, 6, 11), "2.15"),
        (D(2026, 1, 1), "2.15"),
        (D(2026, 6, 17), "2.40"),
        (D(2026, 11, 4), "2.65"),
        (D(2027, 1, 1), "2.65"),
    ]

    def test_each_half_year_reads_the_rate_in_force_on_its_first_day(self):
        # 1 Jan 2026: 2.15 + 8 = 10.15; 1 Jul 2026: 2.40 (from 17 June) + 8 =
        # 10.40; 1 Jan 2027: 2.65 + 8 = 10.65. The change of 4 November makes no
        # rate of its own; 1 July 2025 is read from the value of 11 June (2.15).
        self.assertEqual(
            legal.derived_rates("nl_b2b", self.ECB),
            [
                (D(2025, 7, 1), E("10.15"), D(2025, 6, 11)),
                (D(2026, 1, 1), E("10.15"), D(2026, 1, 1)),
                (D(2026, 7, 1), E("10.40"), D(2026, 6, 17)),
                (D(2027, 1, 1), E("10.65"), D(2027, 1, 1)),
            ],
        )

    def test_a_half_year_is_derived_once_the_reference_reaches_it(self):
        # Without the value of 1 January 2027, the rate in force that day is not
        # known yet (the bank may change it first): no rate for 2027.
        self.assertEqual(
            [day for day, _p, _r in legal.derived_rates("eu_b2b", self.ECB[:4])],
            [D(2025, 7, 1), D(2026, 1, 1), D(2026, 7, 1)],
        )

    def test_belgium_rounds_up_to_the_next_half_point(self):
        # 2.15 -> 2.5 + 8 = 10.5; 2.40 -> 2.5: 10.5; 2.65 -> 3.0: 11.0; a rate on
        # a half point stays: 2.50 -> 10.5.
        self.assertEqual(
            [p for _d, p, _r in legal.derived_rates("be_b2b", self.ECB)],
            [E("10.5"), E("10.5"), E("10.5"), E("11.0")],
        )
        self.assertEqual(
            legal.derived_rates("be_b2b", [(D(2023, 1, 1), "2.50")]),
            [(D(2023, 1, 1), E("10.5"), D(2023, 1, 1))],
        )

    def test_germany_adds_nine_for_businesses_and_five_for_consumers(self):
        basis = [(D(2026, 1, 1), "1.27"), (D(2026, 7, 1), "1.52")]
        self.assertEqual(
            [p for _d, p, _r in legal.derived_rates("de_b2b", basis)],
            [E("10.27"), E("10.52")],
        )
        self.assertEqual(
            [p for _d, p, _r in legal.derived_rates("de_b2c", basis)],
            [E("6.27"), E("6.52")],
        )

    def test_the_riksbank_rate_gives_the_rate_from_its_own_date(self):
        # 2025: the reference rate of 3.0 applied from 8 January: 11.0 from then.
        riksbank = [(D(2024, 7, 1), "4.0"), (D(2025, 1, 8), "3.0")]
        self.assertEqual(
            legal.derived_rates("se_b2c", riksbank),
            [
                (D(2024, 7, 1), E("12.0"), D(2024, 7, 1)),
                (D(2025, 1, 8), E("11.0"), D(2025, 1, 8)),
            ],
        )

    def test_the_bank_rate_is_read_the_day_before_the_half_year(self):
        # 31 Dec 2025: 3.75 gives 11.75 for debts due from 1 January 2026; 30 June
        # 2026: 3.50 (changed on 18 June) gives 11.50 from 1 July; a value of
        # 1 July itself counts only for 1 January 2027, not known yet.
        bank_rate = [
            (D(2025, 12, 18), "3.75"),
            (D(2026, 6, 18), "3.50"),
            (D(2026, 7, 1), "3.25"),
        ]
        self.assertEqual(
            legal.derived_rates("uk_b2b", bank_rate),
            [
                (D(2026, 1, 1), E("11.75"), D(2025, 12, 18)),
                (D(2026, 7, 1), E("11.50"), D(2026, 6, 18)),
            ],
        )

    def test_negative_and_implausible_reference_rates(self):
        # The Riksbank's rate was below zero in 2016-2019: -0.5 + 8 = 7.5.
        self.assertEqual(
            legal.derived_rates("se_b2b", [(D(2017, 1, 1), "-0.5")]),
            [(D(2017, 1, 1), E("7.5"), D(2017, 1, 1))],
        )
        with self.assertRaisesRegex(ValueError, "not plausible"):
            legal.derived_rates("nl_b2b", [(D(2027, 1, 1), "215")])
        with self.assertRaisesRegex(ValueError, "same date"):
            legal.derived_rates("nl_b2b", [(D(2027, 1, 1), 2), (D(2027, 1, 1), 3)])
        with self.assertRaises(KeyError):
            legal.derived_rates("nl_b2c", self.ECB)


class TestMissingRates(unittest.TestCase):
    """A rate of an earlier half year never serves a day of a new one."""

    NL = [(D(2026, 1, 1), "10.15"), (D(2026, 7, 1), "10.40")]

    def test_a_new_half_year_without_its_rate(self):
        # Due 1 Dec 2026, charged through 20 Jan 2027: from 1 January 2027 no rate.
        self.assertEqual(
            legal.missing_rate_from("nl_b2b", self.NL, D(2026, 12, 1), D(2027, 1, 20)),
            D(2027, 1, 1),
        )
        # Through 31 December every day has its rate.
        self.assertIsNone(
            legal.missing_rate_from("nl_b2b", self.NL, D(2026, 12, 1), D(2026, 12, 31))
        )
        # Once 2027's rate exists, none is missing.
        rates = [*self.NL, (D(2027, 1, 1), "10.15")]
        self.assertIsNone(
            legal.missing_rate_from("nl_b2b", rates, D(2026, 12, 1), D(2027, 1, 20))
        )

    def test_a_gap_between_half_years(self):
        rates = [(D(2026, 1, 1), "10.15"), (D(2027, 1, 1), "10.15")]
        self.assertEqual(
            legal.missing_rate_from("de_b2b", rates, D(2026, 5, 1), D(2027, 1, 20)),
            D(2026, 7, 1),
        )
        # A debt due within the missing half year misses it from its first day.
        self.assertEqual(
            legal.missing_rate_from("de_b2b", rates, D(2026, 8, 3), D(2027, 1, 20)),
            D(2026, 8, 4),
        )

    def test_a_half_year_needs_a_rate_from_its_first_day(self):
        # Sweden 2025: the rate of 2024's second half (12.0) held until the new
        # reference rate of 8 January; the half year has a rate of its own from
        # its first day, as the law had it.
        rates = [
            (D(2024, 7, 1), "12.0"),
            (D(2025, 1, 1), "12.0"),
            (D(2025, 1, 8), "11.0"),
        ]
        self.assertIsNone(
            legal.missing_rate_from("se_b2b", rates, D(2024, 12, 1), D(2025, 3, 1))
        )
        # A rate typed from 1 March does not serve January and February.
        rates = [(D(2026, 7, 1), "10.40"), (D(2027, 3, 1), "10.15")]
        self.assertEqual(
            legal.missing_rate_from("nl_b2b", rates, D(2026, 12, 1), D(2027, 3, 5)),
            D(2027, 1, 1),
        )

    def test_decreed_rates_hold_until_changed(self):
        rates = [(D(2026, 1, 1), "4")]
        self.assertIsNone(
            legal.missing_rate_from("nl_b2c", rates, D(2026, 3, 1), D(2027, 3, 1))
        )
        # Before the first rate, even a decreed profile has none.
        self.assertEqual(
            legal.missing_rate_from("nl_b2c", rates, D(2025, 11, 1), D(2026, 3, 1)),
            D(2025, 11, 2),
        )

    def test_uk_needs_only_the_rate_of_the_half_year_of_the_due_date(self):
        rates = [(D(2026, 7, 1), "11.75")]
        # Due in 2026's second half: its rate holds for life, into 2027.
        self.assertIsNone(
            legal.missing_rate_from("uk_b2b", rates, D(2026, 11, 15), D(2027, 5, 1))
        )
        # Due in January 2027: its half year has no rate yet.
        self.assertEqual(
            legal.missing_rate_from("uk_b2b", rates, D(2027, 1, 10), D(2027, 2, 1)),
            D(2027, 1, 11),
        )

    def test_nothing_to_charge_nothing_missing(self):
        self.assertIsNone(
            legal.missing_rate_from("nl_b2b", [], D(2027, 1, 20), D(2027, 1, 20))
        )


class TestPaymentOrder(unittest.TestCase):
    """A partial payment on an invoice with costs and interest charged on it."""

    # EUR 10,000 Dutch business invoice: WIK costs 375 + 250 + 250 = 875.00 and
    # 155.64 interest charged: 1,030.64 of charges.
    OWED = {"costs": E("875.00"), "interest": E("155.64"), "principal": E("10000")}

    def test_dutch_order_costs_interest_principal(self):
        # 2,000 paid: the charges first (1,030.64), 969.36 on the invoice, whose
        # principal still open is 9,030.64.
        order = legal.PAYMENT_ORDER["nl_b2b"]
        self.assertEqual(
            legal.settle(2000, self.OWED, order),
            {"costs": E("875.00"), "interest": E("155.64"), "principal": E("969.36")},
        )
        # Less than the costs: part of the costs and nothing else.
        self.assertEqual(
            legal.settle("500", self.OWED, order),
            {"costs": E("500.00"), "interest": E("0.00"), "principal": E("0.00")},
        )
        # Between the costs and the charges.
        self.assertEqual(
            legal.settle("1000", self.OWED, order),
            {"costs": E("875.00"), "interest": E("125.00"), "principal": E("0.00")},
        )
        # More than everything: the rest is not settled here.
        self.assertEqual(
            legal.settle("12000", self.OWED, order)["principal"], E("10000.00")
        )

    def test_which_profiles_order_a_payment(self):
        self.assertEqual(
            sorted(legal.PAYMENT_ORDER),
            ["be_b2b", "be_b2c", "de_b2b", "de_b2c", "nl_b2b", "nl_b2c"],
        )
        self.assertNotIn("uk_b2b", legal.PAYMENT_ORDER)

    def test_bad_input(self):
        with self.assertRaisesRegex(ValueError, "cannot be negative"):
            legal.settle(-1, self.OWED, ("costs",))
        with self.assertRaisesRegex(ValueError, "no amount owed is given for fees"):
            legal.settle(1, self.OWED, ("fees",))


class TestStandalone(unittest.TestCase):
    def test_loads_without_odoo(self):
        result = run_without_odoo("legal", "m.compensation('uk_b2b', 5000)")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(), "70.00")
