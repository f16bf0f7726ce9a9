from odoo import api
from odoo import fields
from odoo import models


class ResCompany(models.Model):
    _inherit = "res.company"

    dunning_policy_id = fields.Many2one(
        "dunning.policy",
        string="Default Dunning Policy",
        domain="[('company_id', '=', id)]",
        help="The policy of every customer invoice whose customer has none of its own.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._dunning_ensure_default_policy()
        return companies

    def _dunning_default_policy_values(self):
        """The ladder a company starts with: reminders at 3, 7 and 14 days after
        the due date, handoff to a collection agency at 30; a friendly reminder
        3 days before the due date ships archived, for the admin to switch on."""
        self.ensure_one()
        _ = self.env._
        level = fields.Command.create
        return {
            "name": _("Standard dunning"),
            "company_id": self.id,
            "legal_profile": "eu_b2b",
            "level_ids": [
                level(
                    {
                        "sequence": 5,
                        "name": _("Friendly reminder"),
                        "delay_days": -3,
                        "active": False,
                    }
                ),
                level({"sequence": 10, "name": _("Reminder"), "delay_days": 3}),
                level({"sequence": 20, "name": _("Firm reminder"), "delay_days": 7}),
                level(
                    {
                        "sequence": 30,
                        "name": _("Final notice"),
                        "delay_days": 14,
                        "apply_interest": True,
                    }
                ),
                level(
                    {
                        "sequence": 40,
                        "name": _("Collection agency"),
                        "delay_days": 30,
                        "handoff": True,
                    }
                ),
            ],
        }

    def _dunning_ensure_default_policy(self):
        """Create the default policy of each company that has none yet."""
        without = self.filtered(lambda company: not company.sudo().dunning_policy_id)
        if not without:
            return
        Policy = self.env["dunning.policy"].sudo()
        for company in without:
            company.sudo().dunning_policy_id = Policy.create(
                company._dunning_default_policy_values()
            )
