from odoo import fields, models


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
