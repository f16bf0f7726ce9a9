"""Queueing the SMS reminders of a run: their chatter messages created together,
each then notified as the sms module notifies an SMS posted on the invoice (its
``sms.sms`` queued for the number, its SMS notification, internal followers told),
instead of one ``_message_sms`` per customer.

What an SMS reminder is stays what ``_message_sms`` makes of it: a message of type
SMS and subtype note on the invoice, from the user running the job, to the
recipient (who follows the invoice only where posting would subscribe them). The
per-thread lookups (thread parents, reply-to addresses, companies, alias
domains) and the messages' creation are done once for the batch, with the mail
reminders' own helpers (``account_move_mail.py``, whose notes on the mail module's
private API apply here too, with ``sms.mail.thread._notify_thread``).
``tests/test_dunning_channels.py`` compares what it makes with ``_message_sms``
field by field."""

from collections import defaultdict
from typing import NamedTuple

from odoo import api, models

from odoo.addons.sms.tools.sms_tools import sms_content_to_rendered_html

from .account_move_mail import QueuedMail


class QueuedSms(NamedTuple):
    """One SMS reminder to queue: its text rendered, its number checked."""

    move: models.BaseModel
    partner: models.BaseModel
    number: str
    content: str


class AccountMove(models.Model):
    _inherit = "account.move"

    @api.model
    def _dunning_queue_sms(self, reminders):
        """Post each of ``reminders`` (QueuedSms) in its invoice's chatter and queue
        its SMS. Returns the messages, in the order of ``reminders``."""
        if not reminders:
            return self.env["mail.message"]
        moves = self.browse([sms.move.id for sms in reminders])
        author_id, email_from = self._message_compute_author()
        author = self.env["res.partner"].browse(author_id)
        mails = [
            QueuedMail(
                move=sms.move,
                partner=sms.partner,
                subject=False,
                body=sms_content_to_rendered_html(sms.content),
                email_from=email_from,
                author=author,
                model_description=False,
            )
            for sms in reminders
        ]
        msg_vals_list = self._dunning_message_values(mails, moves)
        note = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note")
        for vals in msg_vals_list:
            vals.update(message_type="sms", subtype_id=note)
        self._dunning_follow_customers(reminders)
        messages = self._message_create(msg_vals_list)
        for sms, message, msg_vals in zip(
            reminders, messages, msg_vals_list, strict=True
        ):
            # (In this model's context: the SMS queue is woken as it says.)
            move = self.browse(sms.move.id)._fallback_lang()
            move._message_post_after_hook(message, msg_vals)
            move._notify_thread(
                message,
                msg_vals,
                sms_content=sms.content,
                sms_numbers=None,
                sms_pid_to_number={sms.partner.id: sms.number},
                put_in_queue=True,
            )
        return messages

    @api.model
    def _dunning_follow_customers(self, reminders):
        """Who posting an SMS would subscribe: its recipient when the context
        asks (``mail_post_autofollow``), else the invoice's customer when a model
        subscribes customers it writes to; one subscription per partner for all
        their invoices of the batch."""
        autofollow = self.env.context.get("mail_post_autofollow")
        if autofollow is False or not (autofollow or self._mail_thread_customer):
            return
        followers = defaultdict(list)
        for sms in reminders:
            if autofollow or sms.move._mail_get_customer() == sms.partner:
                followers[sms.partner.id].append(sms.move.id)
        for partner_id, move_ids in followers.items():
            self.browse(move_ids).message_subscribe(partner_ids=[partner_id])
