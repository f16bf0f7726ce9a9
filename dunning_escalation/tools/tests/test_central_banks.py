"""Tests of tools/central_banks.py, loaded from its file path: answers written from
each service's documented format, never read from the network."""

import datetime
import unittest
from decimal import Decimal

from .standalone import load_tool
from .standalone import run_without_odoo

banks = load_tool("central_banks")
D = datetime.date
E = Decimal

# The ECB Data Portal's SDMX-CSV ("csvdata"): one row per business day, the
# series key first, then its dimensions, TIME_PERIOD, OBS_VALUE and attributes.
ECB_HEAD = (
    "KEY,FREQ,REF_AREA,CURRENCY,PROVIDER_FM,INSTRUMENT_FM,PROVIDER_FM_ID,"
    "DATA_TYPE_FM,TIME_PERIOD,OBS_VALUE,OBS_STATUS,OBS_CONF,TITLE,UNIT\n"
)


def ecb_row(day, value):
    return (
        f"FM.B.U2.EUR.4F.KR.MRR_FR.LEV,B,U2,EUR,4F,KR,MRR_FR,LEV,{day},{value},A,F,"
        '"Main refinancing operations - fixed rate tenders (fixed rate) (date of '
        'changes) - Level",PC\n'
    )


# The series lists the days the rate changed.
ECB = (
    ECB_HEAD
    + ecb_row("2025-06-11", "2.15")
    + ecb_row("2026-06-17", "2.40")
    + ecb_row("2026-12-17", "2.15")
)


class TestReaders(unittest.TestCase):
    def test_ecb_sdmx_csv(self):
        self.assertEqual(
            banks.read_sdmx_csv(ECB),
            [
                (D(2025, 6, 11), E("2.15")),
                (D(2026, 6, 17), E("2.40")),
                (D(2026, 12, 17), E("2.15")),
            ],
        )

    def test_bundesbank_sdmx_csv_by_month(self):
        # The Bundesbank's SDMX-CSV, semicolons, a month per row (its end).
        text = (
            "DATAFLOW;BBK_STD_FREQ;BBK_STD_COUNTRY;BBK_STD_INSTITUTION;"
            "BBK_IRCBR_TYPE;BBK_STD_CURRENCY;BBK_STD_AGG;TIME_PERIOD;OBS_VALUE;"
            "BBK_DIFF;BBK_OBS_STATUS\n"
            "BBK:BBIN1(1.0);M;DE;BBK;BBKBAS2;EUR;ME;2026-11;1.52;;A\n"
            "BBK:BBIN1(1.0);M;DE;BBK;BBKBAS2;EUR;ME;2026-12;1.52;;A\n"
            "BBK:BBIN1(1.0);M;DE;BBK;BBKBAS2;EUR;ME;2027-01;1.27;;A\n"
        )
        self.assertEqual(
            banks.read_sdmx_csv(text),
            [
                (D(2026, 11, 1), E("1.52")),
                (D(2026, 12, 1), E("1.52")),
                (D(2027, 1, 1), E("1.27")),
            ],
        )

    def test_riksbank_json(self):
        text = (
            '[{"date":"2026-12-30","value":1.75},{"date":"2027-01-01","value":1.75},'
            '{"date":"2027-01-02","value":null}]'
        )
        self.assertEqual(
            banks.read_riksbank_json(text),
            [(D(2026, 12, 30), E("1.75")), (D(2027, 1, 1), E("1.75"))],
        )

    def test_bank_of_england_csv(self):
        text = "DATE,IUDBEDR\n18 Dec 2026,3.5\n31 Dec 2026,3.25\n"
        self.assertEqual(
            banks.read_boe_csv(text),
            [(D(2026, 12, 18), E("3.5")), (D(2026, 12, 31), E("3.25"))],
        )

    def test_answers_that_are_not_the_format(self):
        cases = [
            (banks.read_sdmx_csv, "<html><body>Maintenance</body></html>", "columns"),
            (banks.read_sdmx_csv, ECB_HEAD, "no observation"),
            (banks.read_sdmx_csv, ECB_HEAD + ecb_row("31/12/2026", "2.15"), "period"),
            (banks.read_sdmx_csv, ECB_HEAD + ecb_row("2026-12-31", "x"), "not a rate"),
            (banks.read_riksbank_json, "<html></html>", "not JSON"),
            (banks.read_riksbank_json, '{"error": "unknown series"}', "not a list"),
            (banks.read_riksbank_json, '[{"day": "2027-01-01"}]', "observation"),
            (banks.read_boe_csv, "SERIES,VALUE\n", "columns"),
            (banks.read_boe_csv, "DATE,IUDBEDR\n2026-12-31,3.5\n", "not a date"),
        ]
        for reader, text, message in cases:
            with self.subTest(message), self.assertRaisesRegex(ValueError, message):
                reader(text)

    def test_implausible_values(self):
        with self.assertRaisesRegex(ValueError, "215.*not plausible"):
            banks.read_sdmx_csv(ECB_HEAD + ecb_row("2026-12-31", "215"))
        # A jump of 2.25 points overnight is a misread (a decimal lost), not a
        # decision.
        with self.assertRaisesRegex(ValueError, "move from 2.15% to 4.40%"):
            banks.read_sdmx_csv(
                ECB_HEAD + ecb_row("2026-12-30", "2.15") + ecb_row("2026-12-31", "4.40")
            )


class TestValuesToKeep(unittest.TestCase):
    def test_ecb_keeps_the_rate_in_force_on_each_half_years_first_day(self):
        # Read on 5 January 2027: 1 January 2026: 2.15 (from 11 June 2025); 1 July
        # 2026: 2.40 (from 17 June); 1 January 2027: 2.15 (from 17 December).
        observations = banks.read_sdmx_csv(ECB)
        known = banks.known_until("ecb_mro", observations, D(2027, 1, 5))
        self.assertEqual(known, D(2027, 1, 5))
        self.assertEqual(
            banks.values_to_keep("ecb_mro", observations, D(2025, 12, 31), known),
            [
                (D(2026, 1, 1), E("2.15")),
                (D(2026, 7, 1), E("2.40")),
                (D(2027, 1, 1), E("2.15")),
            ],
        )
        # Read on 31 December 2026: the rate of 1 January is not known yet (the
        # bank may still change it).
        self.assertEqual(
            banks.values_to_keep(
                "ecb_mro", observations, D(2026, 7, 1), D(2026, 12, 31)
            ),
            [],
        )

    def test_bank_rate_on_the_day_before_the_half_year(self):
        observations = [
            (D(2026, 12, 18), E("3.5")),
            (D(2026, 12, 31), E("3.25")),
            (D(2027, 1, 4), E("3.25")),
        ]
        known = banks.known_until("boe_base", observations, D(2027, 1, 5))
        self.assertEqual(known, D(2027, 1, 4), "the last banking day in the answer")
        self.assertEqual(
            banks.values_to_keep("boe_base", observations, D(2026, 6, 30), known),
            [(D(2026, 12, 31), E("3.25"))],
        )

    def test_riksbank_each_half_year_and_a_change_within_it(self):
        # Banking days only. 2025: 4.0 from its first banking day (2 January),
        # dated 1 January; the new 3.0 from 8 January; 2.0 from 1 July.
        observations = [
            (D(2024, 12, 30), E("4.0")),
            (D(2025, 1, 2), E("4.0")),
            (D(2025, 1, 8), E("3.0")),
            (D(2025, 7, 1), E("2.0")),
        ]
        self.assertEqual(
            banks.values_to_keep(
                "riksbank", observations, D(2024, 12, 29), D(2025, 7, 1)
            ),
            [
                (D(2025, 1, 1), E("4.0")),
                (D(2025, 1, 8), E("3.0")),
                (D(2025, 7, 1), E("2.0")),
            ],
        )
        # The new rate on the first banking day of 2027 is the rate of 1 January.
        observations = [(D(2026, 12, 30), E("2.0")), (D(2027, 1, 4), E("1.75"))]
        self.assertEqual(
            banks.values_to_keep(
                "riksbank", observations, D(2026, 7, 1), D(2027, 1, 4)
            ),
            [(D(2027, 1, 1), E("1.75"))],
        )

    def test_addresses(self):
        self.assertEqual(
            banks.url("boe_base", D(2026, 6, 14)),
            "https://www.bankofengland.co.uk/boeapps/database/"
            "_iadb-fromshowcolumns.asp?csv.x=yes&Datefrom=14/Jun/2026&Dateto=now"
            "&SeriesCodes=IUDBEDR&CSVF=TN&UsingCodes=Y&VPD=Y&VFD=N",
        )
        self.assertTrue(
            banks.url("bundesbank_basis", D(2026, 6, 14)).endswith(
                "M.DE.BBK.BBKBAS2.EUR.ME?format=sdmx_csv&startPeriod=2026-06"
            )
        )
        # A series of change dates is read from its beginning.
        self.assertTrue(
            banks.url("ecb_mro", D(2026, 6, 14)).endswith("startPeriod=1999-01-01")
        )

    def test_loads_without_odoo(self):
        result = run_without_odoo(
            "central_banks", "m.url('riksbank', datetime.date(2027, 1, 1))"
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(
            result.stdout.strip(),
            "https://api.riksbank.se/swea/v1/Observations/SECBREFEFF/2027-01-01",
        )
