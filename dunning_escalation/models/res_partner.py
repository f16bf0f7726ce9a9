from odoo import api, fields, models

from .dunning_policy import LEGAL_PROFILES


class ResPartner(models.Model):
    _inherit = "res.partner"

    dunning_policy_id = fields.Many2one(
        "dunning.policy",
        string="Dunning Policy",
        company_dependent=True,
        help="The dunning policy of this customer's invoices; empty: the company's "
        "default policy.",
    )
    dunning_legal_profile = fields.Selection(
        [("none", "None (no statutory charges)"), *LEGAL_PROFILES],
        string="Late-Payment Law",
        company_dependent=True,
        help="Overrides the legal profile the dunning policy would pick for this "
        "customer.",
    )
    dunning_excluded = fields.Boolean(
        string="Exclude from Dunning",
        company_dependent=True,
        help="This customer gets no reminder, fee or handoff from dunning.",
    )

    @api.constrains("dunning_policy_id")
    def _check_dunning_policy_company(self):
        for partner in self:
            partner.dunning_policy_id._check_belongs_to(
                self.env.company,
                self.env._("set on %s", partner.display_name),
            )
