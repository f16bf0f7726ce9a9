"""The SMS channel: the level's SMS template, rendered for the message's invoices,
posted on the invoice and queued in Odoo's SMS queue to the recipient's mobile
(else phone) in E.164, the batch's SMS together (``account_move_sms.py``). A
missing or invalid number, or a template that fails, is a failed step with the
reason and stops nothing else; a message the provider refuses later is marked
failed by ``sms.sms``."""

from odoo import api, models

from .account_move_sms import QueuedSms
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
        steps, queued = [], []  # queued: (decisions, template, QueuedSms)
        for group, lead, statement in self._messages(
            self._pending(decisions), today, statements
        ):
            template = lead.level.sms_template_id
            partner = lead.move._dunning_recipient()
            number, error = partner._dunning_sms_number()
            content = False
            if not error:
                try:
                    content = template.with_context(
                        dunning_statement_ids=statement.ids, dunning_date=today
                    )._render_field("body", lead.move.ids, compute_lang=True)
                except Exception as exc:  # a template that cannot render
                    error = _(
                        "SMS template %(name)s failed: %(error)s",
                        name=template.name,
                        error=exc,
                    )
            if error:
                steps += [
                    self._step_values(
                        decision,
                        partner,
                        today,
                        template_name=template.name,
                        state="failed",
                        reason=error,
                    )
                    for decision in group
                ]
                continue
            sms = QueuedSms(lead.move, partner, number, content[lead.move.id])
            queued.append((group, template, sms))
        # The SMS queue's scheduler is woken once for the batch, below.
        messages = (
            self.env["account.move"]
            .with_context(**{SMS_WAKE_LATER: True})
            ._dunning_queue_sms([sms for _group, _template, sms in queued])
        )
        for (group, template, sms), message in zip(queued, messages, strict=True):
            steps += [
                self._step_values(
                    decision,
                    sms.partner,
                    today,
                    template_name=template.name,
                    state="done",
                    mail_message_id=message.id,
                    reason=_("SMS to %s", sms.number),
                )
                for decision in group
            ]
        if queued:
            self.env.ref(SMS_SCHEDULER)._trigger()
        self._save_steps(steps)
        return self._out(decisions, steps)
