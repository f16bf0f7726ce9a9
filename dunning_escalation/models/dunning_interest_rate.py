from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .dunning_policy import LEGAL_PROFILES


class DunningInterestRate(models.Model):
    _name = "dunning.interest.rate"
    _description = "Statutory Interest Rate"
    _order = "legal_profile, date_from desc"
    _rec_name = "legal_profile"

    legal_profile = fields.Selection(LEGAL_PROFILES, required=True, index=True)
    date_from = fields.Date(
        string="From",
        required=True,
        help="The rate applies from this date until the next rate of the profile.",
    )
    percent = fields.Float(
        string="Rate (% a year)",
        digits=(16, 4),
        required=True,
        help="The statutory rate: reference rate plus the legal margin.",
    )
    source = fields.Char(help="Where the figure comes from, to check it against.")
    to_verify = fields.Boolean(
        help="Derived from the reference rate and the statutory formula, not read "
        "from an official notice: check it before relying on it.",
    )

    _profile_date_unique = models.Constraint(
        "UNIQUE(legal_profile, date_from)",
        "A legal profile has one rate per start date.",
    )

    @api.constrains("percent")
    def _check_percent(self):
        for rate in self:
            if not 0 <= rate.percent <= 100:
                raise ValidationError(
                    self.env._(
                        "An interest rate of %(percent)s%% a year is not plausible "
                        "(profile %(profile)s, from %(date)s).",
                        percent=rate.percent,
                        profile=rate.legal_profile,
                        date=rate.date_from,
                    )
                )

    @api.model
    def _rates(self, profile):
        """The rates of ``profile`` as (date_from, Decimal percent) pairs for
        tools.legal."""
        rates = self.sudo().search([("legal_profile", "=", profile)])
        return [(rate.date_from, Decimal(str(rate.percent))) for rate in rates]
