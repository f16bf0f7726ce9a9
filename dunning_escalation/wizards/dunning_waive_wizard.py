from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class DunningWaiveWizard(models.TransientModel):
    _name = "dunning.waive.wizard"
    _description = "Waive Late-Payment Charges"

    fee_move_ids = fields.Many2many(
        "account.move",
        string="Charges",
        domain=[("dunning_origin_id", "!=", False)],
        help="The charge invoices to credit.",
    )
    move_ids = fields.Many2many(
        "account.move",
        "dunning_waive_wizard_pending_rel",
        string="Invoices",
        domain=[("dunning_origin_id", "=", False)],
        help="The overdue invoices whose charges not booked yet (the consumer's "
        "waiting period, a missing rate) are forgiven too.",
    )
    reason = fields.Char(required=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        moves = self.env["account.move"].browse(self.env.context.get("active_ids", []))
        if self.env.context.get("active_model") == "account.move" and moves:
            fees = moves.filtered("dunning_origin_id") | moves.dunning_fee_move_ids
            invoices = moves.filtered(lambda m: not m.dunning_origin_id)
            values["fee_move_ids"] = [fields.Command.set(fees.ids)]
            values["move_ids"] = [
                fields.Command.set((invoices | fees.dunning_origin_id).ids)
            ]
        return values

    def action_confirm(self):
        """Credit the charges booked and forgive those not booked yet."""
        self.ensure_one()
        if not self.env.user.has_group("account.group_account_manager"):
            raise AccessError(
                self.env._("Only accounting administrators may waive charges.")
            )
        credit_notes = self.fee_move_ids._dunning_credit_charges(self.reason)
        forgiven = self.move_ids._dunning_forgive_pending(self.reason)
        if not credit_notes and not forgiven:
            raise UserError(
                self.env._("There is no open late-payment charge to waive here.")
            )
        return {"type": "ir.actions.act_window_close"}
