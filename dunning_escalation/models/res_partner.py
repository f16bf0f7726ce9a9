from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    dunning_policy_id = fields.Many2one(
        "dunning.policy",
        string="Dunning Policy",
        company_dependent=True,
        help="The dunning policy of this customer's invoices; empty: the company's "
        "default policy.",
    )
    dunning_excluded = fields.Boolean(
        string="Exclude from Dunning",
        company_dependent=True,
        help="This customer gets no reminder, fee or handoff from dunning.",
    )
