"""The central banks' rates as their public data services publish them: where to
read each one, how to read the answer, and which values the statutory rates need.

Standard library only: this file loads from its own path with no Odoo installed.
Each reader takes the text of the service's answer and returns its observations as
(date, Decimal percent) pairs, oldest first; an answer that is not in the format
the service documents raises ValueError.
"""

import csv
import datetime
import io
import json
from decimal import Decimal
from decimal import InvalidOperation

# The addresses, with the first day asked for ({start}: an ISO date) and, for the
# Bank of England, the same day as its database writes it ({start_boe}).
# - ECB Data Portal, series FM.B.U2.EUR.4F.KR.MRR_FR.LEV: the fixed rate of the main
#   refinancing operations on each day it changed ("date of changes"), as SDMX-CSV
#   ("csvdata"); read from its first day (see CHANGE_DATES).
# - Riksbank SWEA API, series SECBREFEFF: the reference rate (referensränta) in
#   force each day, as JSON.
# - Deutsche Bundesbank SDMX web service, series BBIN1.M.DE.BBK.BBKBAS2.EUR.ME: the
#   base rate under the Civil Code (Basiszinssatz, SU0115) at each month's end, as
#   SDMX-CSV; it changes on 1 January and 1 July only, so a month's value is the
#   one in force from its first day.
# - Bank of England database, series IUDBEDR: Bank Rate each business day, as CSV.
URLS = {
    "ecb_mro": "https://data-api.ecb.europa.eu/service/data/FM/"
    "B.U2.EUR.4F.KR.MRR_FR.LEV?format=csvdata&startPeriod={start}",
    "riksbank": "https://api.riksbank.se/swea/v1/Observations/SECBREFEFF/{start}",
    "bundesbank_basis": "https://api.statistiken.bundesbank.de/rest/data/BBIN1/"
    "M.DE.BBK.BBKBAS2.EUR.ME?format=sdmx_csv&startPeriod={start_month}",
    "boe_base": "https://www.bankofengland.co.uk/boeapps/database/"
    "_iadb-fromshowcolumns.asp?csv.x=yes&Datefrom={start_boe}&Dateto=now"
    "&SeriesCodes=IUDBEDR&CSVF=TN&UsingCodes=Y&VPD=Y&VFD=N",
}

# Series that list only the days their rate changed: read from their first day, so
# that the change in force is in the answer, and known through the day they are
# read. The others have a value for every banking day (or month) and are known
# through their last one.
CHANGE_DATES = frozenset({"ecb_mro"})
SERIES_START = datetime.date(1999, 1, 1)

# A central bank's rate outside these bounds, or moving more than MAX_STEP points
# from one observation to the next, is taken for a misread, not a decision.
LOWEST, HIGHEST = Decimal(-5), Decimal(25)
MAX_STEP = Decimal(2)


def url(reference, start):
    """The address that reads ``reference`` from ``start`` (a date) on; a series
    of change dates from its first day."""
    if reference in CHANGE_DATES:
        start = SERIES_START
    return URLS[reference].format(
        start=start.isoformat(),
        start_month=start.strftime("%Y-%m"),
        start_boe=start.strftime("%d/%b/%Y"),
    )


def _percent(text, where):
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError) as error:
        raise ValueError(f"{where}: {text!r} is not a rate") from error
    if not value.is_finite():
        raise ValueError(f"{where}: {text!r} is not a rate")
    return value


def _checked(observations):
    """``observations`` sorted, one per day, plausible, and not empty."""
    if not observations:
        raise ValueError("the answer holds no observation")
    by_day = {}
    for day, value in observations:
        if day in by_day and by_day[day] != value:
            raise ValueError(f"two values for {day.isoformat()}")
        by_day[day] = value
    result = sorted(by_day.items())
    previous = None
    for day, value in result:
        if not LOWEST <= value <= HIGHEST:
            raise ValueError(
                f"a rate of {value}% on {day.isoformat()} is not plausible"
            )
        if previous is not None and abs(value - previous) > MAX_STEP:
            raise ValueError(
                f"a move from {previous}% to {value}% on {day.isoformat()} is not "
                "plausible"
            )
        previous = value
    return result


def read_sdmx_csv(text):
    """The observations of an SDMX-CSV answer (the ECB's and the Bundesbank's):
    the columns TIME_PERIOD (a day, or a month read as its first day) and
    OBS_VALUE, separated by commas or semicolons; empty values are skipped."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines:
        raise ValueError("the answer is empty")
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    rows = csv.DictReader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    if not rows.fieldnames or not {"TIME_PERIOD", "OBS_VALUE"} <= set(rows.fieldnames):
        raise ValueError("the answer has no TIME_PERIOD and OBS_VALUE columns")
    observations = []
    for row in rows:
        period, value = (row["TIME_PERIOD"] or "").strip(), row["OBS_VALUE"]
        if value is None or not value.strip() or value.strip().upper() == "NAN":
            continue
        try:
            if len(period) == 7:
                day = datetime.date.fromisoformat(f"{period}-01")
            else:
                day = datetime.date.fromisoformat(period)
        except ValueError as error:
            raise ValueError(f"{period!r} is not a period") from error
        observations.append((day, _percent(value, period)))
    return _checked(observations)


def read_riksbank_json(text):
    """The observations of the Riksbank's SWEA answer: a JSON list of objects
    with "date" (ISO) and "value"."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError("the answer is not JSON") from error
    if not isinstance(data, list):
        raise ValueError("the answer is not a list of observations")
    observations = []
    for item in data:
        try:
            day = datetime.date.fromisoformat(item["date"][:10])
            value = item["value"]
        except (TypeError, KeyError, ValueError) as error:
            raise ValueError(f"{item!r} is not an observation") from error
        if value is None:
            continue
        observations.append((day, _percent(value, day.isoformat())))
    return _checked(observations)


def read_boe_csv(text):
    """The observations of the Bank of England database's CSV: a DATE column
    ("02 Jan 2026") and one column for the series (IUDBEDR)."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows or [cell.strip().upper() for cell in rows[0][:2]] != [
        "DATE",
        "IUDBEDR",
    ]:
        raise ValueError("the answer has no DATE and IUDBEDR columns")
    observations = []
    for row in rows[1:]:
        if not row or not row[0].strip():
            continue
        try:
            day = datetime.datetime.strptime(row[0].strip(), "%d %b %Y").date()
        except ValueError as error:
            raise ValueError(f"{row[0]!r} is not a date") from error
        if len(row) < 2 or not row[1].strip():
            continue
        observations.append((day, _percent(row[1], row[0])))
    return _checked(observations)


READERS = {
    "ecb_mro": read_sdmx_csv,
    "riksbank": read_riksbank_json,
    "bundesbank_basis": read_sdmx_csv,
    "boe_base": read_boe_csv,
}


def _half_year_starts(first, last):
    """1 January and 1 July from ``first`` through ``last``."""
    start = _half_year_start_of(first)
    if start < first:
        start = _next_half_year(start)
    while start <= last:
        yield start
        start = _next_half_year(start)


def _next_half_year(start):
    if start.month == 1:
        return datetime.date(start.year, 7, 1)
    return datetime.date(start.year + 1, 1, 1)


def known_until(reference, observations, read_on):
    """The last day ``observations`` of ``reference`` tell the rate of: the day
    they were read for a series of change dates, else their last day."""
    if reference in CHANGE_DATES:
        return read_on
    return observations[-1][0] if observations else None


def in_force(observations, day):
    """The rate in force on ``day``: the last observation on or before it."""
    known = [value for seen, value in observations if seen <= day]
    return known[-1] if known else None


def values_to_keep(reference, observations, since, known):
    """The values of ``reference`` the statutory rates need, as (date, percent),
    from ``observations`` (a reader's result) known through the day ``known``,
    for the days after ``since``: the rate in force on each half year's first day
    (the Bank Rate: on the day before). The Riksbank fixes its reference rate for
    each half year: the half year's first value (its first banking day) is dated
    on the half year's first day, and a change later in the half year on its own
    day (2025: from 8 January)."""
    if not observations or not known:
        return []
    lag = datetime.timedelta(days=1 if reference == "boe_base" else 0)
    kept = {}
    first = since + datetime.timedelta(days=1) + lag
    for start in _half_year_starts(first, known + lag):
        if reference == "riksbank":
            end = _next_half_year(start)
            within = [value for day, value in observations if start <= day < end]
            if within:
                kept[start] = within[0]
            continue
        value = in_force(observations, start - lag)
        if value is not None:
            kept[start - lag] = value
    if reference == "riksbank":
        previous_day = previous = None
        for day, value in observations:
            opens_half = previous_day is not None and _half_year_start_of(
                previous_day
            ) != _half_year_start_of(day)
            changed = previous is not None and value != previous
            if changed and day > since and not opens_half:
                kept[day] = value
            previous_day, previous = day, value
    return sorted(kept.items())


def _half_year_start_of(day):
    return datetime.date(day.year, 1 if day.month <= 6 else 7, 1)
