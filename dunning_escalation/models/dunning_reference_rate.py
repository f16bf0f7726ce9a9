"""The central banks' rates that the statutory interest rates follow: entered once
(or read from the bank, see dunning_reference_rate_fetch.py), each derived profile's
rate follows as its law says (tools.legal.DERIVED)."""

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare

from ..tools import legal
from .dunning_interest_rate import NOT_LINKED

REFERENCES = [
    ("ecb_mro", "ECB main refinancing rate"),
    ("riksbank", "Riksbank reference rate"),
    ("bundesbank_basis", "German base rate (Basiszinssatz)"),
    ("boe_base", "Bank of England Bank Rate"),
]
assert tuple(key for key, _label in REFERENCES) == legal.REFERENCES

# The law of each derived profile, named in the source of the rates it derives.
LAWS = {
    "eu_b2b": "Directive 2011/7/EU art. 2(6)",
    "nl_b2b": "BW 6:119a",
    "be_b2b": "Law of 2 August 2002 art. 5",
    "se_b2b": "räntelagen 6 §",
    "se_b2c": "räntelagen 6 §",
    "de_b2b": "BGB § 288 Abs. 2",
    "de_b2c": "BGB § 288 Abs. 1",
    "uk_b2b": "Late Payment of Commercial Debts (Rate of Interest) (No. 3) Order 2002",
}
assert set(LAWS) == set(legal.DERIVED)


class DunningReferenceRate(models.Model):
    _name = "dunning.reference.rate"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Reference Interest Rate"
    _order = "reference, date_from desc"
    _rec_names_search = ["reference", "source"]

    reference = fields.Selection(REFERENCES, required=True, index=True)
    date_from = fields.Date(
        string="From",
        required=True,
        help="The day from which this value is in force; it holds until the next "
        "value of the same reference. A half year's statutory rates are derived "
        "from a value dated on its first day or later: enter the rate in force on "
        "1 January or 1 July (the Bank Rate: on 31 December or 30 June).",
    )
    percent = fields.Float(
        string="Rate (%)",
        digits=(16, 4),
        required=True,
        help="The central bank's rate, without any legal margin.",
    )
    source = fields.Char(
        help="Where the value comes from: the central bank's notice or the address "
        "it was read from."
    )
    to_verify = fields.Boolean(
        help="Not read from the central bank's own notice: check it. The rates "
        "derived from it are marked the same way."
    )
    interest_rate_ids = fields.One2many(
        "dunning.interest.rate",
        "reference_rate_id",
        string="Statutory Rates",
        help="The statutory rates derived from this value.",
    )

    _reference_date_unique = models.Constraint(
        "UNIQUE(reference, date_from)",
        "A reference rate has one value per start date.",
    )

    @api.depends("reference", "date_from", "percent")
    def _compute_display_name(self):
        labels = dict(self._fields["reference"]._description_selection(self.env))
        for rate in self:
            rate.display_name = self.env._(
                "%(reference)s from %(date)s: %(percent)s%%",
                reference=labels.get(rate.reference, ""),
                date=rate.date_from,
                percent=rate.percent,
            )

    @api.constrains("percent")
    def _check_percent(self):
        for rate in self:
            if not -20 <= rate.percent <= 50:
                raise ValidationError(
                    self.env._(
                        "A reference rate of %(percent)s%% is not plausible "
                        "(%(rate)s); central banks' rates lie between -20%% and 50%%.",
                        percent=rate.percent,
                        rate=rate.display_name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        rates = super().create(vals_list)
        self._derive(set(rates.mapped("reference")))
        return rates

    def write(self, vals):
        before = set(self.mapped("reference"))
        result = super().write(vals)
        if {"reference", "date_from", "percent", "to_verify"} & set(vals):
            self._derive(before | set(self.mapped("reference")))
        return result

    def unlink(self):
        references = set(self.mapped("reference"))
        result = super().unlink()
        self._derive(references)
        return result

    @api.model
    def _derive(self, references):
        """Create or update the statutory rate of every profile that follows
        ``references``, for each half year they govern. A derived rate follows its
        reference; a rate typed in for the same profile and day is kept: equal, it
        is linked to its reference; different, the derived figure is proposed
        beside it until a person chooses (see dunning.interest.rate)."""
        Rate = (
            self.env["dunning.interest.rate"].sudo().with_context(dunning_deriving=True)
        )
        for reference in sorted(references):
            values = self.sudo().search([("reference", "=", reference)])
            by_day = {value.date_from: value for value in values}
            pairs = [(value.date_from, value.percent) for value in values]
            for profile, (followed, _margin, _round) in legal.DERIVED.items():
                if followed != reference:
                    continue
                existing = {
                    rate.date_from: rate
                    for rate in Rate.search([("legal_profile", "=", profile)])
                }
                derived = legal.derived_rates(profile, pairs)
                for day, percent, read_on in derived:
                    self._derive_one(
                        Rate,
                        profile,
                        day,
                        float(percent),
                        by_day[read_on],
                        existing.get(day),
                    )
                # The rates of days no reference value governs any more (a value
                # removed or moved): a derived one goes, a typed one stays as
                # typed, with nothing proposed.
                days = {day for day, _percent, _read in derived}
                for day, rate in existing.items():
                    if day in days:
                        continue
                    if rate.derived:
                        rate.unlink()
                    elif rate.reference_rate_id or rate.proposed_reference_id:
                        rate.write(NOT_LINKED)

    @api.model
    def _derive_one(self, Rate, profile, day, percent, value, rate):
        """Bring the statutory rate of ``profile`` from ``day`` (``rate``, if it
        exists) in step with ``percent``, derived from the reference ``value``: a
        derived rate follows it; a rate typed in is linked to it when equal, else
        the figure is proposed beside it (unless a person declined that figure)."""
        if not rate:
            Rate.create(
                {
                    "legal_profile": profile,
                    "date_from": day,
                    "percent": percent,
                    "derived": True,
                    "reference_rate_id": value.id,
                    "source": value._derivation_source(profile),
                    "to_verify": value.to_verify,
                }
            )
            return
        same = not float_compare(rate.percent, percent, precision_digits=4)
        if rate.derived:
            vals = {
                "percent": percent,
                "reference_rate_id": value.id,
                "source": value._derivation_source(profile),
                "to_verify": value.to_verify,
                "proposed_percent": 0.0,
                "proposed_reference_id": False,
            }
        elif same:
            vals = {**NOT_LINKED, "reference_rate_id": value.id}
        elif rate.declined_percent and not float_compare(
            rate.declined_percent, percent, precision_digits=4
        ):
            vals = {**NOT_LINKED, "declined_percent": rate.declined_percent}
        else:
            vals = {
                **NOT_LINKED,
                "proposed_percent": percent,
                "proposed_reference_id": value.id,
                "declined_percent": rate.declined_percent,
            }
        changed = {
            name: new
            for name, new in vals.items()
            if rate._fields[name].convert_to_write(rate[name], rate) != new
            and not (
                rate._fields[name].type == "float"
                and not float_compare(rate[name], new or 0.0, precision_digits=4)
            )
        }
        if changed:
            rate.write(changed)

    def _derivation_source(self, profile):
        """The source of a statutory rate of ``profile`` derived from self."""
        self.ensure_one()
        _reference, margin, round_up = legal.DERIVED[profile]
        rounded = ", rounded up to a half point" if round_up else ""
        return (
            f"{LAWS[profile]}: {dict(REFERENCES)[self.reference]} "
            f"{self.percent:g}% ({self.date_from.isoformat()}){rounded} + {margin:g}"
        )
