from odoo import api, fields, models
from odoo.exceptions import UserError


class DunningBlockWizard(models.TransientModel):
    _name = "dunning.block.wizard"
    _description = "Block Dunning"

    move_ids = fields.Many2many("account.move", string="Invoices", required=True)
    reason = fields.Selection(
        [
            ("dispute", "The customer disputes the invoice"),
            ("promise", "The customer promised to pay"),
            ("other", "Other"),
        ],
        required=True,
        default="dispute",
    )
    promise_date = fields.Date(
        string="Promised Payment Date",
        help="Dunning resumes the day after this date if the invoice is still unpaid.",
    )
    until = fields.Date(
        string="Blocked Until",
        compute="_compute_until",
        store=True,
        readonly=False,
        help="Dunning resumes on this date.",
    )
    note = fields.Char()

    @api.depends("reason", "promise_date")
    def _compute_until(self):
        for wizard in self:
            if wizard.reason == "promise" and wizard.promise_date:
                wizard.until = fields.Date.add(wizard.promise_date, days=1)
            elif not wizard.until:
                wizard.until = fields.Date.add(
                    fields.Date.context_today(wizard), days=30
                )

    def action_confirm(self):
        self.ensure_one()
        today = fields.Date.context_today(self)
        if self.reason == "promise" and not self.promise_date:
            raise UserError(self.env._("Give the date the customer promised to pay."))
        if not self.until or self.until <= today:
            raise UserError(self.env._("Block until a date after today (%s).", today))
        self.move_ids._dunning_check_actionable()._dunning_block(
            self.until, self.reason, self.note
        )
        return {"type": "ir.actions.act_window_close"}
