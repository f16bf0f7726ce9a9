from odoo import api, fields, models
from odoo.exceptions import AccessError


class DunningWaiveWizard(models.TransientModel):
    _name = "dunning.waive.wizard"
    _description = "Waive Late-Payment Charges"

    fee_move_ids = fields.Many2many(
        "account.move",
        string="Charges",
        required=True,
        domain=[("dunning_origin_id", "!=", False)],
    )
    reason = fields.Char(required=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        moves = self.env["account.move"].browse(self.env.context.get("active_ids", []))
        if self.env.context.get("active_model") == "account.move" and moves:
            fees = moves.filtered("dunning_origin_id") | moves.dunning_fee_move_ids
            values["fee_move_ids"] = [fields.Command.set(fees.ids)]
        return values

    def action_confirm(self):
        self.ensure_one()
        if not self.env.user.has_group("account.group_account_manager"):
            raise AccessError(
                self.env._("Only accounting administrators may waive charges.")
            )
        self.fee_move_ids._dunning_waive(self.reason)
        return {"type": "ir.actions.act_window_close"}
