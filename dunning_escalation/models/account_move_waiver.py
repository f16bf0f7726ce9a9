"""Waiving late-payment charges: credit notes that never credit more than is
still open on a charge invoice, by a user or by the policy's forgiveness of
interest when an invoice is paid soon after the notice."""

from collections import defaultdict

from odoo import Command, models
from odoo.exceptions import UserError

from .account_move import SETTLED_STATES
from .account_move_charges import CHARGE_KINDS
from .account_move_charges import PUT_OFF_STATES


class AccountMove(models.Model):
    _inherit = "account.move"

    def _dunning_waive(self, reason, kinds=None):
        """Waive the charge invoices of self (see _dunning_credit_charges); a
        clear error when none is open."""
        credit_notes = self._dunning_credit_charges(reason, kinds)
        if not credit_notes:
            raise UserError(
                self.env._("There is no open late-payment charge to waive here.")
            )
        return credit_notes

    def _dunning_credit_charges(self, reason, kinds=None):
        """Cancel the open charge invoices of self with credit notes; with
        ``kinds`` (a set of charge types), only the lines of those kinds. A credit
        note never credits more than is still open on a charge invoice: what
        earlier waivers credited, line kind by line kind, and what the customer
        paid stay as they are. Returns the credit notes, none when nothing was
        open."""
        _ = self.env._
        fees = self.filtered(
            lambda fee: fee.dunning_origin_id
            and fee.state == "posted"
            and fee.payment_state not in SETTLED_STATES
        )
        today = self._dunning_today()
        kinds = set(kinds or ("fee", "compensation", "interest"))
        credit_notes = self.browse()
        for fee in fees:
            amounts = fee._dunning_waivable(kinds)
            if not amounts:
                continue
            ref = _("Waived: %(fee)s (%(reason)s)", fee=fee.name, reason=reason)
            whole = fee.payment_state == "not_paid" and len(amounts) == len(
                fee.invoice_line_ids
            )
            if whole and all(
                fee.currency_id.compare_amounts(amount, line.price_total) == 0
                for line, amount in amounts.items()
            ):
                credit_notes |= fee._reverse_moves(
                    [{"ref": ref, "invoice_date": today, "date": today}], cancel=True
                )
            else:
                credit_notes |= fee._dunning_partial_credit_note(amounts, ref, today)
        event_kinds = {"interest" if kind == "interest" else "fee" for kind in kinds}
        events = (
            self.env["dunning.event"]
            .sudo()
            .search(
                [
                    ("fee_move_id", "in", fees.ids),
                    ("state", "=", "done"),
                    ("kind", "in", list(event_kinds)),
                ]
            )
        )
        for event in events:
            event.write(
                {
                    "state": "cancelled",
                    "reason": _(
                        "%(reason)s. Waived by %(user)s: %(why)s",
                        reason=event.reason,
                        user=self.env.user.name,
                        why=reason,
                    ),
                }
            )
        return credit_notes

    def _dunning_forgive_pending(self, reason):
        """Forgive the charges of the invoices of self that are put off and not
        booked yet (the consumer's waiting period, a rate to add): they are not
        charged when their day comes. Returns the events forgiven."""
        pending = (
            self.env["dunning.event"]
            .sudo()
            .search(
                [
                    ("move_id", "in", self.ids),
                    ("kind", "in", CHARGE_KINDS),
                    ("state", "in", PUT_OFF_STATES),
                    ("retry_date", "!=", False),
                ]
            )
        )
        for event in pending:
            event.write(
                {
                    "state": "cancelled",
                    "retry_date": False,
                    "reason": self.env._(
                        "%(reason)s. Waived by %(user)s before it was charged: %(why)s",
                        reason=event.reason,
                        user=self.env.user.name,
                        why=reason,
                    ),
                }
            )
        return pending

    def _dunning_waivable(self, kinds):
        """{line: amount, taxes included} of the lines of ``kinds`` of the charge
        invoice self that a waiver may still credit: each line less what credit
        notes of earlier waivers credited for its kind and less what the customer
        paid on it. A payment settles the costs before the interest (as the law's
        order does), so what stays open of a charge invoice is its interest
        first."""
        self.ensure_one()
        credited = self._dunning_credited()
        currency = self.currency_id
        lines = self.invoice_line_ids.sorted(
            lambda line: (
                line.dunning_charge_type == "interest",
                line.sequence,
                line.id,
            )
        )
        uncredited = {}
        for line in lines:
            already = min(credited[line.dunning_charge_type], line.price_total)
            credited[line.dunning_charge_type] -= already
            uncredited[line] = line.price_total - already
        paid = max(sum(uncredited.values()) - self.amount_residual, 0.0)
        amounts = {}
        for line in lines:
            share = min(uncredited[line], paid)
            paid -= share
            amount = currency.round(uncredited[line] - share)
            if (
                line.dunning_charge_type in kinds
                and currency.compare_amounts(amount, 0) > 0
            ):
                amounts[line] = amount
        return amounts

    def _dunning_credited(self):
        """{charge type: amount, taxes included} that credit notes of waivers
        credited on the charge invoice self."""
        self.ensure_one()
        credited = defaultdict(float)
        for note in self.search(
            [
                ("reversed_entry_id", "=", self.id),
                ("move_type", "=", "out_refund"),
                ("state", "=", "posted"),
            ]
        ):
            for line in note.invoice_line_ids:
                credited[line.dunning_charge_type] += line.price_total
        return credited

    def _dunning_partial_credit_note(self, amounts, ref, today):
        """A posted credit note of the charge invoice self crediting ``amounts``
        ({line: amount, taxes included}), reconciled with it."""
        self.ensure_one()
        currency = self.currency_id

        def untaxed(line, amount):
            if currency.is_zero(line.price_total):
                return 0.0
            return currency.round(amount * line.price_subtotal / line.price_total)

        # Odoo's reversal of the whole charge invoice, in draft, cut down to the
        # lines and amounts credited: its lines follow the charge invoice's.
        credit_note = self.sudo()._reverse_moves(
            [{"ref": ref, "invoice_date": today, "date": today}]
        )
        reversed_lines = dict(
            zip(self.invoice_line_ids, credit_note.invoice_line_ids, strict=True)
        )
        credit_note.write(
            {
                "invoice_line_ids": [
                    Command.update(
                        reversed_lines[line].id,
                        {
                            "price_unit": untaxed(line, amounts[line]),
                            "dunning_charge_type": line.dunning_charge_type,
                        },
                    )
                    if line in amounts
                    else Command.delete(reversed_lines[line].id)
                    for line in self.invoice_line_ids
                ]
            }
        )
        # Taxes computed on an untaxed amount may round a cent above what is open.
        excess = credit_note.amount_total - self.amount_residual
        if currency.compare_amounts(excess, 0) > 0:
            last = credit_note.invoice_line_ids[-1]
            last.price_unit = currency.round(last.price_unit - excess)
        credit_note.action_post()
        (self.line_ids | credit_note.line_ids).filtered(
            lambda line: line.display_type == "payment_term" and not line.reconciled
        ).reconcile()
        return credit_note

    def _dunning_auto_waive_interest(self):
        """Waive the interest charged on self when the policy forgives it for an
        invoice paid in full within its days after the step that charged it."""
        self.ensure_one()
        days = self.dunning_policy_id.waive_interest_days
        payments = self._dunning_payments()
        if days <= 0 or not payments:
            return
        paid_on = max(date for date, _amount in payments)
        self._dunning_forgive_interest(
            paid_on, self.env._("paid in full within %s days of the notice", days)
        )

    def _dunning_forgive_interest(self, paid_on, reason):
        """Waive, for ``reason``, the interest still open on the charge invoices
        of self (an invoice) booked within the policy's forgiving days before
        ``paid_on``."""
        self.ensure_one()
        days = self.dunning_policy_id.waive_interest_days
        for fee in self._dunning_open_charges():
            if (paid_on - fee.invoice_date).days <= days and fee._dunning_waivable(
                {"interest"}
            ):
                fee._dunning_waive(reason, kinds={"interest"})
