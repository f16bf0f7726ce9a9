"""The dunning run: the service the daily job, the buttons and the dry run call.

One run, for each company: expire the pauses that ended, record the invoices paid
since, settle the collection cases whose invoices are paid, take again the charges
put off until today (dunning_run_phases.py), then escalate. Escalating finds the
invoices due a step (``_get_escalation_domain``), takes them in batches of
customers, locks each batch, decides with ``tools/ladder.py`` which level each
invoice goes to and why (``_decide``, which changes nothing: the dry run shows it),
and executes the decisions customer by customer in isolation (``_execute``): the
skipped levels, each channel of ``dunning.channel`` (mail, SMS, letter, call: one
file each), the handoff, the charges, the new levels. What it did and refused is
in ``dunning.event``.

Like ``account.move.send``, it is an AbstractModel: an addon extends a step with
``_inherit = "dunning.run"``.
"""

import logging
from collections import defaultdict

from odoo import api, models, modules

from ..tools import ladder
from ..tools.ladder import Decision
from .account_move import DUNNED_MOVE_TYPES

_logger = logging.getLogger(__name__)

# Customers handled per transaction by the scheduled job, unless the system
# parameter dunning_escalation.partner_batch says otherwise (smaller batches: more
# jobs for queue_job's workers to share, dunning_escalation_queue).
PARTNER_BATCH = 200


class DunningRun(models.AbstractModel):
    _name = "dunning.run"
    _description = "Dunning Run"

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------

    @api.model
    def _cron_dunning_run(self):
        """The daily run, for every company. When the scheduler's time is up in
        one company, the run stops there with the work left reported, and the
        scheduler starts it again soon: the companies done are quickly through."""
        today = self.env["account.move"]._dunning_today()
        for company in self.env["res.company"].sudo().search([]):
            if not self._run_company(company, today):
                break

    @api.model
    def _run_company(self, company, today):
        """One full run for ``company`` as on ``today``. Returns False when it
        stopped before the end (the scheduler's time was up)."""
        run = (
            self.sudo()
            .with_company(company)
            .with_context(allowed_company_ids=company.ids, dunning_date=today)
        )
        if not run._process_plans(company, today):
            return False
        if not run._expire_blocks(company, today):
            return False
        if not run._record_payments(company, today):
            return False
        run._thank_for_settled_charges(company)
        run.env["account.move"]._dunning_settle_cases(company)
        # Each customer's segment, and the policy its rules choose, before the
        # steps of the day are decided.
        run.env["dunning.behaviour"]._refresh(company, today)
        # Statutory rates missing for this half year or the next: said before
        # the charges that need them.
        run.env["dunning.policy"]._dunning_warn_missing_rates(company, today)
        # Charges put off on earlier days come before today's steps.
        run._retry_charges(company, today)
        # A refused saved payment method is charged again on its retry days.
        run._retry_collections(company, today)
        return run._escalate_company(company, today)

    @api.model
    def _run_decisions(self, decisions, today):
        """Execute ``decisions`` made outside the job (a button, the dialog)."""
        self._execute(decisions, today)

    # ------------------------------------------------------------------
    # Finding the work
    # ------------------------------------------------------------------

    @api.model
    def _get_escalation_domain(self, company, today):
        """The invoices of ``company`` due a dunning step on ``today``."""
        return [
            *self.env["account.move"]._dunning_candidate_domain(company),
            ("dunning_next_date", "<=", today),
        ]

    @api.model
    def _escalate_company(self, company, today):
        """Decide and execute the steps due, in batches of customers. Returns False
        when the scheduler's time ran out before the last batch."""
        domain = self._get_escalation_domain(company, today)
        partner_ids = [
            partner.id
            for [partner] in self.env["account.move"]._read_group(
                domain, ["commercial_partner_id"]
            )
        ]
        size = self._partner_batch_size()
        batches = [
            partner_ids[start : start + size]
            for start in range(0, len(partner_ids), size)
        ]
        return self._process_escalation_batches(company, today, batches)

    @api.model
    def _partner_batch_size(self):
        """Customers per batch: the system parameter, when a positive number."""
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("dunning_escalation.partner_batch", "")
        )
        value = value.strip()
        return int(value) if value.isdigit() and int(value) > 0 else PARTNER_BATCH

    @api.model
    def _process_escalation_batches(self, company, today, batches):
        """Take the batches (lists of customer ids) one after the other, each
        locked (rows another worker holds are left for the next run), executed
        and its progress committed when run by the scheduler. An addon may hand
        them to other workers instead (dunning_escalation_queue)."""
        scheduled = self._in_scheduler()
        left = sum(len(batch) for batch in batches)
        for batch in batches:
            self._escalate_batch(company, today, batch, lock=scheduled)
            left -= len(batch)
            if not self._commit_batch(len(batch), left) and left:
                return False  # the scheduler runs the job again soon
        return True

    @api.model
    def _in_scheduler(self):
        """Whether the scheduler runs this job (never in tests): its batches are
        locked and their progress committed."""
        return bool(self.env.context.get("cron_id")) and not modules.module.current_test

    @api.model
    def _commit_batch(self, done, remaining):
        """Commit a batch's progress when run by the scheduler: whether to go on
        (always outside the scheduler, and in tests)."""
        if not self._in_scheduler():
            return True
        going_on = self.env["ir.cron"]._commit_progress(done, remaining=remaining)
        # The batch is in the database: the next one starts with an empty cache,
        # so that a run holds one batch's records (and PDFs) at a time, however
        # many batches it takes.
        self.env.invalidate_all()
        return going_on

    @api.model
    def _escalate_batch(self, company, today, partner_ids, lock=False):
        """Decide and execute the steps due today for the customers
        ``partner_ids`` of ``company``; with ``lock``, only on the invoices no
        other transaction holds."""
        moves = self.env["account.move"].search(
            [
                *self._get_escalation_domain(company, today),
                ("commercial_partner_id", "in", partner_ids),
            ],
            order="commercial_partner_id, invoice_date_due, id",
        )
        if lock:
            moves = moves.try_lock_for_update()
        self._execute_isolated(self._decide(moves, today), today)

    # ------------------------------------------------------------------
    # Deciding
    # ------------------------------------------------------------------

    @api.model
    def _decide(self, moves, today):
        """Decide, for each invoice of ``moves``, which level it goes to today and
        why. Pure: reads only, changes nothing. Returns a list of ``Decision``."""
        _ = self.env._
        decisions = []
        overdue_by_partner = moves._dunning_overdue_totals(today)
        reasons = dict(
            moves._fields["dunning_block_reason"]._description_selection(self.env)
        )
        for move in moves:
            policy = move.dunning_policy_id
            partner = move.partner_id.commercial_partner_id.with_company(
                move.company_id
            )

            def decide(code, reason, level=False, skipped=(), move=move):
                decisions.append(Decision(move, level, list(skipped), code, reason))

            if not policy:
                decide("no_policy", _("No dunning policy"))
            elif move.state != "posted" or move.move_type not in DUNNED_MOVE_TYPES:
                decide("not_open", _("Not a posted customer invoice"))
            elif not move._dunning_debt_open():
                decide("paid", _("Paid"))
            elif move.dunning_handed_off:
                decide("handed_off", _("With the collection agency"))
            elif partner.dunning_excluded:
                decide("excluded", _("Customer excluded from dunning"))
            elif move.no_followup:
                decide("no_followup", _("Excluded from follow-ups"))
            elif (
                move.dunning_blocked_until and move.dunning_blocked_until > today
            ) or move.dunning_block_reason == "plan":
                # A payment plan's pause holds until the plan ends it.
                decide(
                    "blocked",
                    _(
                        "Blocked until %(date)s (%(reason)s)",
                        date=move.dunning_blocked_until,
                        reason=reasons.get(move.dunning_block_reason, ""),
                    ),
                )
            elif move.dunning_last_date and move.dunning_last_date >= today:
                decide("done_today", _("A step was already taken today"))
            else:
                total = overdue_by_partner.get((policy.id, partner.id), 0.0)
                decide(*self._decide_level(move, policy, total, today))
        return decisions

    @api.model
    def _decide_level(self, move, policy, overdue_total, today):
        """(code, reason, level, skipped) for an open invoice that may take a
        step: the level its age warrants, if above the one it stands at."""
        _ = self.env._
        steps = policy._steps()
        current = move.dunning_level_id
        index = ladder.warranted_index(
            steps, move._dunning_ladder_due(), today, policy.grace_days
        )
        # A level switched off since, or of the customer's former policy, stands
        # where its delay puts it: an invoice never goes down.
        at = ladder.position(steps, current or None, current.delay_days)
        at = -1 if at is None else at
        if index is None:
            if move.dunning_clock_days and move.invoice_date_due < today:
                return (
                    "grace",
                    _("The days under its payment plan do not count yet"),
                    False,
                    (),
                )
            if move.invoice_date_due < today:
                return "grace", _("In the grace period"), False, ()
            return "not_due", _("Not due yet"), False, ()
        if index <= at:
            return "at_level", _("Already at the level its age warrants"), False, ()
        if policy.currency_id.compare_amounts(overdue_total, policy.min_amount) < 0:
            return (
                "below_min",
                _(
                    "Overdue total %(total)s is below the policy's minimum %(minimum)s",
                    total=policy.currency_id.format(overdue_total),
                    minimum=policy.currency_id.format(policy.min_amount),
                ),
                False,
                (),
            )
        return (
            "escalate",
            _("%(days)s days overdue", days=(today - move.invoice_date_due).days),
            steps[index].key,
            [step.key for step in steps[at + 1 : index]],
        )

    # ------------------------------------------------------------------
    # Acting
    # ------------------------------------------------------------------

    @api.model
    def _execute(self, decisions, today):
        """Take the steps of the decisions that move an invoice to a level: the
        levels jumped over, every channel, the handoff, the charges, the level."""
        moving = [d for d in decisions if d.level]
        if not moving:
            return
        self._record_skipped(moving, today)
        # The channels of one customer list the same invoices: read them once.
        statements = {}
        held_back = set()
        for channel in self.env["dunning.channel"]._channels():
            wanted = [d for d in moving if channel._channel_wants(d.level)]
            if not wanted:
                continue
            delivered = channel._channel_send(wanted, today, statements)
            if channel._channel_gates_level:
                held_back |= {d.move.id for d in wanted} - delivered
            taken = channel._channel_takes_over(wanted, delivered)
            if taken:
                held_back |= taken
                moving = [d for d in moving if d.move.id not in taken]
        Move = self.env["account.move"]
        for level in {d.level for d in moving if d.level.handoff}:
            Move.browse(
                [d.move.id for d in moving if d.level == level]
            )._dunning_handoff(today, level=level)
        # The level moves, and charges, once its message is out (or when it has
        # none to send).
        advanced = [d for d in moving if d.move.id not in held_back]
        Move._dunning_charge_many(
            [(d.move, d.level, None) for d in advanced if d.level._charges()], today
        )
        by_level = defaultdict(list)
        for decision in advanced:
            by_level[decision.level].append(decision.move.id)
        for level, move_ids in by_level.items():
            Move.browse(move_ids)._dunning_write(
                {"dunning_level_id": level.id, "dunning_last_date": today}
            )

    @api.model
    def _record_skipped(self, decisions, today):
        """A skipped event for each level the decisions jump over, once."""
        done = self._done_steps(
            self.env["account.move"].browse([d.move.id for d in decisions])
        )
        Event = self.env["dunning.event"].sudo()
        Event.create(
            [
                Event._prepare_values(
                    decision.move,
                    "skipped",
                    today,
                    level=level,
                    reason=self.env._(
                        "Jumped over: the invoice was already at a later level (%s)",
                        decision.reason,
                    ),
                )
                for decision in decisions
                for level in decision.skipped
                if (decision.move.id, level.id, "skipped") not in done
            ]
        )

    @api.model
    def _execute_isolated(self, decisions, today):
        """Execute the decisions of a batch so that one customer's failure stops
        only that customer: the batch runs in one savepoint and, when a step fails,
        again customer by customer. A customer whose steps fail keeps its levels,
        gets a failed event with the error on each of its invoices and is retried
        by the next run."""
        try:
            with self.env.cr.savepoint():
                self._execute(decisions, today)
            return
        except Exception:  # retried below, customer by customer
            _logger.info("dunning: a step failed, the batch is retried per customer")
        by_partner = defaultdict(list)
        for decision in decisions:
            by_partner[decision.move.commercial_partner_id].append(decision)
        for partner, group in by_partner.items():
            try:
                with self.env.cr.savepoint():
                    self._execute(group, today)
            except Exception as error:  # recorded on the invoices
                _logger.exception("dunning: the steps of %s failed", partner.name)
                self._record_failure(group, today, error)

    @api.model
    def _record_failure(self, decisions, today, error):
        """A failed event, with the error, on the invoices whose level the run
        could not take. Without a level, so that the retry is not the same step."""
        Event = self.env["dunning.event"].sudo()
        Event.create(
            [
                Event._prepare_values(
                    decision.move,
                    "skipped",
                    today,
                    state="failed",
                    reason=self.env._(
                        "%(level)s not taken, retried by the next run: %(error)s",
                        level=decision.level.name,
                        error=error,
                    ),
                )
                for decision in decisions
                if decision.level
            ]
        )

    @api.model
    def _done_steps(self, moves):
        """(move id, level id, kind) of the steps already taken for ``moves``."""
        if not moves:
            return set()
        rows = (
            self.env["dunning.event"]
            .sudo()
            ._read_group(
                [
                    ("move_id", "in", moves.ids),
                    ("state", "=", "done"),
                    ("level_id", "!=", False),
                ],
                ["move_id", "level_id", "kind"],
            )
        )
        return {(move.id, level.id, kind) for move, level, kind in rows}
