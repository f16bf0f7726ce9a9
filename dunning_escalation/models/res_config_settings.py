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
