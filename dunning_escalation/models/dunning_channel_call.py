"""The call channel: the level's activity (a phone call, or any activity type) for
the person who follows up the invoice, with what is owed. One per invoice and
level, never for the job's technical user."""

from odoo import api, models


class DunningChannelCall(models.AbstractModel):
    _name = "dunning.channel.call"
    _inherit = "dunning.channel"
    _description = "Dunning Channel: Activity"

    _channel_kind = "call"
    _channel_sequence = 40

    @api.model
    def _channel_wants(self, level):
        return bool(level.activity_type_id)

    @api.model
    def _channel_send(self, decisions, today, statements):
        _ = self.env._
        steps = []
        for decision in self._pending(decisions):
            move, level = decision.move, decision.level
            user = move._dunning_responsible_user()
            move.activity_schedule(
                activity_type_id=level.activity_type_id.id,
                summary=_(
                    "%(level)s: %(amount)s overdue",
                    level=level.name,
                    amount=move.currency_id.format(move.amount_residual),
                ),
                user_id=user.id,
                date_deadline=today,
            )
            steps.append(
                self._step_values(
                    decision,
                    move.commercial_partner_id,
                    today,
                    reason=_("Activity for %s", user.name),
                )
            )
        self._save_steps(steps)
        return self._out(decisions, steps)
