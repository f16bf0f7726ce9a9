"""Collecting by the customer's saved payment method, before a level's messages.

A level may charge the payment method the customer saved on the portal (a card, a
direct debit mandate: Odoo's ``payment.token``, with a provider that charges
tokens) for what the invoice has left to pay, before the level's messages. Paid,
the invoice is settled through Odoo's payment flow (the transaction, its posted
payment, reconciled with the invoice) and the level sends nothing; refused, the
provider's reason is recorded and the level's messages go out, saying so, with the
link to update the payment method; still pending at the provider, the level waits.
The level's retry days (days after the due date) charge again while the invoice is
open. An invoice is charged at most once a day, never while a charge of it is in
flight, and only with a token of its own customer."""

import logging

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

# The transactions of an invoice still in flight: no second charge meanwhile.
IN_FLIGHT = ("draft", "pending", "authorized")


class DunningChannelCollect(models.AbstractModel):
    _name = "dunning.channel.collect"
    _inherit = "dunning.channel"
    _description = "Dunning Channel: Saved Payment Method"

    _channel_kind = "collect"
    # Before every message: a paid invoice is not reminded.
    _channel_sequence = 5

    @api.model
    def _channel_wants(self, level):
        return level.collect_token

    @api.model
    def _channel_send(self, decisions, today, statements):
        """Charge the invoices of ``decisions`` that have a saved payment method.
        Returns the ids of the invoices whose level goes on with its messages:
        the charge was refused, or there was nothing to charge."""
        return {
            decision.move.id
            for decision in decisions
            if self._collect(decision.move, today, decision.level)
            not in ("paid", "pending")
        }

    @api.model
    def _channel_takes_over(self, decisions, delivered):
        """Paid by the charge, or the charge still in flight: the level sends
        nothing for them (and waits, while in flight)."""
        return {decision.move.id for decision in decisions} - delivered

    # ------------------------------------------------------------------
    # Charging
    # ------------------------------------------------------------------

    @api.model
    def _token_for(self, move):
        """The saved payment method of ``move``'s customer to charge: its own
        (or a contact's of it), active, of a provider of the invoice's company
        that is on (or in test) and charges saved methods in the invoice's
        currency; the newest. Empty when there is none."""
        customer = move.commercial_partner_id
        tokens = (
            self.env["payment.token"]
            .sudo()
            .search(
                [
                    ("partner_id", "child_of", customer.id),
                    ("provider_id.company_id", "=", move.company_id.id),
                    ("provider_id.state", "in", ("enabled", "test")),
                ],
                order="id desc",
            )
        )
        return tokens.filtered(
            lambda token: token.provider_id.support_tokenization
            and (
                not token.provider_id.available_currency_ids
                or move.currency_id in token.provider_id.available_currency_ids
            )
        )[:1]

    @api.model
    def _in_flight(self, move):
        return (
            self.env["payment.transaction"]
            .sudo()
            .search_count(
                [("invoice_ids", "in", move.ids), ("state", "in", IN_FLIGHT)], limit=1
            )
        )

    @api.model
    def _collect(self, move, today, level):
        """Charge ``move`` once on ``today`` with its customer's saved method:
        "paid", "refused", "pending", or "none" (no method, nothing left to pay,
        a charge already in flight or made today). Records a ``collect`` event
        for each charge, with the transaction and the provider's reason."""
        # What the customer owes on it: the invoice and its open charges (the
        # law's order may settle those first, and a paid invoice is dunned for
        # them alone).
        if not move._dunning_debt_open() or move.currency_id.is_zero(
            move._dunning_amount_owed()
        ):
            return "none"
        if self._in_flight(move):
            return "pending"
        token = self._token_for(move)
        if not token:
            return "none"
        Event = self.env["dunning.event"].sudo()
        # The event first: a second run charging the same invoice on the same
        # day stops at its unique index, before the charge.
        try:
            with self.env.cr.savepoint():
                event = Event.create(
                    Event._prepare_values(
                        move,
                        "collect",
                        today,
                        level=level,
                        state="waiting",
                        amount=move._dunning_amount_owed(),
                        reason=self.env._("Charging %s", token.display_name),
                    )
                )
        except Exception:  # the invoice was charged today already
            _logger.info("dunning: %s was charged today already", move.name)
            return "none"
        transaction = self._charge(move, token)
        self.env.invalidate_all()
        _ = self.env._
        method = token.display_name
        if transaction.state == "done":
            # Paid; an invoice still open after it (a payment the provider
            # lowered) is reminded for the rest.
            settled = not move._dunning_debt_open()
            outcome, state = ("paid" if settled else "refused"), "done"
            reason = _(
                "Paid by %(method)s (%(reference)s)",
                method=method,
                reference=transaction.reference,
            )
        elif transaction.state in IN_FLIGHT:
            outcome, state = "pending", "waiting"
            reason = _("Charge of %s pending at the provider", method)
        else:
            outcome, state = "refused", "failed"
            reason = _(
                "%(method)s refused: %(why)s",
                method=method,
                why=transaction.state_message or transaction.state,
            )
        event.write(
            {"state": state, "transaction_id": transaction.id, "reason": reason}
        )
        return outcome

    @api.model
    def _charge(self, move, token):
        """A transaction charging what ``move`` has left to pay, its open charges
        included, to ``token``, through the provider, and its payment posted and
        reconciled when done."""
        Transaction = self.env["payment.transaction"].sudo()
        moves = move | move._dunning_open_charges()
        transaction = Transaction.create(
            {
                "provider_id": token.provider_id.id,
                "payment_method_id": token.payment_method_id.id,
                "reference": Transaction._compute_reference(
                    token.provider_id.code, invoice_ids=[fields.Command.set(move.ids)]
                ),
                "amount": move._dunning_amount_owed(),
                "currency_id": move.currency_id.id,
                "partner_id": move.commercial_partner_id.id,
                "token_id": token.id,
                "operation": "offline",
                "invoice_ids": [fields.Command.set(moves.ids)],
            }
        )
        try:
            with self.env.cr.savepoint():
                transaction._charge_with_token()
                if transaction.state == "done":
                    transaction._post_process()
        except Exception as error:  # a provider that fails is a refusal
            _logger.warning("dunning: charging %s failed: %s", move.name, error)
            transaction._set_error(str(error))
        return transaction

    # ------------------------------------------------------------------
    # The retry days (dunning.run._retry_collections)
    # ------------------------------------------------------------------

    @api.model
    def _retry(self, moves, today):
        """Charge again the invoices of ``moves`` whose level's retry day has
        come (the latest one on or before ``today``) and that were not charged
        since that day."""
        charged = 0
        for move in moves:
            level = move.dunning_level_id
            due = move.invoice_date_due
            days = [
                day
                for day in level._collect_days()
                if fields.Date.add(due, days=day) <= today
            ]
            if not days:
                continue
            since = fields.Date.add(due, days=days[-1])
            tried = (
                self.env["dunning.event"]
                .sudo()
                .search_count(
                    [
                        ("move_id", "=", move.id),
                        ("kind", "=", "collect"),
                        ("date", ">=", since),
                    ],
                    limit=1,
                )
            )
            if tried:
                continue
            self._collect(move, today, level)
            charged += 1
        return charged


class AccountMove(models.Model):
    _inherit = "account.move"

    @api.private
    def dunning_collect_refused(self):
        """For the reminder of self (templates): the reasons the saved payment
        methods of the invoices it lists were refused today, and where the
        customer updates the method; False when none was."""
        self.ensure_one()
        moves = self.dunning_statement_moves() | self
        refused = (
            self.env["dunning.event"]
            .sudo()
            .search(
                [
                    ("move_id", "in", moves.ids),
                    ("kind", "=", "collect"),
                    ("state", "=", "failed"),
                    ("date", "=", self._dunning_today()),
                ]
            )
        )
        if not refused:
            return False
        return {
            "reasons": sorted(set(refused.mapped("reason"))),
            "url": f"{self.get_base_url()}/my/payment_method",
        }
