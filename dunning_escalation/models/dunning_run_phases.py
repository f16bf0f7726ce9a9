"""The phases of a run before it escalates (``dunning.run``, see dunning_run.py):
end the pauses due, record the invoices paid since, take again the charges put off
until today. Each reads only what is due today (an expired pause, a payment not yet
recorded, a charge whose retry date has come) and goes in batches, each committed
when the scheduler runs the job."""

import datetime
import logging

from odoo import api, models

from .account_move import DUNNED_MOVE_TYPES
from .account_move import OPEN_STATES
from .account_move import PAID_STATES
from .account_move_charges import CHARGE_KINDS
from .account_move_charges import PUT_OFF_STATES

_logger = logging.getLogger(__name__)

ONE_DAY = datetime.timedelta(days=1)
# Invoices of these phases handled per transaction.
MOVE_BATCH = 1000


class DunningRun(models.AbstractModel):
    _inherit = "dunning.run"

    @api.model
    def _in_batches(self, domain, process):
        """Call ``process`` on the invoices of ``domain`` a batch at a time, each
        batch committed when run by the scheduler, until none is left: ``process``
        takes each invoice out of ``domain``. Returns False when the scheduler's
        time ran out first."""
        Move = self.env["account.move"]
        while True:
            moves = Move.search(domain, limit=MOVE_BATCH, order="id")
            if not moves:
                return True
            process(moves)
            if not self._commit_batch(len(moves), Move.search_count(domain)):
                return False

    @api.model
    def _expire_blocks(self, company, today):
        """End the pauses whose date has come, in batches (``_in_batches``);
        returns False when the scheduler's time ran out first."""
        domain = [
            ("company_id", "=", company.id),
            ("dunning_blocked_until", "!=", False),
            ("dunning_blocked_until", "<=", today),
            # Only its plan ends a payment plan's pause (dunning_plan.py).
            ("dunning_block_reason", "!=", "plan"),
        ]
        return self._in_batches(domain, self._end_pauses)

    @api.model
    def _process_plans(self, company, today):
        """Take the running payment plans of ``company`` to ``today``: closed
        when paid to the end, broken when an instalment was missed, their
        instalments reminded before and after their date; and the customers'
        requests still waiting for an answer (closed when paid meanwhile, sent
        to an accounting administrator when unanswered by their day)."""
        plans = self.env["dunning.plan"].search(
            [
                ("company_id", "=", company.id),
                ("state", "in", ("requested", "running")),
            ],
            order="id",
        )
        plans._keep(today)
        return self._commit_batch(len(plans), 0) if plans else True

    @api.model
    def _end_pauses(self, expired):
        """Unblock ``expired``; a promise to pay that the invoice did not keep
        says so."""
        _ = self.env._
        for reason, moves in expired.grouped("dunning_block_reason").items():
            if reason == "promise":
                broken = moves.filtered(lambda m: m.payment_state in OPEN_STATES)
                broken._dunning_unblock(
                    _("Promise to pay broken: still unpaid, dunning resumes"),
                    promise_broken=True,
                )
                (moves - broken)._dunning_unblock(_("Promise kept"))
            else:
                moves._dunning_unblock(_("Block expired"))

    @api.model
    def _get_payments_domain(self, company):
        """The invoices of ``company`` paid since their last reminder and not yet
        recorded as paid: what changed, found by the missing event, not by reading
        every invoice ever dunned and paid."""
        return [
            ("company_id", "=", company.id),
            ("move_type", "in", DUNNED_MOVE_TYPES),
            ("dunning_level_id", "!=", False),
            ("payment_state", "in", PAID_STATES),
            ("dunning_event_ids", "not any", [("kind", "=", "paid")]),
        ]

    @api.model
    def _record_payments(self, company, today):
        """Invoices that had a reminder and are now paid: an event, the policy's
        thank-you mail once, and the interest it forgives; in batches
        (``_in_batches``). Returns False when the scheduler's time ran out first."""
        return self._in_batches(
            self._get_payments_domain(company),
            lambda paid: self._process_payments(paid, today),
        )

    @api.model
    def _process_payments(self, paid, today):
        # A payment plan thanks for the invoices it held when it closes.
        planned = (
            self.env["dunning.plan"]
            .search(
                [("move_ids", "in", paid.ids), ("state", "in", ("running", "kept"))]
            )
            .move_ids
        )
        # A plan's interest was agreed with the plan: not forgiven again.
        for move in paid - planned:
            move._dunning_auto_waive_interest()
        # Charges still open after that: dunned for them alone, thanked once they
        # are settled (_thank_for_settled_charges).
        owing = paid.filtered("dunning_charges_open")
        thanks = self.env["dunning.channel.mail"]._send_thanks(paid - planned - owing)
        Event = self.env["dunning.event"].sudo()
        events = []
        for move in paid:
            reason = self.env._("Paid in full after %s", move.dunning_level_id.name)
            if move in owing:
                reason = self.env._(
                    "%s; the late-payment charges on it are still open and dunned",
                    reason,
                )
            message, error = thanks.get(move.id, (False, False))
            if error:
                reason = f"{reason}; {error}"
            events.append(
                Event._prepare_values(
                    move,
                    "paid",
                    today,
                    amount=move.amount_total,
                    mail_message_id=message.id if message else False,
                    reason=reason,
                    thanks_pending=move in owing and move not in planned,
                )
            )
        Event.create(events)

    @api.model
    def _thank_for_settled_charges(self, company):
        """Thank the customers of the invoices paid while charges on them were
        open, now that those are settled too (paid or waived)."""
        events = (
            self.env["dunning.event"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("kind", "=", "paid"),
                    ("thanks_pending", "=", True),
                    ("move_id.dunning_charges_open", "=", False),
                    # Not while the invoice is open again (its payment undone).
                    ("move_id.payment_state", "in", PAID_STATES),
                ]
            )
        )
        if not events:
            return
        thanks = self.env["dunning.channel.mail"]._send_thanks(events.move_id)
        for event in events:
            message, error = thanks.get(event.move_id.id, (False, False))
            values = {"thanks_pending": False}
            if message:
                values["mail_message_id"] = message.id
            if error:
                values["reason"] = f"{event.reason}; {error}"
            event.write(values)

    @api.model
    def _retry_collections(self, company, today):
        """Charge again, on their level's retry days, the invoices whose saved
        payment method was refused: open, in house, not paused, of a customer
        still in dunning (dunning_channel_collect.py)."""
        moves = self.env["account.move"].search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "posted"),
                ("payment_state", "in", OPEN_STATES),
                ("dunning_handed_off", "=", False),
                ("dunning_level_id.collect_token", "=", True),
                ("dunning_level_id.collect_retry_days", "!=", False),
                ("dunning_event_ids", "any", [("kind", "=", "collect")]),
                "|",
                ("dunning_blocked_until", "=", False),
                ("dunning_blocked_until", "<=", today),
            ]
        )
        moves = moves.filtered(
            lambda move: move.dunning_block_reason != "plan"
            and not move.no_followup
            and not move.commercial_partner_id.with_company(company).dunning_excluded
        )
        return self.env["dunning.channel.collect"]._retry(moves, today)

    @api.model
    def _retry_charges(self, company, today):
        """Take again the charges put off until today or earlier: the consumer's
        waiting period over, an exchange or statutory rate added since. Whatever
        level the invoice stands at now, with the agency included; an invoice
        settled in the meantime is not charged, and a paused one waits for the
        end of its pause."""
        _ = self.env._
        events = (
            self.env["dunning.event"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("kind", "in", CHARGE_KINDS),
                    ("state", "in", PUT_OFF_STATES),
                    ("retry_date", "<=", today),
                    ("level_id", "!=", False),
                ]
            )
        )
        for (move, level), group in events.grouped(
            lambda event: (event.move_id, event.level_id)
        ).items():
            customer = move.commercial_partner_id.with_company(move.company_id)
            if move.state != "posted" or move.payment_state not in OPEN_STATES:
                why = _("the invoice was settled first")
            elif not move.dunning_policy_id:
                why = _("the invoice has no dunning policy any more")
            elif customer.dunning_excluded:
                why = _("the customer was excluded from dunning")
            elif move.no_followup:
                why = _("the invoice was excluded from follow-ups")
            else:
                why = False
            if why:
                group.write(
                    {
                        "state": "cancelled",
                        "retry_date": False,
                        "reason": _(
                            "%(was)s; not charged: %(why)s",
                            was=group[0].reason,
                            why=why,
                        ),
                    }
                )
            elif move.dunning_blocked_until and move.dunning_blocked_until > today:
                group.write({"retry_date": move.dunning_blocked_until})
            else:
                try:
                    with self.env.cr.savepoint():
                        move.with_context(dunning_date=today)._dunning_charge(
                            level, today, kinds=set(group.mapped("kind"))
                        )
                except Exception as error:  # recorded, retried by the next run
                    _logger.exception("dunning: charges on %s failed", move.name)
                    group.write(
                        {
                            "state": "failed",
                            "retry_date": today + ONE_DAY,
                            "reason": _("Charge failed, retried tomorrow: %s", error),
                        }
                    )
