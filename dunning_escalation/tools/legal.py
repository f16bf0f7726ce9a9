"""Late-payment law: statutory interest, fixed recovery compensation and the waiting
periods between notices, per legal profile.

Standard library only: this file loads from its own path with no Odoo installed.
Amounts are ``decimal.Decimal`` and every public function rounds its result half-up
to cents at the end (intermediate sums keep full precision). Each rule names its
source; the figures are summarised in the project's LEGAL_RULES and README.

Interest rates are data, not code: callers pass ``rates`` as ``(date_from, percent)``
pairs (the statutory rate, reference rate plus margin, in force from that date), kept
in Odoo as ``dunning.interest.rate`` records an accountant extends every half year.
"""

import datetime
import itertools
from decimal import ROUND_HALF_UP
from decimal import Decimal
from decimal import InvalidOperation

CENT = Decimal("0.01")
DAYS_PER_YEAR = Decimal(365)

PROFILES = (
    "eu_b2b",
    "nl_b2b",
    "nl_b2c",
    "be_b2b",
    "be_b2c",
    "se_b2b",
    "se_b2c",
    "de_b2b",
    "de_b2c",
    "uk_b2b",
)

# The currency in which each profile's fixed amounts are set by law.
PROFILE_CURRENCY = {
    "eu_b2b": "EUR",
    "nl_b2b": "EUR",
    "nl_b2c": "EUR",
    "be_b2b": "EUR",
    "be_b2c": "EUR",
    "se_b2b": "SEK",
    "se_b2c": "SEK",
    "de_b2b": "EUR",
    "de_b2c": "EUR",
    "uk_b2b": "GBP",
}

# Profiles whose law adds each full year's interest to the principal:
# Burgerlijk Wetboek art. 6:119 lid 2 (wettelijke rente) and 6:119a lid 3
# (handelsrente).
COMPOUND_YEARLY = frozenset({"nl_b2b", "nl_b2c"})

# Profiles whose rate is fixed for the life of the debt: Late Payment of Commercial
# Debts (Interest) Act 1998 and the Late Payment of Commercial Debts (Rate of
# Interest) (No. 3) Order 2002, the reference rate being the Bank of England base
# rate on 31 December (debts falling due 1 January to 30 June) or 30 June
# (1 July to 31 December).
FIXED_FOR_LIFE = frozenset({"uk_b2b"})

# The central-bank rates the statutory rates follow:
# ecb_mro: the ECB's main refinancing operations rate; riksbank: the Riksbank's
# reference rate (referensränta); bundesbank_basis: the Deutsche Bundesbank's base
# rate (Basiszinssatz, BGB § 247); boe_base: the Bank of England's Bank Rate.
REFERENCES = ("ecb_mro", "riksbank", "bundesbank_basis", "boe_base")

# Each derived profile: its reference, the points its law adds, and whether the
# reference is first rounded up to the next half point.
# - eu_b2b: Directive 2011/7/EU art. 2(6), the ECB rate on 1 January / 1 July + 8.
# - nl_b2b: BW 6:119a lid 2 (handelsrente), the same.
# - be_b2b: Law of 2 August 2002 art. 5, the ECB rate rounded up to the next half
#   point + 8, per half year.
# - se_b2b, se_b2c: räntelagen 6 §, the reference rate in force each day + 8; the
#   Riksbank fixes its reference rate for each half year (9 §), exceptionally from
#   another day (2025: from 8 January).
# - de_b2b, de_b2c: BGB § 288 Abs. 2 and Abs. 1, the Basiszinssatz + 9 / + 5; the
#   Basiszinssatz changes on 1 January and 1 July only (§ 247).
# - uk_b2b: Late Payment of Commercial Debts (Rate of Interest) (No. 3) Order 2002,
#   the Bank Rate on 31 December / 30 June + 8, for the debts falling due in the
#   following half year (see FIXED_FOR_LIFE).
DERIVED = {
    "eu_b2b": ("ecb_mro", Decimal(8), False),
    "nl_b2b": ("ecb_mro", Decimal(8), False),
    "be_b2b": ("ecb_mro", Decimal(8), True),
    "se_b2b": ("riksbank", Decimal(8), False),
    "se_b2c": ("riksbank", Decimal(8), False),
    "de_b2b": ("bundesbank_basis", Decimal(9), False),
    "de_b2c": ("bundesbank_basis", Decimal(5), False),
    "uk_b2b": ("boe_base", Decimal(8), False),
}

# Profiles whose rate a decree sets (BW 6:120 lid 2 for nl_b2c; the Belgian legal
# rate, Law of 5 May 1865, for be_b2c): typed in, and in force until the next
# decree changes it. Every other profile has a rate of its own for each half year.
DECREED = frozenset({"nl_b2c", "be_b2c"})

# References whose every value is itself the rate of a period, from its own date:
# the statutory rate follows each of them. The others are read on the first day of
# each half year (the Bank Rate on the day before it).
FOLLOWED_BY_DATE = frozenset({"riksbank"})
READ_THE_DAY_BEFORE = frozenset({"boe_base"})


def _money(value, name):
    try:
        amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError) as error:
        raise ValueError(f"{name} must be an amount, not {value!r}") from error
    if not amount.is_finite():
        raise ValueError(f"{name} must be a finite amount, not {value!r}")
    if amount < 0:
        raise ValueError(f"{name} cannot be negative ({value})")
    return amount


def _date(value, name):
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        raise ValueError(f"{name} must be a date, not {value!r}")
    return value


def _profile(profile):
    if profile not in PROFILES:
        raise ValueError(
            f"unknown legal profile {profile!r}; known: {', '.join(PROFILES)}"
        )
    return profile


def _cents(amount):
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _add_years(day, years):
    """The same day ``years`` later; 29 February becomes 1 March."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return datetime.date(day.year + years, 3, 1)


def _dated_amounts(entries, what):
    """``entries`` checked as (date, non-negative amount) pairs; ``what`` names
    them in errors (e.g. "a payment")."""
    checked = []
    for entry in entries:
        try:
            day, amount = entry
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"{what} must be a (date, amount) pair, not {entry!r}"
            ) from error
        checked.append((_date(day, f"{what}'s date"), _money(amount, what)))
    return checked


def _sorted_rates(rates):
    checked = _dated_amounts(rates, "an interest rate")
    for _day, percent in checked:
        if percent > 100:
            raise ValueError(f"an interest rate of {percent}% a year is not plausible")
    checked.sort(key=lambda pair: pair[0])
    dates = [pair[0] for pair in checked]
    if len(set(dates)) != len(dates):
        raise ValueError("two interest rates start on the same date")
    return checked


def rate_on(rates, day):
    """The rate (percent, Decimal) in force on ``day``: the last one starting on or
    before it. Raises ValueError when no rate covers the day."""
    _date(day, "day")
    found = None
    for date_from, percent in _sorted_rates(rates):
        if date_from > day:
            break
        found = percent
    if found is None:
        raise ValueError(f"no interest rate is known for {day.isoformat()}")
    return found


def rates_for(profile, rates, due):
    """The rates that apply to a debt of ``profile`` falling due on ``due``.

    For the profiles whose rate is fixed for the life of the debt (UK), the rate in
    force for the half year in which the debt fell due, for every day after it;
    otherwise ``rates`` unchanged (each half year's rate applies to its own days).
    """
    _profile(profile)
    _date(due, "due date")
    if profile not in FIXED_FOR_LIFE:
        return _sorted_rates(rates)
    return [(due, rate_on(rates, due))]


def half_year_start(day):
    """1 January or 1 July: the first day of the half year of ``day``."""
    _date(day, "day")
    return day.replace(month=1 if day.month <= 6 else 7, day=1)


def next_half_year(day):
    """The first day of the half year after the one of ``day``."""
    start = half_year_start(day)
    if start.month == 1:
        return start.replace(month=7)
    return start.replace(year=start.year + 1, month=1)


def _reference_values(values):
    """``values`` of a reference rate checked and sorted: (date, Decimal percent);
    a central bank's rate may be negative."""
    checked = []
    for entry in values:
        try:
            day, percent = entry
            percent = Decimal(str(percent))
        except (TypeError, ValueError, InvalidOperation) as error:
            raise ValueError(
                f"a reference rate must be a (date, percent) pair, not {entry!r}"
            ) from error
        if not percent.is_finite() or not -20 <= percent <= 50:
            raise ValueError(f"a reference rate of {percent}% is not plausible")
        checked.append((_date(day, "a reference rate's date"), percent))
    checked.sort(key=lambda pair: pair[0])
    dates = [day for day, _percent in checked]
    if len(set(dates)) != len(dates):
        raise ValueError("two values of a reference rate start on the same date")
    return checked


def derived_rates(profile, values):
    """The statutory rates of ``profile`` that follow from ``values``, the
    (date_from, percent) values of its reference rate (see DERIVED), as
    (date_from, percent, date of the reference value used) triples.

    A half year's rate is the reference rate in force on its first day (for the
    Bank Rate, on the day before), derived once a value is known from that day on:
    a later value, or one dated that very day, shows that the reference was
    entered that far. The Riksbank's reference rate gives the rate from each
    value's own date."""
    reference, margin, round_up = DERIVED[_profile(profile)]
    values = _reference_values(values)
    if not values:
        return []

    def rate(percent):
        if round_up:
            percent = (percent * 2).to_integral_value(rounding="ROUND_CEILING") / 2
        return percent + margin

    if reference in FOLLOWED_BY_DATE:
        return [(day, rate(percent), day) for day, percent in values]
    lag = datetime.timedelta(days=1 if reference in READ_THE_DAY_BEFORE else 0)
    first, last = values[0][0], values[-1][0]
    start = half_year_start(first)
    while start - lag < first:
        start = next_half_year(start)
    result = []
    while start - lag <= last:
        read_on = start - lag
        day, percent = [pair for pair in values if pair[0] <= read_on][-1]
        result.append((start, rate(percent), day))
        start = next_half_year(start)
    return result


def missing_rate_from(profile, rates, due, until):
    """The first day from the day after ``due`` through ``until`` that has no
    statutory rate of ``profile`` in ``rates``, or None when every day has one.

    A day has a rate when one starts on or before it and, but for a decreed
    profile (DECREED), its half year has a rate starting on its first day: a rate
    of an earlier half year is never carried into a new one, nor a rate from later
    in the half year back to its first days. A debt whose rate is fixed for its
    life (FIXED_FOR_LIFE) needs only the rate of the half year it fell due in."""
    _profile(profile)
    _date(due, "due date")
    _date(until, "end date")
    start = due + datetime.timedelta(days=1)
    if until < start:
        return None
    starts = {day for day, _percent in _sorted_rates(rates)}
    if not starts or min(starts) > start:
        return start
    if profile in DECREED:
        return None
    if profile in FIXED_FOR_LIFE:
        return None if half_year_start(due) in starts else start
    half = half_year_start(start)
    while half <= until:
        if half not in starts:
            return max(half, start)
        half = next_half_year(half)
    return None


def statutory_interest(
    principal, due, until, rates, compound_yearly=False, payments=()
):
    """Interest on ``principal`` from the day after ``due`` through ``until``.

    Simple interest, actual days / 365 (leap years too), on the amount still unpaid
    each day: a payment ``(date, amount)`` lowers the base from the day after its
    date. A period that spans a rate change is split at the change. With
    ``compound_yearly``, each full year's interest, the years counted from the day
    after ``due``, is added to the base (BW 6:119 lid 2, 6:119a lid 3).
    Returns the interest rounded half-up to cents; zero when ``until`` is on or
    before ``due``.
    """
    principal = _money(principal, "principal")
    _date(due, "due date")
    _date(until, "end date")
    paid = _dated_amounts(payments, "a payment")
    start = due + datetime.timedelta(days=1)
    if until < start:
        return Decimal("0.00")
    rates = _sorted_rates(rates)
    end = until + datetime.timedelta(days=1)  # exclusive

    # Every day on which the base or the rate may change.
    changes = {date_from for date_from, _ in rates if start < date_from < end}
    changes.update(
        pay_date + datetime.timedelta(days=1)
        for pay_date, _ in paid
        if start <= pay_date + datetime.timedelta(days=1) < end
    )
    anniversaries = set()
    if compound_yearly:
        year = 1
        while (anniversary := _add_years(start, year)) < end:
            anniversaries.add(anniversary)
            year += 1
        changes.update(anniversaries)
    bounds = [start, *sorted(changes), end]

    # Payments made on or before the due date lower the base from the start.
    base = principal - sum(
        (amount for pay_date, amount in paid if pay_date < start), Decimal(0)
    )
    total = Decimal(0)
    this_year = Decimal(0)
    for segment_start, segment_end in itertools.pairwise(bounds):
        if segment_start in anniversaries:
            base += this_year
            this_year = Decimal(0)
        base -= sum(
            (
                amount
                for pay_date, amount in paid
                if pay_date + datetime.timedelta(days=1) == segment_start
                and segment_start != start
            ),
            Decimal(0),
        )
        base = max(base, Decimal(0))
        days = (segment_end - segment_start).days
        interest = base * rate_on(rates, segment_start) / 100 * days / DAYS_PER_YEAR
        total += interest
        this_year += interest
    return _cents(total)


def _wik(principal):
    """Besluit vergoeding voor buitengerechtelijke incassokosten, art. 2: 15% of the
    first 2,500; 10% of the next 2,500; 5% of the next 5,000; 1% of the next
    190,000; 0.5% of the rest; at least EUR 40, at most EUR 6,775."""
    brackets = (
        (Decimal(2500), Decimal("0.15")),
        (Decimal(2500), Decimal("0.10")),
        (Decimal(5000), Decimal("0.05")),
        (Decimal(190000), Decimal("0.01")),
        (None, Decimal("0.005")),
    )
    rest = principal
    cost = Decimal(0)
    for size, share in brackets:
        part = rest if size is None else min(rest, size)
        cost += part * share
        rest -= part
        if rest <= 0:
            break
    return min(max(cost, Decimal(40)), Decimal(6775))


def _be_consumer(principal):
    """Code of Economic Law, Book XIX, art. XIX.4 (from 1 December 2023), the most a
    creditor may claim from a consumer after the free first reminder: up to 150.00:
    EUR 20; 150.01 to 500.00: EUR 30 plus 10% of the part above 150; above 500: EUR 65
    plus 5% of the part above 500, at most EUR 2,000."""
    if principal <= Decimal(150):
        return Decimal(20)
    if principal <= Decimal(500):
        return Decimal(30) + (principal - Decimal(150)) * Decimal("0.10")
    return min(
        Decimal(65) + (principal - Decimal(500)) * Decimal("0.05"), Decimal(2000)
    )


def _uk(principal):
    """Late Payment of Commercial Debts (Interest) Act 1998, s. 5A: GBP 40 under
    1,000; 70 from 1,000 to 9,999.99; 100 from 10,000."""
    if principal < Decimal(1000):
        return Decimal(40)
    if principal < Decimal(10000):
        return Decimal(70)
    return Decimal(100)


_COMPENSATION = {
    # Directive 2011/7/EU, art. 6: EUR 40 per invoice, due without a reminder.
    "eu_b2b": lambda principal: Decimal(40),
    # BW 6:96 lid 4-6 with the WIK scale (see _wik), business and consumer alike.
    "nl_b2b": _wik,
    "nl_b2c": _wik,
    # Law of 2 August 2002, art. 6: EUR 40.
    "be_b2b": lambda principal: Decimal(40),
    "be_b2c": _be_consumer,
    # Lag (1981:739) om ersättning för inkassokostnader m.m., 4 a §: SEK 450 from a
    # business debtor; 2 § with förordning (1981:1057) 2 §: SEK 180 for a
    # collection demand (inkassokrav) to a consumer.
    "se_b2b": lambda principal: Decimal(450),
    "se_b2c": lambda principal: Decimal(180),
    # BGB § 288 Abs. 5: EUR 40 from a business debtor; nothing flat from a consumer.
    "de_b2b": lambda principal: Decimal(40),
    "de_b2c": lambda principal: Decimal(0),
    "uk_b2b": _uk,
}


def compensation(profile, principal):
    """The fixed recovery cost a creditor may charge for one unpaid invoice of
    ``principal`` under ``profile``, in the profile's currency (PROFILE_CURRENCY),
    scales, minimums and caps included. Charged once per invoice, never per
    reminder. Nothing is owed on a principal of zero."""
    _profile(profile)
    principal = _money(principal, "principal")
    if principal == 0:
        return Decimal("0.00")
    return _cents(_COMPENSATION[profile](principal))


# What a partial payment settles first, where the law fixes an order (the parts
# of one invoice's debt: "costs" the fees and recovery compensation charged on it,
# "interest" the interest charged on it, "principal" the invoice itself):
# - NL, BW 6:44 lid 1: costs, then the interest fallen due, last the principal;
#   "costs" include the extrajudicial collection costs (HR 10 July 2015,
#   ECLI:NL:HR:2015:1868). A debtor who designates another order may see the
#   payment refused (lid 2). Businesses and consumers alike.
# - DE, BGB § 367 Abs. 1: costs, then interest, last the principal; a payment
#   designated otherwise may be refused (Abs. 2). Consumers too; § 497 Abs. 3
#   (consumer loans, and through § 506 paid deferrals and instalment sales)
#   reverses it, which no invoice of this addon is.
# - BE, Civil Code Book 5 art. 5.210 (law of 28 April 2022, in force 1 January
#   2023; the old art. 1254 said the same and still rules obligations born
#   before 2023, art. 64): without the creditor's consent a payment is not
#   applied to the principal before the interest; a payment short of the whole
#   debt settles the interest first. The article does not name costs; Belgian
#   doctrine applies a payment to the costs and the penalty clause first, then
#   the interest, then the principal, which is the order used here (it keeps
#   the interest before the principal, all the article demands). Default law
#   (art. 5.3): the creditor may agree to another order, the policy's switch.
#   The consumer-credit exception (Code of Economic Law art. VII.106 § 5:
#   penalties last) covers credit agreements, not invoices.
# Other profiles (UK common-law appropriation, the EU directive, Sweden, where
# no statute names an order, Handelsbalken 9:5 and NJA 2013 s. 1190 choosing
# only between several debts): the payment stays where it was registered.
PAYMENT_ORDER = {
    "nl_b2b": ("costs", "interest", "principal"),
    "nl_b2c": ("costs", "interest", "principal"),
    "de_b2b": ("costs", "interest", "principal"),
    "de_b2c": ("costs", "interest", "principal"),
    "be_b2b": ("costs", "interest", "principal"),
    "be_b2c": ("costs", "interest", "principal"),
}


def settle(amount, owed, order):
    """How ``amount`` settles the parts of a debt ``owed`` ({part: amount open})
    taken in ``order``: {part: amount settled}, every part of ``owed`` present;
    what is left over after the last part settles nothing here. Amounts in cents,
    none negative."""
    left = _money(amount, "the payment")
    unknown = set(order) - set(owed)
    if unknown:
        raise ValueError(f"no amount owed is given for {', '.join(sorted(unknown))}")
    settled = {part: Decimal("0.00") for part in owed}
    for part in order:
        share = min(left, _money(owed[part], part))
        settled[part] = _cents(share)
        left -= share
    return settled


def _easter(year):
    """Easter Sunday (Gregorian), by the anonymous Gregorian computus."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return datetime.date(year, month, day + 1)


def belgian_public_holidays(year):
    """The ten legal public holidays of Belgium (Royal Decree of 18 April 1974)."""
    easter = _easter(year)
    day = datetime.timedelta(days=1)
    return {
        datetime.date(year, 1, 1),
        easter + day,  # Easter Monday
        datetime.date(year, 5, 1),
        easter + 39 * day,  # Ascension Day
        easter + 50 * day,  # Whit Monday
        datetime.date(year, 7, 21),
        datetime.date(year, 8, 15),
        datetime.date(year, 11, 1),
        datetime.date(year, 11, 11),
        datetime.date(year, 12, 25),
    }


def _belgian_working_days_after(day, count):
    """The ``count``-th Belgian working day (Monday to Friday, public holidays
    excluded) after ``day``."""
    current = day
    while count:
        current += datetime.timedelta(days=1)
        if current.weekday() < 5 and current not in belgian_public_holidays(
            current.year
        ):
            count -= 1
    return current


CHANNELS = ("email", "letter")

# Profiles under which a consumer may be charged costs only once a notice announced
# them and its waiting period ran out (see earliest_next_step).
NOTICE_BEFORE_COSTS = frozenset({"be_b2c", "nl_b2c"})


def earliest_next_step(profile, sent, channel):
    """The first date on which the next step (charging costs, a further notice) may
    be taken after a notice sent on ``sent`` by ``channel`` ('email' or 'letter').

    - be_b2c (Code of Economic Law, art. XIX.2): the reminder gives at least 14
      calendar days, which begin on the third working day after a paper reminder is
      sent, or on the day after an electronic one; the next step comes on the day
      after the 14th day.
    - nl_b2c (BW 6:96 lid 6, the "14-dagenbrief"): 14 days counted from the day
      after the notice is received. An email is taken as received the day it is
      sent; a letter, cautiously, two days after posting.
    - every other profile: no statutory wait, the next day.
    """
    _profile(profile)
    _date(sent, "sending date")
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}, not {channel!r}")
    day = datetime.timedelta(days=1)
    if profile == "be_b2c":
        if channel == "letter":
            first = _belgian_working_days_after(sent, 3)
        else:
            first = sent + day
        return first + 14 * day
    if profile == "nl_b2c":
        received = sent + (2 * day if channel == "letter" else 0 * day)
        return received + 15 * day
    return sent + day
