from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_date

from ..tools import legal
from .dunning_policy import LEGAL_PROFILES

# What a statutory rate carries when it neither follows nor agrees with a
# reference value, nor has a figure proposed.
NOT_LINKED = {
    "reference_rate_id": False,
    "proposed_percent": 0.0,
    "proposed_reference_id": False,
    "declined_percent": 0.0,
}


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
    reference_rate_id = fields.Many2one(
        "dunning.reference.rate",
        string="Derived From",
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
        help="The reference rate this rate follows (a derived rate) or agrees with "
        "(a rate typed in).",
    )
    derived = fields.Boolean(
        readonly=True,
        help="Created from its reference rate and kept in step with it; a rate "
        "typed in is never changed by a reference rate.",
    )
    proposed_percent = fields.Float(
        string="Derived Rate (%)",
        digits=(16, 4),
        readonly=True,
        help="What the reference rate gives for this profile and half year, where "
        "it differs from the rate typed in: choose which one applies.",
    )
    proposed_reference_id = fields.Many2one(
        "dunning.reference.rate",
        string="Derived Rate From",
        readonly=True,
        ondelete="set null",
    )
    declined_percent = fields.Float(
        digits=(16, 4),
        readonly=True,
        help="A derived rate a person declined for the rate typed in: not proposed "
        "again.",
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

    @api.model_create_multi
    def create(self, vals_list):
        rates = super().create(vals_list)
        if not self.env.context.get("dunning_deriving"):
            rates._dunning_adopt_derived()
        return rates

    def write(self, vals):
        # A rate a person changes is theirs: typed in, no longer derived.
        by_hand = {"percent", "date_from", "legal_profile"} & set(vals) and not (
            self.env.context.get("dunning_deriving")
        )
        if by_hand:
            vals = {**vals, **NOT_LINKED, "derived": False}
        result = super().write(vals)
        if by_hand:
            self._dunning_adopt_derived()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_derived(self):
        derived = self.filtered("derived")
        if derived and not self.env.context.get("dunning_deriving"):
            rate = derived[0]
            raise UserError(
                self.env._(
                    "The rate of %(profile)s from %(date)s follows the reference "
                    "rate %(reference)s: change or delete that value instead, or "
                    "type a different figure over this rate.",
                    profile=rate.legal_profile,
                    date=format_date(self.env, rate.date_from),
                    reference=rate.reference_rate_id.display_name,
                )
            )

    def _dunning_adopt_derived(self):
        """Compare rates typed in with what their profile's reference rate
        gives, as a derivation does."""
        references = {
            legal.DERIVED[rate.legal_profile][0]
            for rate in self
            if rate.legal_profile in legal.DERIVED
        }
        if references:
            self.env["dunning.reference.rate"]._derive(references)

    def action_use_derived(self):
        """Apply the rate derived from the reference instead of the one typed in."""
        for rate in self.filtered("proposed_reference_id"):
            rate.with_context(dunning_deriving=True).write(
                {
                    **NOT_LINKED,
                    "percent": rate.proposed_percent,
                    "reference_rate_id": rate.proposed_reference_id.id,
                    "source": rate.proposed_reference_id._derivation_source(
                        rate.legal_profile
                    ),
                    "to_verify": rate.proposed_reference_id.to_verify,
                    "derived": True,
                }
            )

    def action_keep_typed(self):
        """Keep the rate typed in; the derived figure is not proposed again."""
        for rate in self.filtered("proposed_reference_id"):
            rate.with_context(dunning_deriving=True).write(
                {
                    "declined_percent": rate.proposed_percent,
                    "proposed_percent": 0.0,
                    "proposed_reference_id": False,
                }
            )

    @api.model
    def _rates(self, profile):
        """The rates of ``profile`` as (date_from, Decimal percent) pairs for
        tools.legal."""
        rates = self.sudo().search([("legal_profile", "=", profile)])
        return [(rate.date_from, Decimal(str(rate.percent))) for rate in rates]
