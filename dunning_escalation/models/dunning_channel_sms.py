"""The SMS channel: the level's SMS template, rendered for the message's invoices,
posted through Odoo's SMS queue to the recipient's mobile (else phone) in E.164. A
missing or invalid number, or a template that fails, is a failed step with the
reason and stops nothing else; a message the provider refuses later is marked
failed by ``sms.sms``."""

from odoo import api, models

from .ir_cron import SMS_SCHEDULER
from .ir_cron import SMS_WAKE_LATER


class DunningChannelSms(models.AbstractModel):
    _name = "dunning.channel.sms"
    _inherit = "dunning.channel"
    _description = "Dunning Channel: SMS"

    _channel_kind = "sms"
    _channel_sequence = 20

    @api.model
    def _channel_wants(self, level):
        return bool(level.sms_template_id)

    @api.model
    def _channel_send(self, decisions, today, statements):
        _ = self.env._
        steps = []
        queued = False
        for group, lead, statement in self._messages(
            self._pending(decisions), today, statements
        ):
            template = lead.level.sms_template_id
            partner = lead.move._dunning_recipient()
            number, error = partner._dunning_sms_number()
            message = False
            if not error:
                try:
                    # The SMS queue's scheduler is woken once, below.
                    move = lead.move.with_context(**{SMS_WAKE_LATER: True})
                    message = move._message_sms_with_template(
                        template=template.with_context(
                            dunning_statement_ids=statement.ids, dunning_date=today
                        ),
                        partner_ids=partner.ids,
                        sms_pid_to_number={partner.id: number},
                        put_in_queue=True,
                    )
                    queued = True
                except Exception as exc:  # a template that cannot render
                    error = _(
                        "SMS template %(name)s failed: %(error)s",
                        name=template.name,
                        error=exc,
                    )
            steps += [
                self._step_values(
                    decision,
                    partner,
                    today,
                    template_name=template.name,
                    state="failed" if error else "done",
                    mail_message_id=message.id if message else False,
                    reason=error or _("SMS to %s", number),
                )
                for decision in group
            ]
        if queued:
            self.env.ref(SMS_SCHEDULER)._trigger()
        self._save_steps(steps)
        return self._out(decisions, steps)
