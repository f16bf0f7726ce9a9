from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    dunning_charge_type = fields.Selection(
        [
            ("fee", "Late Fee"),
            ("compensation", "Recovery Compensation"),
            ("interest", "Statutory Interest"),
        ],
        string="Dunning Charge",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    dunning_interest_until = fields.Date(
        string="Interest Until",
        readonly=True,
        copy=False,
        help="Last day of the period this interest line charges.",
    )
