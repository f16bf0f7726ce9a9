from unittest.mock import patch

import requests
from freezegun import freeze_time

from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

from .common import D

FETCH = "odoo.addons.dunning_escalation.models.dunning_reference_rate_fetch"

# Answers written from each service's documented format, as they would read on
# 5 January 2027 from the first day asked for (200 days before the last value the
# addon ships).
# The ECB's series lists the days its rate changed.
ECB = (
    "KEY,FREQ,REF_AREA,CURRENCY,PROVIDER_FM,INSTRUMENT_FM,PROVIDER_FM_ID,"
    "DATA_TYPE_FM,TIME_PERIOD,OBS_VALUE,OBS_STATUS,OBS_CONF,TITLE,UNIT\n"
    + "".join(
        f"FM.B.U2.EUR.4F.KR.MRR_FR.LEV,B,U2,EUR,4F,KR,MRR_FR,LEV,{day},{value},A,F,"
        f'"Main refinancing operations - fixed rate tenders (fixed rate) (date of '
        f'changes) - Level",PC\n'
        for day, value in (
            ("2025-06-11", "2.15"),
            ("2026-06-17", "2.40"),
            ("2026-12-17", "2.15"),
        )
    )
)
# The Riksbank's, Bundesbank's and Bank of England's: every banking day (month).
RIKSBANK = (
    '[{"date":"2025-12-30","value":2.0},{"date":"2026-01-02","value":2.0},'
    '{"date":"2026-07-01","value":2.0},{"date":"2027-01-04","value":1.75}]'
)
BUNDESBANK = "DATAFLOW;BBK_STD_FREQ;TIME_PERIOD;OBS_VALUE;BBK_OBS_STATUS\n" + "".join(
    f"BBK:BBIN1(1.0);M;{month};{value};A\n"
    for month, value in (
        ("2025-12", "1.27"),
        ("2026-01", "1.27"),
        ("2026-06", "1.27"),
        ("2026-07", "1.52"),
        ("2026-12", "1.52"),
        ("2027-01", "1.27"),
    )
)
BANK_OF_ENGLAND = (
    "DATE,IUDBEDR\n18 Dec 2025,3.75\n31 Dec 2025,3.75\n30 Jun 2026,3.75\n"
    "17 Dec 2026,3.5\n31 Dec 2026,3.5\n04 Jan 2027,3.5\n"
)


class Answer:
    def __init__(self, text, status=200):
        self.text = text
        self.status_code = status

    def raise_for_status(self):
        if self.status_code >= 400:
            raise requests.HTTPError(f"{self.status_code} Server Error")


@tagged("post_install", "-at_install")
class TestDunningReferenceFetch(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Reference = cls.env["dunning.reference.rate"]
        cls.Rate = cls.env["dunning.interest.rate"]
        cls.admin = new_test_user(
            cls.env,
            login="fetch_admin",
            groups="base.group_system,account.group_account_manager",
        )

    def _answers(self, **answers):
        """A stand-in for the network: each bank's answer by the address's host."""
        hosts = {
            "data-api.ecb.europa.eu": answers.get("ecb", ECB),
            "api.riksbank.se": answers.get("riksbank", RIKSBANK),
            "api.statistiken.bundesbank.de": answers.get("bundesbank", BUNDESBANK),
            "www.bankofengland.co.uk": answers.get("boe", BANK_OF_ENGLAND),
        }
        asked = []

        def get(url, timeout=None, headers=None):
            asked.append((url, timeout))
            answer = hosts[url.split("/")[2]]
            if isinstance(answer, Exception):
                raise answer
            return answer if isinstance(answer, Answer) else Answer(answer)

        return patch(f"{FETCH}.requests.get", side_effect=get), asked

    def _fetch(self, **answers):
        mock, asked = self._answers(**answers)
        with mock, freeze_time("2027-01-05"):
            self.Reference._cron_fetch()
        return asked

    def _value(self, reference, day):
        return self.Reference.search(
            [("reference", "=", reference), ("date_from", "=", day)]
        )

    def _rate(self, profile, day):
        return self.Rate.search(
            [("legal_profile", "=", profile), ("date_from", "=", day)]
        ).percent

    def _failures(self, reference):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "dunning.reference.rate"),
                ("dunning_fetch_reference", "=", reference),
            ]
        )

    def test_each_bank_is_read_and_the_statutory_rates_follow(self):
        asked = self._fetch()
        self.assertEqual(len(asked), 4)
        self.assertEqual({timeout for _url, timeout in asked}, {30})
        # Asked from 200 days before the last value kept (1 July 2026 / 30 June
        # 2026 for the Bank Rate); the ECB's changes from the first.
        self.assertIn("startPeriod=1999-01-01", asked[0][0])
        self.assertIn("SECBREFEFF/2025-12-13", asked[1][0])
        self.assertIn("Datefrom=12/Dec/2025", asked[3][0])
        # What the statutory rates need, newer than what was kept: the ECB's rate
        # in force on 1 January 2027 (2.15, from 17 December), the Riksbank's of
        # the half year (1.75, first seen on 4 January), the Basiszinssatz of
        # January (1.27), the Bank Rate of 31 December (3.5). The values read for
        # 2026 agree with those shipped and add nothing.
        for reference, day, percent in (
            ("ecb_mro", D(2027, 1, 1), 2.15),
            ("riksbank", D(2027, 1, 1), 1.75),
            ("bundesbank_basis", D(2027, 1, 1), 1.27),
            ("boe_base", D(2026, 12, 31), 3.5),
        ):
            value = self._value(reference, day)
            self.assertEqual(value.percent, percent, reference)
            self.assertTrue(value.source.startswith("https://"), value.source)
            self.assertFalse(value.to_verify)
        self.assertEqual(self.Reference.search_count([]), 33 + 4)
        # Hand-worked: 2.15 + 8; 2.15 up to 2.5 + 8; 1.75 + 8; 1.27 + 9 and + 5;
        # 3.5 + 8 for the UK debts falling due from 1 January 2027.
        self.assertEqual(
            {
                profile: self._rate(profile, D(2027, 1, 1))
                for profile in (
                    "nl_b2b",
                    "eu_b2b",
                    "be_b2b",
                    "se_b2b",
                    "se_b2c",
                    "de_b2b",
                    "de_b2c",
                    "uk_b2b",
                )
            },
            {
                "nl_b2b": 10.15,
                "eu_b2b": 10.15,
                "be_b2b": 10.5,
                "se_b2b": 9.75,
                "se_b2c": 9.75,
                "de_b2b": 10.27,
                "de_b2c": 6.27,
                "uk_b2b": 11.5,
            },
        )
        # Read again: nothing new.
        self._fetch()
        self.assertEqual(self.Reference.search_count([]), 37)

    def test_a_failure_changes_nothing_and_says_why_once(self):
        before = self.Reference.search_count([])
        self._fetch(ecb=requests.ConnectionError("Name or service not known"))
        self.assertEqual(self.Reference.search_count([]), before + 3, "the others")
        self.assertFalse(self._value("ecb_mro", D(2027, 1, 1)))
        self.assertFalse(self._rate("nl_b2b", D(2027, 1, 1)))
        failure = self._failures("ecb_mro")
        self.assertEqual(len(failure), 1)
        self.assertEqual(failure.summary, "Reading ECB main refinancing rate failed")
        self.assertIn("Name or service not known", str(failure.note))
        self.assertEqual(failure.res_id, self._value("ecb_mro", D(2026, 7, 1)).id)
        self.assertTrue(failure.user_id.has_group("base.group_system"))
        # Failing again: the same to-do, with the latest reason.
        self._fetch(ecb=Answer("<html><body>Service unavailable</body></html>", 503))
        self.assertEqual(self._failures("ecb_mro"), failure)
        self.assertIn("503 Server Error", str(failure.note))
        # A changed format.
        self._fetch(ecb="<html><body>The data portal has moved</body></html>")
        self.assertIn("no TIME_PERIOD and OBS_VALUE columns", str(failure.note))
        # Read again without error: the rates come, the to-do is done.
        self._fetch()
        self.assertEqual(self._rate("nl_b2b", D(2027, 1, 1)), 10.15)
        self.assertFalse(failure.active)

    def test_an_implausible_value_changes_nothing(self):
        answer = ECB.replace("2026-12-17,2.15", "2026-12-17,21.5")
        self._fetch(ecb=answer)
        self.assertFalse(self._value("ecb_mro", D(2027, 1, 1)))
        self.assertIn("not plausible", str(self._failures("ecb_mro").note))

    def test_a_value_that_disagrees_with_one_typed_in_changes_nothing(self):
        typed = self.Reference.with_user(self.admin).create(
            {"reference": "ecb_mro", "date_from": D(2027, 1, 1), "percent": 2.40}
        )
        self._fetch()
        self.assertEqual(typed.percent, 2.40)
        self.assertEqual(self._rate("nl_b2b", D(2027, 1, 1)), 10.40)
        note = str(self._failures("ecb_mro").note)
        self.assertIn("gives 2.15% for 2027-01-01, where 2.4% is entered", note)

    def test_a_value_typed_on_a_change_day_is_compared_too(self):
        self.Reference.with_user(self.admin).create(
            {"reference": "ecb_mro", "date_from": D(2026, 12, 17), "percent": 2.25}
        )
        self._fetch()
        self.assertFalse(self._value("ecb_mro", D(2027, 1, 1)))
        note = str(self._failures("ecb_mro").note)
        self.assertIn("gives 2.15% for 2026-12-17, where 2.25% is entered", note)

    def test_off_until_a_settings_administrator_turns_it_on(self):
        cron = self.env.ref("dunning_escalation.ir_cron_dunning_reference_rates")
        self.assertFalse(cron.active)
        settings = self.env["res.config.settings"].with_user(self.admin)
        self.assertFalse(settings.create({}).dunning_fetch_reference_rates)
        settings.create({"dunning_fetch_reference_rates": True}).execute()
        self.assertTrue(cron.active)
        settings.create({"dunning_fetch_reference_rates": False}).execute()
        self.assertFalse(cron.active)
        accountant = new_test_user(
            self.env, login="fetch_accountant", groups="account.group_account_manager"
        )
        self.assertNotIn(
            "dunning_fetch_reference_rates",
            self.env["res.config.settings"].with_user(accountant).fields_get(),
        )
