"""The daily run's side of payment plans (``dunning.run._process_plans`` calls
``_keep``): close the plans paid to the end (invoicing the interest that ran, when
it was to run), break those with an instalment missed, remind the others'
instalments before and after their date. The plan itself is dunning_plan.py."""

import logging

from odoo import fields, models
from odoo.tools import float_is_zero
from odoo.tools.misc import format_date

from .account_move import OPEN_STATES

_logger = logging.getLogger(__name__)


class DunningPlan(models.Model):
    _inherit = "dunning.plan"

    # ------------------------------------------------------------------
    # The daily run
    # ------------------------------------------------------------------

    def _keep(self, today):
        """Take each running plan (or request) of self one day further
        (``_keep_one``), each in isolation: a plan that fails is left as it was
        for the next run, with a note on it, and the others go on."""
        for plan in self:
            try:
                with self.env.cr.savepoint():
                    plan._keep_one(today)
            # One plan never stops the run.
            except Exception as error:
                _logger.exception("Payment plan %s could not be kept", plan.name)
                plan.message_post(
                    body=self.env._(
                        "The daily run could not take this plan further: %s", error
                    ),
                    subtype_xmlid="mail.mt_note",
                )

    def _keep_one(self, today):
        """Close the plan when paid to the end, break it when an instalment was
        missed, else remind its next or late instalment. A request waiting for
        an answer: see ``_watch_request``."""
        self.ensure_one()
        if self.state == "requested":
            self._watch_request(today)
            return
        rounding = self.currency_id.rounding
        settled = all(move.payment_state not in OPEN_STATES for move in self.move_ids)
        if settled or float_is_zero(self.amount_open, precision_rounding=rounding):
            self._close_kept(today)
            return
        missed_days = self.missed_days
        open_instalments = self.instalment_ids.filtered(lambda i: i.state != "paid")
        missed = open_instalments.filtered(
            lambda i: fields.Date.add(i.date, days=missed_days) < today
        )
        if missed:
            self._close_broken(today, missed.sorted("date")[0])
            return
        remind_days = self.policy_id.plan_remind_days
        for instalment in open_instalments:
            announce = fields.Date.subtract(instalment.date, days=remind_days)
            if not instalment.reminded_due and announce <= today <= instalment.date:
                instalment.reminded_due = True
                self._tell_customer("due", instalment)
            elif not instalment.reminded_late and instalment.date < today:
                instalment.reminded_late = True
                self._tell_customer("late", instalment)

    def _close_kept(self, today):
        self.ensure_one()
        # Interest waits for the statutory rate of each of its days: the plan
        # closes on the first run that can charge it.
        if self.interest == "running" and not self._charge_interest(today):
            return
        self._close("kept", today, self.env._("Paid to the end"))
        reason = self.env._("Payment plan %s kept: paid to the end", self.name)
        self._release(reason, stop_clock=False)
        self._record_on_invoices(reason)
        self._tell_customer("kept")

    def _charge_interest(self, today):
        """Invoice the statutory interest that ran on the plan's invoices and was
        not charged before: each invoice's law, from the day after the last
        interest charged (else its due date), lowered by each payment. Recorded
        in each invoice's history; the total in ``interest_amount``. Returns
        False, charging nothing, while a statutory rate is missing."""
        self.ensure_one()
        booked = []
        interest_lines = {}
        for move in self.move_ids:
            profile = move._dunning_legal_profile()
            if not profile:
                continue
            _compensated, charged_until = move._dunning_charged()
            try:
                interest_lines[move] = move._dunning_interest_line(
                    profile, charged_until, today
                )
            except ValueError as error:
                _logger.info("dunning: plan %s waits: %s", self.name, error)
                return False
        for move, line in interest_lines.items():
            amount = self.currency_id.round(line[1]) if line else 0.0
            if self.currency_id.compare_amounts(amount, 0) <= 0:
                continue
            values = {
                "dunning_charge_type": "interest",
                "name": line[0],
                "price_unit": amount,
                "dunning_interest_until": line[2],
            }
            booked.append((move, move.dunning_level_id, [values], {}))
        if not booked:
            return True
        Move = self.env["account.move"]
        fee_moves = Move._dunning_book_charge_invoices(booked, today)
        Event = self.env["dunning.event"].sudo()
        Event.create(
            [
                Event._prepare_values(
                    move,
                    "interest",
                    today,
                    amount=lines[0]["price_unit"],
                    fee_move_id=fee_move.id,
                    reason=self.env._(
                        "%(line)s; payment plan %(plan)s",
                        line=lines[0]["name"],
                        plan=self.name,
                    ),
                )
                for (move, _level, lines, _refusals), fee_move in zip(
                    booked, fee_moves, strict=True
                )
            ]
        )
        self.interest_amount = sum(
            lines[0]["price_unit"] for _m, _l, lines, _r in booked
        )
        return True

    def _close_broken(self, today, missed):
        self.ensure_one()
        reason = self.env._(
            "Payment plan %(plan)s broken: the instalment of %(date)s "
            "(%(amount)s) was not paid; dunning resumes",
            plan=self.name,
            date=format_date(self.env, missed.date),
            amount=self.currency_id.format(missed.amount - missed.amount_paid),
        )
        self._close("broken", today, reason)
        self._release(reason)
        self._record_on_invoices(
            reason,
            self.move_ids.filtered(lambda m: m.payment_state in OPEN_STATES)
            or self.move_ids,
        )
        self._tell_customer("broken", missed)


class AccountMove(models.Model):
    """The clock of an invoice's ladder, which a plan that ends unpaid stops for
    the days it ran (``dunning.plan._release``)."""

    _inherit = "account.move"

    dunning_clock_days = fields.Integer(
        string="Days Under a Payment Plan",
        readonly=True,
        copy=False,
        help="Days the invoice spent under payment plans that ended unpaid: "
        "they do not count toward its next level, so that dunning resumes "
        "where it stood when the plan was agreed.",
        groups="account.group_account_invoice,account.group_account_readonly",
    )

    def _dunning_ladder_due(self):
        """The day self's ladder counts from: its due date, later by the days it
        spent under payment plans that ended unpaid."""
        self.ensure_one()
        return fields.Date.add(self.invoice_date_due, days=self.dunning_clock_days)
