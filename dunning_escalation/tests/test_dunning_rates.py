from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import D
from .common import DunningCase

DERIVED_PROFILES = (
    "eu_b2b",
    "nl_b2b",
    "be_b2b",
    "se_b2b",
    "se_b2c",
    "de_b2b",
    "de_b2c",
    "uk_b2b",
)


@tagged("post_install", "-at_install")
class TestDunningRates(DunningCase):
    """Reference rates, the statutory rates derived from them, no old rate for a
    new half year, and the warning before one starts without its rates."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Reference = cls.env["dunning.reference.rate"]
        cls.Rate = cls.env["dunning.interest.rate"]
        cls.system = new_test_user(
            cls.env,
            login="rates_admin",
            groups="base.group_system,account.group_account_manager",
        )
        cls.policy.legal_profile = "nl_b2b"
        cls.level_3.apply_interest = True
        cls.customer.write(
            {"is_company": True, "country_id": cls.env.ref("base.nl").id}
        )

    def _rate(self, profile, day):
        return self.Rate.search(
            [("legal_profile", "=", profile), ("date_from", "=", day)]
        )

    def _enter(self, reference, day, percent, user=None):
        return (
            self.Reference.with_user(user or self.system)
            .create({"reference": reference, "date_from": day, "percent": percent})
            .sudo()
        )

    def test_shipped_reference_rates_give_every_shipped_statutory_rate(self):
        shipped = self.Rate.search([("legal_profile", "in", DERIVED_PROFILES)])
        # 8 half years of 8 derived profiles, and Sweden's rate from 8 January 2025
        # (its first week kept 2024's second half's rate).
        self.assertEqual(len(shipped), 66)
        # Each one is linked to the reference value it follows, none differs.
        self.assertFalse(shipped.filtered(lambda rate: not rate.reference_rate_id))
        self.assertFalse(shipped.filtered("proposed_reference_id"))
        # Hand-worked from LEGAL_RULES: 2024-H2 Belgium: ECB 4.25 rounded up to
        # 4.5 + 8 = 12.5; UK debts due 2024-H1: Bank Rate 5.25 on 31 Dec 2023
        # + 8 = 13.25; Sweden from 8 January 2025: 3.0 + 8 = 11.0; Germany 2026-H2
        # consumers: 1.52 + 5 = 6.52.
        expected = [
            ("be_b2b", D(2024, 7, 1), 12.5, "ecb_mro", D(2024, 7, 1)),
            ("uk_b2b", D(2024, 1, 1), 13.25, "boe_base", D(2023, 12, 31)),
            ("se_b2b", D(2025, 1, 8), 11.0, "riksbank", D(2025, 1, 8)),
            ("de_b2c", D(2026, 7, 1), 6.52, "bundesbank_basis", D(2026, 7, 1)),
        ]
        for profile, day, percent, reference, read_on in expected:
            rate = self._rate(profile, day)
            self.assertRecordValues(
                rate, [{"percent": percent, "proposed_percent": 0.0}]
            )
            self.assertEqual(
                (rate.reference_rate_id.reference, rate.reference_rate_id.date_from),
                (reference, read_on),
            )
        # The shipped rates marked to verify stay so.
        self.assertTrue(self._rate("nl_b2b", D(2026, 7, 1)).to_verify)
        # Decreed rates are typed in, not derived.
        self.assertFalse(
            self.Rate.search([("legal_profile", "=", "nl_b2c")]).reference_rate_id
        )

    def test_entering_a_reference_rate_derives_every_profile_it_governs(self):
        # The ECB's rate on 1 January 2027, 2.15: EU and NL 10.15; Belgium 2.5 +
        # 8 = 10.5.
        ecb = self._enter("ecb_mro", D(2027, 1, 1), 2.15)
        self.assertEqual(
            {
                profile: self._rate(profile, D(2027, 1, 1)).percent
                for profile in ("eu_b2b", "nl_b2b", "be_b2b", "de_b2b")
            },
            {"eu_b2b": 10.15, "nl_b2b": 10.15, "be_b2b": 10.5, "de_b2b": 0.0},
        )
        self.assertEqual(
            sorted(ecb.interest_rate_ids.mapped("legal_profile")),
            ["be_b2b", "eu_b2b", "nl_b2b"],
        )
        # Corrected to 2.40: the derived rates follow; removed: they go.
        ecb.with_user(self.system).percent = 2.40
        self.assertEqual(self._rate("nl_b2b", D(2027, 1, 1)).percent, 10.40)
        self.assertEqual(self._rate("be_b2b", D(2027, 1, 1)).percent, 10.5)
        ecb.with_user(self.system).unlink()
        self.assertFalse(self._rate("nl_b2b", D(2027, 1, 1)))

    def test_removing_a_reference_value_keeps_the_rates_typed_in(self):
        # The shipped rate of nl_b2b from 1 July 2026 was typed in and agrees
        # with the ECB's value: removing the value unlinks it, never deletes it.
        shipped = self._rate("nl_b2b", D(2026, 7, 1))
        ecb = shipped.reference_rate_id
        self.assertFalse(shipped.derived)
        ecb.with_user(self.system).unlink()
        self.assertRecordValues(
            shipped, [{"percent": 10.40, "reference_rate_id": False}]
        )
        # A derived rate is not deleted by hand: its reference value is.
        value = self._enter("ecb_mro", D(2027, 1, 1), 2.15)
        derived = self._rate("eu_b2b", D(2027, 1, 1))
        self.assertTrue(derived.derived)
        with self.assertRaisesRegex(UserError, "follows the reference rate"):
            derived.with_user(self.system).unlink()
        value.with_user(self.system).unlink()
        self.assertFalse(derived.exists())

    def test_a_rate_typed_in_is_never_overwritten_silently(self):
        typed = self.Rate.with_user(self.system).create(
            {"legal_profile": "nl_b2b", "date_from": D(2027, 1, 1), "percent": 10.25}
        )
        ecb = self._enter("ecb_mro", D(2027, 1, 1), 2.15)
        self.assertRecordValues(
            typed,
            [
                {
                    "percent": 10.25,
                    "reference_rate_id": False,
                    "proposed_percent": 10.15,
                    "proposed_reference_id": ecb.id,
                }
            ],
        )
        # Kept: the same derived figure is not proposed again...
        typed.with_user(self.system).action_keep_typed()
        ecb.with_user(self.system).source = "ECB press release"
        ecb.with_user(self.system).to_verify = True
        self.assertRecordValues(
            typed, [{"percent": 10.25, "proposed_reference_id": False}]
        )
        # ... a new one is.
        ecb.with_user(self.system).percent = 2.40
        self.assertRecordValues(typed, [{"percent": 10.25, "proposed_percent": 10.40}])
        typed.with_user(self.system).action_use_derived()
        self.assertRecordValues(
            typed,
            [
                {
                    "percent": 10.40,
                    "reference_rate_id": ecb.id,
                    "proposed_reference_id": False,
                    "to_verify": True,
                }
            ],
        )
        # Changed by hand, it is typed in again.
        typed.with_user(self.system).percent = 10.5
        self.assertRecordValues(
            typed,
            [{"reference_rate_id": False, "proposed_percent": 10.40}],
        )

    def test_reference_rates_are_read_by_accountants_and_kept_by_admins(self):
        accountant = new_test_user(
            self.env, login="rates_accountant", groups="account.group_account_manager"
        )
        self.assertTrue(self.Reference.with_user(accountant).search_count([]))
        with self.assertRaises(AccessError):
            self._enter("ecb_mro", D(2027, 1, 1), 2.15, user=accountant)

    def test_no_day_of_a_new_half_year_at_an_old_rate(self):
        # EUR 10,000 due 20 December 2026: the final notice of 3 January 2027
        # charges interest from 21 December, and 2027 has no rate yet.
        invoice = self._invoice("2026-12-20", 10000.0)
        for day in ("2026-12-23", "2026-12-27", "2027-01-03", "2027-01-10"):
            self._run(day)
        self.assertEqual(invoice.dunning_level_id, self.level_3)
        self.assertFalse(invoice.dunning_fee_move_ids)
        interest = self._events(invoice, "interest")
        self.assertEqual(len(interest), 1)
        self.assertEqual(interest.state, "failed")
        self.assertEqual(interest.retry_date, D(2027, 1, 11))
        self.assertIn("no statutory rate for nl_b2b from 01/01/2027", interest.reason)
        # The ECB's rate of 1 January 2027 entered: the next run charges 21
        # December to 11 January once, each day at its own half year's rate:
        # 10,000 x 10.40% x 11/365 = 31.342466 (21-31 December) and
        # 10,000 x 10.15% x 11/365 = 30.589041 (1-11 January): 61.93.
        self._enter("ecb_mro", D(2027, 1, 1), 2.15)
        self._run("2027-01-11")
        self._run("2027-01-12")
        charge = invoice.dunning_fee_move_ids
        self.assertEqual(len(charge), 1)
        self.assertEqual(charge.amount_total, 61.93)
        self.assertIn(
            "from 2026-12-21 to 2027-01-11, 22 days at 10.15 / 10.40%",
            charge.invoice_line_ids.name,
        )
        self.assertRecordValues(
            interest, [{"state": "done", "amount": 61.93, "retry_date": False}]
        )

    def test_one_warning_per_policy_before_a_half_year_without_rates(self):
        # A second policy, by the customer's country, with a German customer's
        # open invoice: it needs de_b2b, whose Basiszinssatz of 2027 is missing.
        by_country = self.policy.copy({"name": "By country"})
        by_country.legal_profile = "by_customer"
        german = self.env["res.partner"].create(
            {
                "name": "Becker Maschinenbau GmbH",
                "is_company": True,
                "country_id": self.env.ref("base.de").id,
                "dunning_policy_id": by_country.id,
            }
        )
        self._invoice("2026-11-30", 500.0, partner=german)
        self._invoice("2026-11-30", 500.0)
        for day in ("2026-11-20", "2026-12-05", "2026-12-06", "2026-12-20"):
            self._run(day)
        warnings = self.env["mail.activity"].search(
            [
                ("res_model", "=", "dunning.policy"),
                ("res_id", "in", (self.policy | by_country).ids),
            ]
        )
        # Nothing on 20 November (42 days ahead); one per policy since 5 December.
        self.assertEqual(len(warnings), 2)
        self.assertEqual(set(warnings.mapped("dunning_rates_from")), {D(2027, 1, 1)})
        own = warnings.filtered(lambda a: a.res_id == self.policy.id)
        other = warnings - own
        self.assertEqual(own.summary, "Statutory rates missing from 01/01/2027")
        self.assertIn("nl_b2b", str(own.note))
        self.assertNotIn("de_b2b", str(own.note))
        self.assertIn("de_b2b", str(other.note))
        for warning in warnings:
            self.assertTrue(
                warning.user_id.has_group("account.group_account_manager"), warning
            )
            self.assertIn(self.env.company, warning.user_id.company_ids)
        # The settings show what is missing.
        with freeze_time("2026-12-20"):
            shown = self.env["res.config.settings"].create({}).dunning_missing_rates
        self.assertEqual(shown, "From 01/01/2027: de_b2b, nl_b2b")
        # The ECB's rate entered: the first policy's to-do is done by itself; the
        # second waits for the Basiszinssatz, however late in the half year.
        self._enter("ecb_mro", D(2027, 1, 1), 2.15)
        self._run("2026-12-21")
        self.assertFalse(own.active, "done")
        self.assertIn("The statutory rates exist now.", self.policy.message_ids[0].body)
        self._run("2027-06-30")
        self.assertTrue(other.active)
        # A to-do a person marks done is not left again for the same half year.
        other.action_feedback(feedback="Seen: the Basiszinssatz comes later")
        self._run("2027-06-30")

        def open_warnings(half):
            return self.env["mail.activity"].search(
                [
                    ("res_model", "=", "dunning.policy"),
                    ("dunning_rates_from", "=", half),
                ]
            )

        self.assertFalse(open_warnings(D(2027, 1, 1)))
        # The next half year's rates are missing too: told once per policy.
        self.assertEqual(len(open_warnings(D(2027, 7, 1))), 2)
        # Without interest on any level, a policy needs no rate.
        self.assertFalse(
            self.env["dunning.policy"]
            .create(
                {
                    "name": "Reminders only",
                    "level_ids": [
                        Command.create(
                            {
                                "name": "Reminder",
                                "delay_days": 3,
                                "mail_template_id": self.level_1.mail_template_id.id,
                            }
                        )
                    ],
                }
            )
            ._dunning_profiles_in_use()
        )
