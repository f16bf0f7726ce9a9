from odoo import fields, models

EVENT_KINDS = [
    ("email", "Email"),
    ("sms", "SMS"),
    ("letter", "Letter"),
    ("call", "Phone Call"),
    ("fee", "Fee"),
    ("interest", "Interest"),
    ("handoff", "Handoff"),
    ("block", "Blocked"),
    ("unblock", "Unblocked"),
    ("dispute", "Dispute"),
    ("promise", "Promise to Pay"),
    ("paid", "Paid"),
    ("skipped", "Skipped"),
]

# Kinds that are steps of a level: each happens at most once per invoice and level.
STEP_KINDS = ("email", "sms", "letter", "call", "fee", "interest", "handoff", "skipped")


class DunningEvent(models.Model):
    _name = "dunning.event"
    _description = "Dunning Event"
    _order = "date desc, id desc"
    _check_company_auto = True
    _rec_name = "kind"

    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(related="move_id.company_id", store=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", index=True)
    level_id = fields.Many2one(
        "dunning.level", string="Level", index=True, ondelete="restrict"
    )
    kind = fields.Selection(EVENT_KINDS, required=True)
    state = fields.Selection(
        [("done", "Done"), ("failed", "Failed"), ("cancelled", "Cancelled")],
        required=True,
        default="done",
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    currency_id = fields.Many2one(related="move_id.currency_id")
    amount = fields.Monetary(currency_field="currency_id")
    reason = fields.Text()
    mail_message_id = fields.Many2one(
        "mail.message", string="Message", ondelete="set null"
    )
    fee_move_id = fields.Many2one(
        "account.move",
        string="Charge Invoice",
        ondelete="set null",
        help="The invoice that booked this fee or interest.",
    )

    _step_once = models.UniqueIndex(
        f"(move_id, level_id, kind) WHERE kind IN {STEP_KINDS}",
        "This step was already taken for this invoice at this level.",
    )
