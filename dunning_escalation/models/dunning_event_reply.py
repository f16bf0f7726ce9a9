"""A customer's reply to a reminder in the history: one ``reply`` event per
invoice of the reminder, with the reading (tools/replies.py) and what it did to
the invoice's pause, so that a user can confirm the reading or correct it, and
the pause follows the correction. The invoice's side (taking the email from the
gateway) is account_move_reply.py."""

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import consteq
from odoo.tools.misc import format_date
from odoo.tools.misc import hmac as signed

from ..tools import replies
from .account_move import OPEN_STATES

READINGS = [
    (replies.PROMISE, "Promise to Pay"),
    (replies.DISPUTE, "Dispute"),
    (replies.PAID, "Says Already Paid"),
    (replies.QUESTION, "Question"),
    (replies.AUTOMATIC, "Automatic Reply"),
    (replies.UNCLEAR, "To Read"),
]
# The pause each reading sets (dunning_block_reason); an automatic reply none.
BLOCK_REASONS = {replies.PROMISE: "promise", replies.DISPUTE: "dispute"}
TOKEN_SCOPE = "dunning_escalation.reply"


class DunningEvent(models.Model):
    _inherit = "dunning.event"

    reply_reading = fields.Selection(
        READINGS,
        string="Reply Read As",
        readonly=True,
        help="What the customer's reply says, read by rules and confirmed or "
        "corrected by a user.",
    )
    reply_date = fields.Date(
        string="Promised For",
        readonly=True,
        help="The day a promise to pay names.",
    )
    reply_cue = fields.Char(
        string="Read From", readonly=True, help="The words that decided the reading."
    )
    reply_status = fields.Selection(
        [
            ("to_check", "To Check"),
            ("confirmed", "Confirmed"),
            ("corrected", "Corrected"),
        ],
        readonly=True,
    )
    reply_known_sender = fields.Boolean(
        string="From the Customer",
        readonly=True,
        help="The reply came from the customer's contacts or the reminder's "
        "recipient; a reply from another address pauses nothing until a user "
        "confirms it.",
    )
    reply_paused_until = fields.Date(
        string="Paused Until",
        readonly=True,
        help="The pause this reply set on the invoice; empty when it set none (an "
        "automatic reply, a longer pause already there, a paid invoice).",
    )
    # The pause the reply replaced, restored when the reading is corrected to one
    # that pauses nothing: {"until": ISO date, "reason": ..., "note": ...}.
    reply_prior_block = fields.Json(readonly=True)
    reply_activity_id = fields.Many2one(
        "mail.activity", readonly=True, ondelete="set null"
    )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_reply_read_as(self):
        """The history form's buttons: the reading in the context key
        ``reply_reading``."""
        self.ensure_one()
        return self._reply_set_reading(self.env.context.get("reply_reading"))

    def _reply_set_reading(self, reading):
        """Confirm the reading of this reply (``reading`` is the one proposed) or
        correct it, for every invoice the reply answered; the pause follows."""
        self.ensure_one()
        _ = self.env._
        if self.kind != "reply":
            raise UserError(_("Only a customer's reply can be read again."))
        if reading not in dict(READINGS) or reading == replies.UNCLEAR:
            raise UserError(
                _(
                    "Read the reply as a promise to pay, a dispute, already paid, "
                    "a question or an automatic reply."
                )
            )
        group = self._reply_group()
        moves = group.move_id
        moves._dunning_check_group(
            "account.group_account_invoice",
            _("Only invoicing users may confirm or correct the reading of a reply."),
        )
        moves.check_access("write")
        group = group.sudo()
        confirmed = reading == self.reply_reading
        if confirmed:
            group.filtered(lambda e: not e.reply_paused_until)._reply_pause()
        else:
            group.write(
                {
                    "reply_reading": reading,
                    "reply_date": self.reply_date
                    if reading == replies.PROMISE
                    else False,
                }
            )
            group._reply_pause()
        group.write({"reply_status": "confirmed" if confirmed else "corrected"})
        activities = group.reply_activity_id.filtered("active")
        if activities:
            activities.sudo(False).action_feedback(
                feedback=_(
                    "Reading %(verb)s: %(reading)s",
                    verb=_("confirmed") if confirmed else _("corrected"),
                    reading=group[:1]._reply_label(),
                )
            )
        return True

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _reply_group(self):
        """The reply events of the same reply as self (one per invoice it answered)."""
        return self.sudo().search(
            [
                ("kind", "=", "reply"),
                ("mail_message_id", "in", self.mail_message_id.ids),
            ]
        )

    def _reading_label(self, reading):
        """The name of ``reading`` in the user's language."""
        labels = dict(self._fields["reply_reading"]._description_selection(self.env))
        return labels[reading]

    def _reply_label(self):
        """Self's reading in words, with the day of a promise."""
        self.ensure_one()
        label = self._reading_label(self.reply_reading)
        if self.reply_reading == replies.PROMISE and self.reply_date:
            return self.env._(
                "%(label)s on %(date)s",
                label=label,
                date=format_date(self.env, self.reply_date),
            )
        return label

    def _reply_token(self, reading):
        """The signature of the link that reads self's reply as ``reading``."""
        return signed(self.env(su=True), TOKEN_SCOPE, (self.id, reading))

    def _reply_check_token(self, reading, token):
        return bool(token) and consteq(self._reply_token(reading), str(token))

    def _reply_pause(self):
        """Pause the invoices of self as their reading says: a promise until the
        day it names (in the future), anything else a person wrote for the
        policy's days. An automatic reply pauses nothing, nor does a reply on an
        invoice that is settled, with the agency, or paused longer by something
        else. A pause self set before is replaced, never stacked on."""
        today = self.env["account.move"]._dunning_today()
        groups = {}
        for event in self:
            move = event.move_id
            holds = bool(event.reply_paused_until) and (
                move.dunning_blocked_until == event.reply_paused_until
            )
            # The pause to beat: the one before self's, when self's holds.
            before = (
                fields.Date.to_date((event.reply_prior_block or {}).get("until"))
                if holds
                else move.dunning_blocked_until
            )
            until = event._reply_pause_until(today)
            if not until or (before and before >= until):
                if holds:
                    event._reply_unpause(
                        self.env._(
                            "The reply of %(date)s was read again: %(reading)s",
                            date=format_date(self.env, event.date),
                            reading=event._reply_label(),
                        )
                    )
                continue
            if not holds:
                event.reply_prior_block = move.dunning_blocked_until and {
                    "until": fields.Date.to_string(move.dunning_blocked_until),
                    "reason": move.dunning_block_reason,
                    "note": move.dunning_block_note or False,
                }
            reason = BLOCK_REASONS.get(event.reply_reading, "other")
            key = (until, reason, event.mail_message_id.id)
            groups[key] = groups.get(key, self.browse()) | event
        for (until, reason, _reply), events in groups.items():
            note = self.env._(
                "Reply of %(date)s: %(reading)s",
                date=format_date(self.env, events[0].date),
                reading=events[0]._reply_label(),
            )
            events.move_id._dunning_block(until, reason, note)
            events.reply_paused_until = until

    def _reply_pause_until(self, today):
        """Until when self's reading pauses its invoice from ``today``; False for
        no pause."""
        self.ensure_one()
        move = self.move_id
        if (
            self.reply_reading == replies.AUTOMATIC
            or move.state != "posted"
            or move.payment_state not in OPEN_STATES
            or move.dunning_handed_off
            or not move.dunning_policy_id
        ):
            return False
        promised = self.reply_reading == replies.PROMISE and self.reply_date
        if promised and self.reply_date > today:
            return self.reply_date
        days = move.dunning_policy_id.reply_pause_days
        return days and fields.Date.add(today, days=days)

    def _reply_unpause(self, why):
        """Take back the pauses self set that still hold: the pause each replaced
        comes back while it runs, else dunning resumes."""
        today = self.env["account.move"]._dunning_today()
        for event in self.filtered("reply_paused_until"):
            move = event.move_id
            if move.dunning_blocked_until == event.reply_paused_until:
                prior = event.reply_prior_block or {}
                prior_until = fields.Date.to_date(prior.get("until"))
                if prior_until and prior_until > today:
                    move._dunning_block(prior_until, prior["reason"], prior["note"])
                else:
                    move._dunning_unblock(why)
            event.write({"reply_paused_until": False, "reply_prior_block": False})
