from odoo import api, fields, models
from odoo.tools import format_date


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    dunning_policy_id = fields.Many2one(
        related="company_id.dunning_policy_id",
        readonly=False,
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_user_id = fields.Many2one(
        related="company_id.dunning_user_id",
        readonly=False,
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_fee_account_id = fields.Many2one(
        related="company_id.dunning_fee_account_id",
        readonly=False,
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_interest_account_id = fields.Many2one(
        related="company_id.dunning_interest_account_id",
        readonly=False,
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_fee_tax_ids = fields.Many2many(
        related="company_id.dunning_fee_tax_ids",
        readonly=False,
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_segment_months = fields.Integer(
        related="company_id.dunning_segment_months",
        readonly=False,
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_segment_min_invoices = fields.Integer(
        related="company_id.dunning_segment_min_invoices",
        readonly=False,
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_segment_reliable_days = fields.Float(
        related="company_id.dunning_segment_reliable_days",
        readonly=False,
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_segment_reliable_share = fields.Float(
        related="company_id.dunning_segment_reliable_share",
        readonly=False,
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_segment_late_days = fields.Float(
        related="company_id.dunning_segment_late_days",
        readonly=False,
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_segment_late_share = fields.Float(
        related="company_id.dunning_segment_late_share",
        readonly=False,
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_segment_chronic_days = fields.Float(
        related="company_id.dunning_segment_chronic_days",
        readonly=False,
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_segment_chronic_share = fields.Float(
        related="company_id.dunning_segment_chronic_share",
        readonly=False,
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_segment_chronic_broken = fields.Integer(
        related="company_id.dunning_segment_chronic_broken",
        readonly=False,
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_missing_rates = fields.Text(
        compute="_compute_dunning_missing_rates",
        groups="account.group_account_invoice,account.group_account_readonly",
        help="The statutory rates the company's policies need for this half year "
        "or, from 30 days before it, the next one, and which do not exist yet.",
    )

    @api.depends("company_id")
    def _compute_dunning_missing_rates(self):
        Policy = self.env["dunning.policy"].sudo()
        today = fields.Date.context_today(self)
        for settings in self:
            profiles = set()
            for policy in Policy.search([("company_id", "=", settings.company_id.id)]):
                profiles |= policy._dunning_profiles_in_use()
            settings.dunning_missing_rates = "\n".join(
                self.env._(
                    "From %(date)s: %(profiles)s",
                    date=format_date(self.env, half),
                    profiles=", ".join(missing),
                )
                for half, missing in Policy._dunning_missing_rates(profiles, today)
            )

    dunning_fetch_reference_rates = fields.Boolean(
        string="Read Reference Rates from the Central Banks",
        compute="_compute_dunning_fetch_reference_rates",
        inverse="_inverse_dunning_fetch_reference_rates",
        groups="base.group_system",
        help="Every day, read the ECB's, the Riksbank's, the Bundesbank's and the "
        "Bank of England's rates from their public data services; the statutory "
        "rates follow. For every company.",
    )

    def _dunning_fetch_cron(self):
        return self.env.ref(
            "dunning_escalation.ir_cron_dunning_reference_rates",
            raise_if_not_found=False,
        )

    def _compute_dunning_fetch_reference_rates(self):
        cron = self._dunning_fetch_cron()
        for settings in self:
            settings.dunning_fetch_reference_rates = bool(cron and cron.active)

    def _inverse_dunning_fetch_reference_rates(self):
        cron = self._dunning_fetch_cron()
        for settings in self:
            if cron and cron.active != settings.dunning_fetch_reference_rates:
                cron.sudo().active = settings.dunning_fetch_reference_rates
