"""Late-payment charges on an overdue invoice: fees, the statutory recovery
compensation and interest, booked as posted charge invoices linked to it; the
legal waiting periods and refusals, and what is put off until a later run."""

import datetime

from odoo import fields, models
from odoo.tools import format_date

from ..tools import legal

ONE_DAY = datetime.timedelta(days=1)
# The kinds of event a level's charges are recorded as ("fee": fixed and percentage
# fees and the recovery compensation).
CHARGE_KINDS = ("fee", "interest")
# The states of a charge put off (the law's waiting period, a rate to add), which
# the run takes again on its retry date.
PUT_OFF_STATES = ("waiting", "failed")


def _percent(value):
    """A rate as the law publishes it: two decimals at least (10.40, 10.50),
    more when it has them (1.625)."""
    return f"{value:.2f}" if value == round(value, 2) else f"{value.normalize()}"


class AccountMove(models.Model):
    _inherit = "account.move"

    def _dunning_payments(self):
        """(date, amount in the invoice's currency) of what settled self so far:
        payments, credit notes and other reconciled credits."""
        self.ensure_one()
        partials = self.line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        ).matched_credit_ids
        return [(p.max_date, p.debit_amount_currency) for p in partials]

    def _dunning_charged(self):
        """What was charged on self before, waived or not (a waived charge is
        forgiven, not charged again): whether compensation was, and the last day
        interest was charged for."""
        self.ensure_one()
        lines = self.dunning_fee_move_ids.filtered(
            lambda fee: fee.state == "posted"
        ).invoice_line_ids
        compensated = any(line.dunning_charge_type == "compensation" for line in lines)
        until = max(
            (
                line.dunning_interest_until
                for line in lines
                if line.dunning_charge_type == "interest"
            ),
            default=None,
        )
        return compensated, until

    def _dunning_has_rate(self):
        """Whether self's currency has an exchange rate in its company (or is the
        company's own): without one, Odoo would convert at 1."""
        self.ensure_one()
        company = self.company_id
        return self.currency_id == company.currency_id or bool(
            self.env["res.currency.rate"]
            .sudo()
            .search_count(
                [
                    ("currency_id", "=", self.currency_id.id),
                    ("company_id", "in", [False, company.root_id.id]),
                ],
                limit=1,
            )
        )

    def _dunning_to_currency(self, amount, currency, date):
        """``amount`` (Decimal or float) in ``currency`` converted to self's
        currency at the company's rate on ``date``."""
        self.ensure_one()
        return currency._convert(
            float(amount), self.currency_id, self.company_id, date, round=True
        )

    def _dunning_consumer_wait(self, profile, level, today):
        """Why a consumer may not be charged the legal costs of ``level`` today,
        or False: ``(reason, date)``, the date being the first day they may be
        charged (the legal waiting period after the notice that announced them),
        or None when they may not be charged at all (that notice was never sent:
        jumped over, or no level before ``level`` sends one)."""
        self.ensure_one()
        _ = self.env._
        if profile not in legal.NOTICE_BEFORE_COSTS:
            return False
        notice_level = level._announcing_level()
        if not notice_level:
            return (
                _(
                    "Not charged: a consumer (%(profile)s) may be charged costs only "
                    "after a notice that announces them, and no level before "
                    "%(level)s sends one.",
                    profile=profile,
                    level=level.name,
                ),
                None,
            )
        # The notice of that level itself, not any earlier reminder; a notice sent
        # again by hand is not a level's step (it has no level).
        notices = self.dunning_event_ids.filtered(
            lambda e: e.kind in ("email", "letter")
            and e.state == "done"
            and e.level_id == notice_level
            and e.date <= today
        )
        if not notices:
            return (
                _(
                    "Not charged: a consumer (%(profile)s) may be charged costs only "
                    "after the notice that announces them (%(notice)s), and it was "
                    "never sent to this invoice (the level was jumped over).",
                    profile=profile,
                    notice=notice_level.name,
                ),
                None,
            )
        # The customer is told by the first of the notice's channels to arrive.
        earliest, notice = min(
            (
                legal.earliest_next_step(
                    profile,
                    event.date,
                    "letter" if event.kind == "letter" else "email",
                ),
                event,
            )
            for event in notices
        )
        if earliest > today:
            return (
                _(
                    "Not charged yet: the consumer's waiting period after the notice "
                    "%(notice)s of %(sent)s runs until %(last)s (%(profile)s); "
                    "charged on %(first)s if still unpaid.",
                    notice=notice_level.name,
                    sent=notice.date,
                    last=fields.Date.subtract(earliest, days=1),
                    first=earliest,
                    profile=profile,
                ),
                earliest,
            )
        return False

    def _dunning_no_profile_reason(self):
        """Why no statutory charge applies to self's customer."""
        self.ensure_one()
        _ = self.env._
        customer = self.commercial_partner_id
        return _(
            "No statutory compensation or interest: no late-payment law of the "
            "addon applies to %(customer)s (%(country)s, %(kind)s). Set a legal "
            "profile on the customer or the policy to charge them; the level's "
            "fixed fees still apply.",
            customer=customer.display_name,
            country=customer.country_id.name or _("no country"),
            kind=_("business") if customer.is_company else _("consumer"),
        )

    def _dunning_charge_lines(self, level, today, kinds=CHARGE_KINDS):
        """The charges ``level`` makes on self today, of the event ``kinds``
        ("fee": the fixed and percentage fees and the recovery compensation;
        "interest"). Returns ``(lines, refusals, deferred)``: invoice line values
        in self's currency; ``{kind: reason}`` of what the law or the policy
        refuses for good; ``{kind: (reason, date, state)}`` of the kinds put off
        whole until ``date``, when the run tries again: "waiting" for the
        consumer's waiting period, "failed" for an exchange rate or a statutory
        rate still missing, which a user may add. A kind is charged
        whole or put off whole, never half of it now and half later."""
        self.ensure_one()
        _ = self.env._
        currency = self.currency_id
        profile = self._dunning_legal_profile()
        lines = []
        refusals = {}
        deferred = {}

        def line(kind, label, amount, until=False):
            amount = currency.round(amount)
            if currency.compare_amounts(amount, 0) > 0:
                lines.append(
                    {
                        "dunning_charge_type": kind,
                        "name": label,
                        "price_unit": amount,
                        "dunning_interest_until": until,
                    }
                )

        def refuse(kind, reason):
            refusals[kind] = (
                f"{refusals[kind]}; {reason}" if kind in refusals else reason
            )

        def defer(kind, reason, date, state="failed"):
            if kind not in deferred:
                deferred[kind] = (reason, date, state)

        compensated, interest_until = self._dunning_charged()
        compensate = level.charge_compensation and not compensated
        wants = {
            "fee": compensate,
            "interest": level.apply_interest,
        }
        legal_charges = True
        if any(wants[kind] for kind in kinds) and not profile:
            legal_charges = False
            for kind in kinds:
                if wants[kind]:
                    refuse(kind, self._dunning_no_profile_reason())
        wait = legal_charges and self._dunning_consumer_wait(profile, level, today)
        if wait:
            reason, date = wait
            for kind in kinds:
                if not wants[kind]:
                    continue
                if date:
                    defer(kind, reason, date, state="waiting")
                else:
                    legal_charges = False
                    refuse(kind, reason)
        # Fixed amounts are converted to the invoice's currency: not without a rate,
        # which a user may add before the next run.
        if (
            "fee" in kinds
            and (level.fee_fixed or (compensate and legal_charges))
            and not self._dunning_has_rate()
        ):
            defer(
                "fee",
                _(
                    "Not charged yet: %s has no exchange rate; add one and the next "
                    "run charges the fixed amounts.",
                    currency.name,
                ),
                today + ONE_DAY,
            )
        if "fee" in kinds and "fee" not in deferred:
            if self._dunning_charges_only():
                # Paid: dunned for its charges, not charged more for them (the
                # interest up to the day it was paid is still owed).
                if level.fee_fixed or level.fee_percent or compensate:
                    refuse(
                        "fee",
                        _("the invoice is paid: only the charges on it are dunned"),
                    )
            else:
                self._dunning_fee_lines(
                    level, today, line, profile if legal_charges else False, compensate
                )
        if (
            "interest" in kinds
            and "interest" not in deferred
            and legal_charges
            and level.apply_interest
        ):
            try:
                line_vals = self._dunning_interest_line(profile, interest_until, today)
            except ValueError as error:  # no statutory rate known for the period
                defer(
                    "interest",
                    _("Interest not charged yet: %s", error),
                    today + ONE_DAY,
                )
                line_vals = None
            if line_vals:
                line("interest", *line_vals)
        return lines, refusals, deferred

    def _dunning_fee_lines(self, level, today, line, profile, compensate):
        """Add, through ``line``, the fixed and percentage fees of ``level`` and,
        under ``profile`` when ``compensate``, the recovery compensation."""
        _ = self.env._
        currency = self.currency_id
        if level.fee_fixed:
            line(
                "fee",
                _("Late fee (%s)", level.name),
                self._dunning_to_currency(
                    level.fee_fixed, self.company_id.currency_id, today
                ),
            )
        if level.fee_percent:
            line(
                "fee",
                _(
                    "Late fee: %(percent)s%% of %(amount)s due (%(level)s)",
                    percent=level.fee_percent,
                    amount=currency.format(self.amount_residual),
                    level=level.name,
                ),
                self.amount_residual * level.fee_percent / 100,
            )
        if not (profile and compensate):
            return
        law_currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", legal.PROFILE_CURRENCY[profile])], limit=1)
        )
        # The scale applies to what is still unpaid, in the law's currency.
        unpaid = currency._convert(
            self.amount_residual, law_currency, self.company_id, today
        )
        fixed = legal.compensation(profile, round(unpaid, 2))
        line(
            "compensation",
            _(
                "Recovery compensation on %(invoice)s (%(profile)s): "
                "%(amount)s %(currency)s",
                invoice=self.name,
                profile=profile,
                amount=fixed,
                currency=law_currency.name,
            ),
            self._dunning_to_currency(fixed, law_currency, today),
        )

    def _dunning_interest_line(self, profile, charged_until, today):
        """(label, amount, until) of the interest not yet charged, or None."""
        self.ensure_one()
        _ = self.env._
        due = self.invoice_date_due
        start = max(due, charged_until) if charged_until else due
        if today <= start:
            return None
        known = self.env["dunning.interest.rate"]._rates(profile)
        payments = self._dunning_payments()
        # Interest runs until the day the invoice was paid in full: a rate missing
        # for later days is not needed.
        needed_until, paid = today, 0.0
        for day, amount in sorted(payments):
            paid += amount
            if self.currency_id.compare_amounts(paid, self.amount_total) >= 0:
                needed_until = min(today, day)
                break
        # The days not charged yet (a debt whose rate is fixed for life: its due
        # date's half year).
        checked_from = due if profile in legal.FIXED_FOR_LIFE else start
        missing = legal.missing_rate_from(profile, known, checked_from, needed_until)
        if missing:
            # Never an earlier half year's rate for a day of a new one: the whole
            # step waits for the rate, and charges every day at its own rate then.
            raise ValueError(
                _(
                    "no statutory rate for %(profile)s from %(date)s; once the rate "
                    "is entered (or derived from its reference rate), the next run "
                    "charges it",
                    profile=profile,
                    date=format_date(self.env, missing),
                )
            )
        rates = legal.rates_for(profile, known, due)
        compound = profile in legal.COMPOUND_YEARLY

        def interest(until):
            return legal.statutory_interest(
                self.amount_total, due, until, rates, compound, payments
            )

        amount = interest(today) - (interest(start) if start > due else 0)
        used = sorted(
            {_percent(legal.rate_on(rates, start + ONE_DAY))}
            | {
                _percent(percent)
                for date_from, percent in rates
                if start < date_from <= today
            }
        )
        label = _(
            "Interest on %(invoice)s (%(principal)s) from %(first)s to %(last)s, "
            "%(days)s days at %(rates)s%% a year (%(profile)s)",
            invoice=self.name,
            principal=self.currency_id.format(self.amount_total),
            first=start + ONE_DAY,
            last=today,
            days=(today - start).days,
            rates=" / ".join(used),
            profile=profile,
        )
        return label, float(amount), today

    def _dunning_charge(self, level, today, kinds=None):
        """Book what ``level`` charges on self as a posted customer invoice linked
        to it, and record fee and interest events: done when charged, cancelled
        when refused for good, waiting (the law's period) or failed (a rate to
        add) when put off, which the run takes again on their retry date.
        ``kinds`` limits it to those event kinds (a retry). Returns the charge
        invoice, if any."""
        self.ensure_one()
        return self._dunning_charge_many([(self, level, kinds)], today)

    def _dunning_charge_many(self, charges, today):
        """``_dunning_charge`` for each (invoice, level, kinds or None) of
        ``charges``, together: the charge invoices created and posted in one go,
        their events written with them. Returns the charge invoices."""
        Event = self.env["dunning.event"].sudo()
        # Charged, refused or waived once per level: a level taken again (its mail
        # came back) charges nothing more; what was put off is taken again.
        previous = {
            (event.move_id.id, event.level_id.id, event.kind): event
            for event in Event.search(
                [
                    ("move_id", "in", [move.id for move, _level, _kinds in charges]),
                    ("level_id", "in", list({level.id for _m, level, _k in charges})),
                    ("kind", "in", CHARGE_KINDS),
                ]
            )
        }
        records = []  # (previous event or None, values)
        booked = []  # (invoice, level, charge lines, refusals)
        for move, level, kinds in charges:
            before = {
                kind: previous.get((move.id, level.id, kind)) for kind in CHARGE_KINDS
            }
            lines, plan = move._dunning_plan_charge(level, today, kinds, before)
            records += plan
            if lines:
                booked.append((move, level, *lines))
        fee_moves = self._dunning_book_charge_invoices(booked, today)
        for (move, level, lines, refusals), fee_move in zip(
            booked, fee_moves, strict=True
        ):
            for kind in CHARGE_KINDS:
                types = ("fee", "compensation") if kind == "fee" else ("interest",)
                charged = [v for v in lines if v["dunning_charge_type"] in types]
                if charged:
                    records.append(
                        (
                            previous.get((move.id, level.id, kind)),
                            Event._prepare_values(
                                move,
                                kind,
                                today,
                                level=level,
                                retry_date=False,
                                state="done",
                                amount=sum(v["price_unit"] for v in charged),
                                fee_move_id=fee_move.id,
                                reason="; ".join(
                                    [v["name"] for v in charged]
                                    + ([refusals[kind]] if kind in refusals else [])
                                ),
                            ),
                        )
                    )
        for event, values in records:
            if event:
                event.write(values)
        Event.create([values for event, values in records if not event])
        return fee_moves

    def _dunning_plan_charge(self, level, today, kinds, previous):
        """What ``level`` charges on self: ((charge lines, refusals) or None, and
        the events to record for what is refused or put off, as (previous event
        or None, values)). ``previous`` holds the level's earlier events by kind."""
        self.ensure_one()
        _ = self.env._
        Event = self.env["dunning.event"]
        pending = {
            kind
            for kind in (kinds or CHARGE_KINDS)
            if not previous[kind] or previous[kind].state in PUT_OFF_STATES
        }
        if not pending:
            return None, []
        lines, refusals, deferred = self._dunning_charge_lines(
            level, today, tuple(sorted(pending))
        )
        records = []

        def record(kind, vals):
            values = Event._prepare_values(
                self, kind, today, level=level, **{"retry_date": False, **vals}
            )
            records.append((previous[kind], values))

        charged_kinds = {
            "interest" if vals["dunning_charge_type"] == "interest" else "fee"
            for vals in lines
        }
        for kind, (reason, date, state) in deferred.items():
            record(kind, {"state": state, "retry_date": date, "reason": reason})
        for kind, reason in refusals.items():
            if kind not in charged_kinds and kind not in deferred:
                record(kind, {"state": "cancelled", "reason": reason})
        # A kind put off before that has nothing left to charge now (charged
        # since at a later level, or nothing more due) is closed.
        for kind in pending - charged_kinds - set(deferred) - set(refusals):
            if previous[kind]:
                record(
                    kind,
                    {
                        "state": "cancelled",
                        "reason": _(
                            "%s; nothing left to charge when taken again",
                            previous[kind].reason,
                        ),
                    },
                )
        return ((lines, refusals) if lines else None), records
