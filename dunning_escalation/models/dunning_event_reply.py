"""A customer's reply to a reminder in the history: one ``reply`` event per
invoice of the reminder, with the reading (tools/replies.py) and what it did to
the invoice's pause, so that a user can confirm the reading or correct it, and
the pause follows the correction. The invoice's side (taking the email from the
gateway) is account_move_reply.py."""

import datetime

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
# The events that set or end an invoice's pause: the latest is the pause in force.
PAUSE_KINDS = ("block", "unblock", "dispute", "promise", "plan")
ONE_DAY = datetime.timedelta(days=1)


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
        string="Date Named",
        readonly=True,
        help="The first date the reply names: the day of a promise to pay, kept "
        "for a correction to one.",
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
    reply_block_event_id = fields.Many2one(
        "dunning.event",
        string="Pause Set",
        readonly=True,
        ondelete="set null",
        help="The event of the pause this reply set: while it is the invoice's "
        "latest pause or unpause, the pause is this reply's.",
    )
    # The pause the reply replaced, given back when the reading is corrected to
    # one that pauses nothing: {"until": ISO date, "reason", "note", "event": the
    # id of the event that set it}.
    reply_prior_block = fields.Json(readonly=True)
    reply_activity_id = fields.Many2one(
        "mail.activity", readonly=True, ondelete="set null"
    )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_reply_read_as(self):
        """The history form's buttons, for this invoice of the reply: the reading
        in the context key ``reply_reading``."""
        self.ensure_one()
        return self._reply_set_reading(
            self.env.context.get("reply_reading"), whole_reply=False
        )

    def _reply_set_reading(self, reading, whole_reply=True):
        """Confirm the reading of this reply (``reading`` is the one proposed) or
        correct it, for every invoice the reply answered (``whole_reply``) or for
        this one; the pause follows. A person's reading is trusted: a promise
        pauses to its day, however far."""
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
        events = self._reply_group() if whole_reply else self
        # Checked as the user: only invoicing users who may write the invoices.
        moves = events.move_id.with_env(self.env)
        moves._dunning_check_group(
            "account.group_account_invoice",
            _("Only invoicing users may confirm or correct the reading of a reply."),
        )
        moves.check_access("write")
        events = events.sudo()
        confirmed = reading == self.reply_reading
        events.write({"reply_reading": reading})
        if reading == replies.AUTOMATIC:
            events._reply_unpause(
                _(
                    "The reply of %(date)s was read again: %(reading)s",
                    date=format_date(self.env, self.date),
                    reading=self._reading_label(reading),
                )
            )
        else:
            events._reply_pause(confirmed=True)
        events.write({"reply_status": "confirmed" if confirmed else "corrected"})
        activities = events.reply_activity_id.filtered("active")
        if activities:
            activities.sudo(False).action_feedback(
                feedback=_(
                    "Reading %(verb)s: %(reading)s",
                    verb=_("confirmed") if confirmed else _("corrected"),
                    reading=events[:1]._reply_label(),
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
        """The signature of the link that reads self's reply as ``reading``,
        while its reading waits to be checked: once decided, the links of the
        to-do do nothing more."""
        return signed(self.env(su=True), TOKEN_SCOPE, (self.id, reading, "to_check"))

    def _reply_check_token(self, reading, token):
        return bool(token) and consteq(self._reply_token(reading), str(token))

    def _reply_holds(self):
        """Whether the pause self set is still the invoice's: its event is the
        latest that set or ended a pause (a user's block or unblock since, or
        another reply's pause, takes it over)."""
        self.ensure_one()
        if not self.reply_paused_until or not self.reply_block_event_id:
            return False
        return self._latest_pause_event(self.move_id) == self.reply_block_event_id

    def _latest_pause_event(self, move):
        """The latest event that set or ended a pause of ``move``: whose pause it
        is now."""
        return self.sudo().search(
            [("move_id", "=", move.id), ("kind", "in", PAUSE_KINDS)],
            order="id desc",
            limit=1,
        )

    def _pause_snapshot(self, move):
        """The pause ``move`` is under now, as reply_prior_block keeps it."""
        if not move.dunning_blocked_until:
            return False
        return {
            "until": fields.Date.to_string(move.dunning_blocked_until),
            "reason": move.dunning_block_reason,
            "note": move.dunning_block_note or False,
            "event": self._latest_pause_event(move).id,
        }

    def _reply_pause(self, confirmed=False):
        """Pause the invoices of self as their reading says: a promise until the
        day after the one it names, anything else a person wrote for the
        policy's days. An automatic reply pauses nothing, nor does a reply on an
        invoice that is settled, with the agency, under a payment plan, or paused
        longer by something else. A pause self set before is replaced, never
        stacked on; where nothing pauses any more, the pause it replaced comes
        back."""
        today = self.env["account.move"]._dunning_today()
        groups = {}
        for event in self:
            move = event.move_id
            holds = event._reply_holds()
            prior = event.reply_prior_block if holds else self._pause_snapshot(move)
            before = fields.Date.to_date((prior or {}).get("until"))
            until = event._reply_pause_until(today, confirmed)
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
            reason = BLOCK_REASONS.get(event.reply_reading, "other")
            if holds and (move.dunning_blocked_until, move.dunning_block_reason) == (
                until,
                reason,
            ):
                continue  # as it stands: nothing to write again
            event.reply_prior_block = prior
            key = (until, reason, event.mail_message_id.id)
            groups[key] = groups.get(key, self.browse()) | event
        for (until, reason, _reply), events in groups.items():
            note = self.env._(
                "Reply of %(date)s: %(reading)s",
                date=format_date(self.env, events[0].date),
                reading=events[0]._reply_label(),
            )
            blocks = events.move_id._dunning_block(until, reason, note)
            by_move = {block.move_id: block for block in blocks}
            for event in events:
                event.write(
                    {
                        "reply_paused_until": until,
                        "reply_block_event_id": by_move[event.move_id].id,
                    }
                )

    def _reply_pause_until(self, today, confirmed=False):
        """Until when self's reading pauses its invoice from ``today``; False for
        no pause. A promise further out than the policy's limit pauses to the
        limit until a person confirms it."""
        self.ensure_one()
        move = self.move_id
        policy = move.dunning_policy_id
        if (
            self.reply_reading == replies.AUTOMATIC
            or move.state != "posted"
            or move.payment_state not in OPEN_STATES
            or move.dunning_handed_off
            or move.dunning_block_reason == "plan"
            or not policy.reply_pause_days
        ):
            return False
        promised = self.reply_reading == replies.PROMISE and self.reply_date
        if promised and self.reply_date >= today:
            until = self.reply_date + ONE_DAY
            limit = fields.Date.add(today, days=policy.reply_promise_max_days)
            return until if confirmed else min(until, max(limit, today + ONE_DAY))
        return fields.Date.add(today, days=policy.reply_pause_days)

    def _reply_unpause(self, why):
        """Take back the pauses self set: where one still holds, the pause it
        replaced comes back while it runs, else dunning resumes; where another
        pause took it over, that one inherits what self's replaced."""
        today = self.env["account.move"]._dunning_today()
        for event in self.filtered("reply_paused_until"):
            move = event.move_id
            prior = event.reply_prior_block or {}
            if event._reply_holds():
                prior_until = fields.Date.to_date(prior.get("until"))
                if prior_until and prior_until > today:
                    move._dunning_block(prior_until, prior["reason"], prior["note"])
                else:
                    move._dunning_unblock(why)
            else:
                later = self.sudo().search(
                    [
                        ("move_id", "=", move.id),
                        ("kind", "=", "reply"),
                        ("id", "!=", event.id),
                        ("reply_paused_until", "!=", False),
                    ]
                )
                later.filtered(
                    lambda e, ev=event: (e.reply_prior_block or {}).get("event")
                    == ev.reply_block_event_id.id
                ).write({"reply_prior_block": event.reply_prior_block})
            event.write(
                {
                    "reply_paused_until": False,
                    "reply_prior_block": False,
                    "reply_block_event_id": False,
                }
            )
