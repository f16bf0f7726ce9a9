"""Replies pause the chase: an email Odoo's mail gateway posts on an invoice in
answer to a reminder (its In-Reply-To or References name the reminder) is read
by rules (tools/replies.py), pauses the customer's invoices of that reminder for
the policy's days (a promise until the day it names), is written in their
history, and gives the responsible user an activity to confirm or correct the
reading in one click.

An automatic reply (out of office, delivery or read notice) pauses nothing and
asks nothing of anyone. A reply from an address that is neither the customer's
nor the reminder's recipient pauses nothing until a user confirms it. The
reading never stands in the way of the message itself: whatever goes wrong in
it, the reply is still posted. The history side is dunning_event_reply.py; the
gateway's headers come through mail_thread.py."""

import logging

import lxml.html
import psycopg2

from odoo import fields, models
from odoo.tools import email_normalize, html2plaintext

from ..tools import replies
from .mail_thread import REPLY_CONTEXT_KEY

_logger = logging.getLogger(__name__)

# How much of a reply the activity quotes.
QUOTED_CHARS = 2000


def reply_text(body):
    """The text of a message's ``body`` (HTML) a person wrote: without the parts
    Odoo marked as quoted (the reminder below it, a signature)."""
    if not body or not str(body).strip():
        return ""
    tree = lxml.html.fragment_fromstring(str(body), create_parent="div")
    for node in tree.xpath("//*[@data-o-mail-quote]"):
        node.drop_tree()
    return replies.own_words(
        html2plaintext(lxml.html.tostring(tree, encoding="unicode"))
    )


class AccountMove(models.Model):
    _inherit = "account.move"

    def _message_post_after_hook(self, message, msg_values):
        result = super()._message_post_after_hook(message, msg_values)
        if (
            message.message_type == "email"
            and len(self) == 1
            # A colleague answering from their mailbox is no customer's reply.
            and not (message.author_id and not message.author_id.partner_share)
        ):
            steps = self._dunning_reminder_steps(message)
            if steps:
                self._dunning_read_reply_safely(message, steps)
        return result

    def _dunning_read_reply_safely(self, message, steps):
        """Read the reply; whatever goes wrong in the reading, the reply is posted
        and a person is asked to read it. A conflict with another transaction is
        raised, for the mail gateway to take the email again."""
        try:
            with self.env.cr.savepoint():
                self._dunning_take_reply(message, steps)
        except psycopg2.OperationalError:
            raise
        except Exception:
            _logger.exception(
                "The reply %s to a reminder could not be read", message.message_id
            )
            with self.env.cr.savepoint():
                self.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=self.env._(
                        "%s replied to a reminder: read the reply",
                        self.commercial_partner_id.name,
                    ),
                    user_id=self._dunning_responsible_user().id,
                    date_deadline=self._dunning_today(),
                )

    def _dunning_reminder_steps(self, message):
        """The email steps of the latest reminder ``message`` answers, among this
        invoice's: the one its In-Reply-To or References name (a reply to a reply
        names the reminder too); posted other than by the gateway, its parent.
        One step per invoice the reminder listed; none when it answers no
        reminder of this invoice."""
        gateway = self.env.context.get(REPLY_CONTEXT_KEY)
        Message = self.env["mail.message"].sudo()
        if gateway is not None:
            answered = Message.search(
                [("message_id", "in", gateway.get("answers") or [])]
            )
        else:
            answered = message.sudo().parent_id
        steps = self.env["dunning.event"].sudo()
        if answered:
            steps = steps.search(
                [("mail_message_id", "in", answered.ids), ("kind", "=", "email")]
            )
        latest = max(steps.mail_message_id.ids, default=False)
        steps = steps.filtered(lambda step: step.mail_message_id.id == latest)
        return steps if self in steps.move_id else steps.browse()

    def _dunning_take_reply(self, message, steps):
        """Read ``message``, a reply to the reminder of ``steps``, record it on
        each of the reminder's invoices, pause them as it says, and ask the
        responsible user to check the reading."""
        self.ensure_one()
        today = self._dunning_today()
        received = (
            fields.Date.context_today(self, message.date) if message.date else today
        )
        headers = (self.env.context.get(REPLY_CONTEXT_KEY) or {}).get("headers")
        text = reply_text(message.body)
        subject = message.subject or ""
        reading = replies.read_reply(subject, text, headers, received)
        known = self._dunning_reply_known_sender(message, steps)
        moves = steps.move_id
        Event = self.env["dunning.event"].sudo()
        automatic = reading.kind == replies.AUTOMATIC
        events = Event.create(
            [
                Event._prepare_values(
                    move,
                    "reply",
                    today,
                    level=move.dunning_level_id,
                    partner=message.author_id,
                    mail_message_id=message.id,
                    reply_reading=reading.kind,
                    # A day named in any reply but one that says it paid (a
                    # day past): kept for a correction to a promise.
                    reply_date=reading.date
                    or (
                        reading.kind not in (replies.AUTOMATIC, replies.PAID)
                        and replies.named_date(subject, text, received)
                    ),
                    reply_cue=reading.cue[:200],
                    reply_known_sender=known,
                    reply_status=False if automatic else "to_check",
                    reason=self._dunning_reply_reason(message, reading, known),
                )
                for move in moves
            ]
        )
        if automatic:
            return events
        if known:
            events._reply_pause()
        self._dunning_reply_activity(message, events, known)
        return events

    def _dunning_reply_known_sender(self, message, steps):
        """Whether ``message`` comes from the customer: one of its contacts, or
        the address the reminder went to."""
        author = message.author_id
        if (
            author
            and author.commercial_partner_id in steps.move_id.commercial_partner_id
        ):
            return True
        sender = email_normalize(message.email_from or "")
        reminder = steps.mail_message_id
        recipients = {email_normalize(p.email or "") for p in reminder.partner_ids}
        return bool(sender) and sender in recipients

    def _dunning_reply_reason(self, message, reading, known):
        _ = self.env._
        sender = message.email_from or _("an unknown sender")
        if reading.kind == replies.AUTOMATIC:
            return _(
                "Automatic reply from %(sender)s (%(why)s): nothing paused",
                sender=sender,
                why=reading.cue,
            )
        if not known:
            return _(
                "Reply from %(sender)s, an address that is not the customer's: "
                "nothing paused until a user confirms it",
                sender=sender,
            )
        return _("Reply from %s", sender)

    def _dunning_reply_activity(self, message, events, known):
        """The to-do for the responsible user, in their language: the reply, its
        reading, what it paused, and a link per reading to confirm or correct
        it."""
        user = self._dunning_responsible_user()
        move = self.with_context(lang=user.lang or self.env.lang)
        lead = events.filtered(lambda e: e.move_id == self)[:1] or events[:1]
        lead = lead.with_env(move.env)
        values = {
            "message": message,
            "text": reply_text(message.body)[:QUOTED_CHARS],
            "lead": lead,
            "events": events.with_env(move.env),
            "known": known,
            "links": [
                (
                    reading,
                    label,
                    f"/dunning/reply/{lead.id}/{reading}"
                    f"?token={lead._reply_token(reading)}",
                )
                for reading, label in lead._fields[
                    "reply_reading"
                ]._description_selection(move.env)
                if reading != replies.UNCLEAR
            ],
        }
        note = move.env["ir.qweb"]._render(
            "dunning_escalation.reply_activity_note", values
        )
        activity = self.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=move.env._(
                "%(customer)s replied: %(reading)s",
                customer=self.commercial_partner_id.name,
                reading=lead._reply_label(),
            ),
            note=note,
            user_id=user.id,
            date_deadline=self._dunning_today(),
        )
        events.reply_activity_id = activity
        return activity
