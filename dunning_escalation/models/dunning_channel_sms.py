"""The SMS channel: the level's SMS template, rendered for the message's invoices,
posted on the invoice and queued in Odoo's SMS queue to the recipient's mobile
(else phone) in E.164, the batch's SMS together (``account_move_sms.py``). A
missing or invalid number, a template that fails, or an SMS that cannot be posted
(the batch is then posted again one SMS at a time) is a failed step with the
reason and stops nothing else; a message the provider refuses later is marked
failed by ``sms.sms``."""

import logging

from odoo import api, models

from .account_move_sms import QueuedSms
from .ir_cron import SMS_SCHEDULER
from .ir_cron import SMS_WAKE_LATER

_logger = logging.getLogger(__name__)


class DunningChannelSms(models.AbstractModel):
    _name = "dunning.channel.sms"
    _inherit = "dunning.channel"
    _description = "Dunning Channel: SMS"

    _channel_kind = "sms"
    _channel_sequence = 20

    @api.model
    def _channel_wants(self, level):
        return bool(level.sms_template_id or level.variant_ids.sms_template_id)

    @api.model
    def _channel_send(self, decisions, today, statements):
        _ = self.env._
        steps, queued = [], []  # queued: (decisions, template, QueuedSms)
        for group, lead, statement in self._messages(
            self._pending(decisions), today, statements
        ):
            template, variant = lead.level._message_template(
                "sms", lead.move.commercial_partner_id
            )
            if not template:
                # An A/B test's SMS variant, on a level that has no SMS of its
                # own: the other variants' customers get none.
                continue
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
                        variant_id=variant.id,
                        state="failed",
                        reason=error,
                    )
                    for decision in group
                ]
                continue
            sms = QueuedSms(lead.move, partner, number, content[lead.move.id])
            queued.append((group, template, variant, sms))
        for (group, template, variant, sms), posted in zip(
            queued, self._queue(queued), strict=True
        ):
            message, error = posted
            steps += [
                self._step_values(
                    decision,
                    sms.partner,
                    today,
                    template_name=template.name,
                    variant_id=variant.id,
                    state="failed" if error else "done",
                    mail_message_id=message.id,
                    reason=error or _("SMS to %s", sms.number),
                )
                for decision in group
            ]
        if queued:
            self.env.ref(SMS_SCHEDULER)._trigger()
        self._save_steps(steps)
        return self._out(decisions, steps)

    @api.model
    def _queue(self, queued):
        """Post the SMS of ``queued`` ((decisions, template, variant, QueuedSms))
        together:
        (message, False) for each, or (no message, why) for an SMS that could not
        be posted, the batch being posted again one SMS at a time when it fails."""
        if not queued:
            return []
        # The SMS queue's scheduler is woken once for the batch, by the caller.
        Move = self.env["account.move"].with_context(**{SMS_WAKE_LATER: True})
        reminders = [sms for _group, _template, _variant, sms in queued]
        try:
            with self.env.cr.savepoint():
                return [(m, False) for m in Move._dunning_queue_sms(reminders)]
        except Exception:  # each SMS again on its own
            _logger.info("dunning: the SMS of a batch are posted one by one")
        posted = []
        for sms in reminders:
            try:
                with self.env.cr.savepoint():
                    posted.append((Move._dunning_queue_sms([sms]), False))
            except Exception as exc:  # a failed step, with the reason
                posted.append(
                    (
                        self.env["mail.message"],
                        self.env._("SMS not queued: %s", exc),
                    )
                )
        return posted
