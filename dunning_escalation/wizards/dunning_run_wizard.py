from odoo import fields, models
from odoo.exceptions import UserError


class DunningRunWizard(models.TransientModel):
    _name = "dunning.run.wizard"
    _description = "Dunning Dry Run"

    date = fields.Date(required=True, default=fields.Date.context_today)
    move_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        help="Leave empty to look at every open customer invoice with a policy.",
    )
    line_ids = fields.One2many("dunning.run.wizard.line", "wizard_id", readonly=True)
    escalate_count = fields.Integer(compute="_compute_escalate_count")

    def _compute_escalate_count(self):
        for wizard in self:
            wizard.escalate_count = len(
                wizard.line_ids.filtered(lambda line: line.target_level_id)
            )

    def _moves(self):
        Move = self.env["account.move"]
        if self.move_ids:
            return self.move_ids
        return Move.search(
            Move._dunning_candidate_domain(self.env.companies),
            order="commercial_partner_id, invoice_date_due, id",
        )

    def action_preview(self):
        """Show what a run on the date would do, and why; changes nothing."""
        self.ensure_one()
        moves = self._moves().with_context(dunning_date=self.date)
        decisions = self.env["dunning.run"]._decide(moves, self.date)
        self.line_ids = [fields.Command.clear()] + [
            fields.Command.create(
                {
                    "move_id": d.move.id,
                    "current_level_id": d.move.dunning_level_id.id,
                    "policy_id": d.move.dunning_policy_id.id,
                    "policy_source": d.move._dunning_policy_source(),
                    "target_level_id": d.level.id if d.level else False,
                    "skipped": ", ".join(level.name for level in d.skipped),
                    "code": d.code,
                    "reason": d.reason,
                }
            )
            for d in decisions
        ]
        return self._action_open()

    def action_run(self):
        """Take the steps the preview shows: dated today or earlier, never later
        (a later date only previews: what would be booked and sent then)."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        if self.date > today:
            raise UserError(
                self.env._(
                    "A run is dated today (%(today)s) or earlier; %(date)s is only "
                    "for a preview of what the job would do then.",
                    today=today,
                    date=self.date,
                )
            )
        self.env["account.move"]._dunning_check_group(
            "account.group_account_invoice",
            self.env._("Only invoicing users may run dunning."),
        )
        run = self.env["dunning.run"].with_context(dunning_date=self.date)
        moves = self._moves().with_context(dunning_date=self.date)
        run._run_decisions(run._decide(moves, self.date), self.date)
        return self.action_preview()

    def _action_open(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Dunning Dry Run"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }


class DunningRunWizardLine(models.TransientModel):
    _name = "dunning.run.wizard.line"
    _description = "Dunning Dry Run Line"

    wizard_id = fields.Many2one("dunning.run.wizard", required=True, ondelete="cascade")
    move_id = fields.Many2one("account.move", string="Invoice")
    partner_id = fields.Many2one(related="move_id.commercial_partner_id")
    invoice_date_due = fields.Date(related="move_id.invoice_date_due")
    amount_residual = fields.Monetary(related="move_id.amount_residual")
    currency_id = fields.Many2one(related="move_id.currency_id")
    policy_id = fields.Many2one("dunning.policy", string="Policy")
    policy_source = fields.Char(string="Policy Chosen By")
    current_level_id = fields.Many2one("dunning.level", string="Current Level")
    target_level_id = fields.Many2one("dunning.level", string="New Level")
    skipped = fields.Char(string="Skipped Levels")
    code = fields.Char()
    reason = fields.Char()
