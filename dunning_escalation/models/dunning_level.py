from odoo import fields
from odoo import models


class DunningLevel(models.Model):
    _name = "dunning.level"
    _description = "Dunning Level"
    _order = "policy_id, sequence, delay_days, id"
    _check_company_auto = True

    policy_id = fields.Many2one(
        "dunning.policy",
        required=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="policy_id.currency_id")
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    delay_days = fields.Integer(
        string="Delay (days)",
        required=True,
        help="Days after the due date when this level is reached; negative for a "
        "friendly reminder before the due date.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain=[("model", "=", "account.move")],
    )
    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS Template",
        domain=[("model", "=", "account.move")],
    )
    send_letter = fields.Boolean(help="Print a letter for this level.")
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Activity",
        help="Schedule this activity (a phone call, say) for the responsible user.",
    )
    fee_fixed = fields.Monetary(string="Fixed Fee", currency_field="currency_id")
    fee_percent = fields.Float(string="Fee (%)", digits=(16, 4))
    apply_interest = fields.Boolean(string="Charge Interest")
    handoff = fields.Boolean(
        string="Hand Off to Agency",
        help="At this level the case is handed over to the collection agency.",
    )
