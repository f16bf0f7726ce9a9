"""A partial payment applied in the order the law fixes (tools.legal.PAYMENT_ORDER):
a payment reconciled with an invoice that has open charges of its own settles those
charges first, then the invoice. Done in the reconciliation itself, so that every
path a payment takes (Register Payment, a bank statement line matched to the
invoice, a payment on the portal) follows it, and unreconciling the payment undoes
it like any reconciliation.

Also what follows from it: what each payment settled, read back from the
reconciliation for the customer's documents; the policy's forgiveness of interest
judged as the payment comes; and an invoice paid while charges on it are open,
dunned for those charges alone (``dunning_charges_open``)."""

from odoo import api, fields, models
from odoo.tools import format_date
from odoo.tools.sql import column_exists
from odoo.tools.sql import create_column

from ..tools import legal
from .account_move import OPEN_STATES
from .account_move import PAID_STATES

CHARGE_PARTS = ("costs", "interest")


class AccountMove(models.Model):
    _inherit = "account.move"

    dunning_charges_open = fields.Boolean(
        string="Late-Payment Charges Open",
        compute="_compute_dunning_charges_open",
        store=True,
        copy=False,
        groups="account.group_account_invoice,account.group_account_readonly",
        help="A charge invoice booked on this invoice is still to be paid: a paid "
        "invoice stays in dunning for its charges.",
    )

    def _auto_init(self):
        # Made empty and set by one query, rather than computed for every entry
        # of the ledger: only an invoice with charges can have it.
        cr = self.env.cr
        if not column_exists(cr, "account_move", "dunning_charges_open"):
            create_column(cr, "account_move", "dunning_charges_open", "boolean")
            if column_exists(cr, "account_move", "dunning_origin_id"):
                cr.execute(
                    """
                    UPDATE account_move move
                       SET dunning_charges_open = TRUE
                     WHERE EXISTS (
                            SELECT 1
                              FROM account_move charge
                             WHERE charge.dunning_origin_id = move.id
                               AND charge.state = 'posted'
                               AND charge.payment_state IN ('not_paid', 'partial'))
                    """
                )
        return super()._auto_init()

    @api.depends("dunning_fee_move_ids.state", "dunning_fee_move_ids.payment_state")
    def _compute_dunning_charges_open(self):
        for move in self:
            move.dunning_charges_open = any(
                fee.state == "posted" and fee.payment_state in OPEN_STATES
                for fee in move.dunning_fee_move_ids
            )

    def _dunning_debt_open(self):
        """Whether self (an invoice) is still owed: itself, or, paid, the charges
        booked on it (dunned for them alone)."""
        self.ensure_one()
        return self.payment_state in OPEN_STATES or self._dunning_charges_only()

    def _dunning_charges_only(self):
        """Whether self is paid and only its late-payment charges are open."""
        self.ensure_one()
        return (
            self.payment_state in PAID_STATES
            and self.dunning_charges_open
            # "In payment" without a reconciliation (a payment not yet matched
            # with the bank) leaves the invoice open: not paid yet.
            and self.currency_id.is_zero(self.amount_residual)
        )

    @api.private
    def dunning_paid_invoices_with_charges(self):
        """The invoices listed in the reminder being rendered for self that are
        paid while the charges on them are open (templates: "only the charges
        are left")."""
        return self.dunning_statement_moves().filtered(
            lambda move: not move.dunning_origin_id and move._dunning_charges_only()
        )

    def _dunning_payment_order(self):
        """The order in which the law applies a payment on self (an invoice with
        charges of its own), or None: as registered."""
        self.ensure_one()
        if self._dunning_as_registered_why():
            return None
        return legal.PAYMENT_ORDER.get(self._dunning_legal_profile())

    def _dunning_amount_owed(self):
        """What the customer owes on self (an invoice): what is left of it and of
        its open charge invoices, in its currency."""
        self.ensure_one()
        return self.amount_residual + sum(
            self._dunning_open_charges().mapped("amount_residual")
        )

    def _dunning_as_registered_why(self):
        """Why a payment on self is applied as registered whatever its law says,
        or None. The company agreed to it: its policy applies payments as
        registered, or a payment plan with the customer sets how self is paid
        (the creditor's consent the Dutch, German and Belgian rules allow)."""
        self.ensure_one()
        if not self.dunning_policy_id:
            return self.env._("the invoice has no dunning policy")
        if self.dunning_block_reason == "plan":
            return self.env._(
                "the payment plan agreed with the customer sets how it is paid"
            )
        if not self.dunning_policy_id.payment_in_law_order:
            return self.env._(
                "the policy %s does not apply payments in the law's order",
                self.dunning_policy_id.name,
            )
        return None

    def _dunning_charge_parts(self):
        """{"costs", "interest": amount charged} of the charge invoice self,
        taxes included: "costs" its fees and recovery compensation."""
        self.ensure_one()
        lines = self.invoice_line_ids
        interest = sum(
            line.price_total for line in lines if line.dunning_charge_type == "interest"
        )
        return {
            "costs": sum(lines.mapped("price_total")) - interest,
            "interest": interest,
        }

    def _dunning_open_parts(self):
        """{"costs", "interest": amount open} on self's open charge invoices, in
        self's currency. Costs are settled before interest, so what stays open of
        a charge invoice is its interest first."""
        self.ensure_one()
        open_parts = dict.fromkeys(CHARGE_PARTS, 0.0)
        for charge in self._dunning_open_charges():
            interest = charge._dunning_charge_parts()["interest"]
            open_interest = min(interest, charge.amount_residual)
            open_parts["interest"] += open_interest
            open_parts["costs"] += charge.amount_residual - open_interest
        return open_parts

    def _dunning_split_parts(self, settled):
        """``settled`` ({"costs", "interest", "principal": amount}) written out in
        the language of the context, the parts in the law's order: "€ 40.00
        costs, € 96.44 interest, € 863.56 invoice INV/2026/0042"."""
        self.ensure_one()
        labels = {
            "costs": self.env._("costs"),
            "interest": self.env._("interest"),
            "principal": self.env._("invoice %s", self.name),
        }
        return ", ".join(
            f"{self.currency_id.format(float(settled[part]))} {labels[part]}"
            for part in ("costs", "interest", "principal")
            if not self.currency_id.is_zero(float(settled[part]))
        )

    def _dunning_record_split(self, payments, order):
        """Say in self's history what ``payments`` settle, in the law's order."""
        self.ensure_one()
        currency = self.currency_id
        if payments.currency_id != currency:
            return
        amount = -sum(payments.mapped("amount_residual_currency"))
        owed = {**self._dunning_open_parts(), "principal": self.amount_residual}
        settled = legal.settle(round(amount, 2), owed, order)
        day = max(payments.mapped("date"))
        self.sudo().message_post(
            body=self.env._(
                "%(amount)s received on %(date)s, applied in the law's order: "
                "%(parts)s",
                amount=currency.format(amount),
                date=format_date(self.env, day),
                parts=self._dunning_split_parts(settled),
            ),
            subtype_xmlid="mail.mt_note",
        )

    def _dunning_record_as_registered(self, payments):
        """Say in self's history that ``payments`` are applied as registered,
        though self's law orders them, and why."""
        self.ensure_one()
        amount = -sum(payments.mapped("amount_residual_currency"))
        self.sudo().message_post(
            body=self.env._(
                "%(amount)s received on %(date)s, applied as registered: %(why)s, "
                "so the late-payment charges stay open.",
                amount=payments.currency_id[:1].format(amount),
                date=format_date(self.env, max(payments.mapped("date"))),
                why=self._dunning_as_registered_why(),
            ),
            subtype_xmlid="mail.mt_note",
        )

    def _dunning_forgive_on_payment(self, payments):
        """Under the law's order, the policy's forgiveness of interest is judged
        as the payment comes: once the customer has paid as much as the invoice
        within the policy's days of the notice that charged the interest, the
        interest still open is waived, and the payment settles the costs and
        then the invoice. (Paid as registered, the invoice paid in full is what
        the run forgives on, see _dunning_auto_waive_interest.)"""
        self.ensure_one()
        days = self.dunning_policy_id.waive_interest_days
        if days <= 0 or payments.currency_id != self.currency_id:
            return
        amount = -sum(payments.mapped("amount_residual_currency"))
        received = amount + sum(
            partial.debit_amount_currency
            for partial, _move in self._dunning_received_partials()
        )
        owed = self._dunning_amount_owed()
        # Not when the customer paid the interest too: nothing is left to forgive.
        if (
            self.currency_id.compare_amounts(received, self.amount_total) < 0
            or self.currency_id.compare_amounts(amount, owed) >= 0
        ):
            return
        day = max(payments.mapped("date"))
        # The credit note is made as a user makes one: not with the context of
        # the reconciliation under way (which leaves the lines unsynchronized).
        context = {
            key: self.env.context[key]
            for key in ("lang", "tz", "allowed_company_ids")
            if key in self.env.context
        }
        self.with_context(context, dunning_date=day)._dunning_forgive_interest(
            day, self.env._("paid within %s days of the notice", days)
        )

    def _dunning_received_partials(self):
        """(partial reconciliation, move it settled) of every payment received
        for self (an invoice) and its charge invoices, in the order they were
        applied: payments and bank statement lines, not credit notes."""
        self.ensure_one()
        moves = self | self.dunning_fee_move_ids.filtered(
            lambda fee: fee.state == "posted"
        )
        received = []
        for move in moves:
            partials = move.line_ids.filtered(
                lambda line: line.display_type == "payment_term"
            ).matched_credit_ids
            received += [
                (partial, move)
                for partial in partials
                if partial.credit_move_id.payment_id
                or partial.credit_move_id.statement_line_id
            ]
        return sorted(received, key=lambda item: item[0].id)

    def _dunning_payment_splits(self):
        """What each payment received for self (an invoice) settled of its
        charges and of itself: [(date, amount, {"costs", "interest", "principal":
        amount})], oldest first. A charge invoice's payments settle its costs
        before its interest; what a waiver credited on it was not owed."""
        self.ensure_one()
        currency = self.currency_id
        owed = {}
        for charge in self.dunning_fee_move_ids.filtered(
            lambda fee: fee.state == "posted"
        ):
            credited = charge._dunning_credited()
            charged = charge._dunning_charge_parts()
            owed[charge] = {
                "costs": charged["costs"] - credited["fee"] - credited["compensation"],
                "interest": charged["interest"] - credited["interest"],
            }
        splits = {}
        for partial, move in self._dunning_received_partials():
            source = partial.credit_move_id
            amount = partial.debit_amount_currency
            day, total, settled = splits.get(source.move_id) or (
                source.date,
                0.0,
                dict.fromkeys(("costs", "interest", "principal"), 0.0),
            )
            if move == self:
                settled["principal"] += amount
            else:
                left = amount
                for part in ("costs", "interest"):
                    share = max(min(left, owed[move][part]), 0.0)
                    owed[move][part] -= share
                    settled[part] += share
                    left -= share
                settled["costs"] += left
            splits[source.move_id] = (day, total + amount, settled)
        return [
            (
                day,
                currency.round(total),
                {part: currency.round(value) for part, value in settled.items()},
            )
            for day, total, settled in sorted(
                splits.values(), key=lambda split: split[0]
            )
        ]

    @api.private
    def dunning_charges_first(self):
        """The open charges on self, formatted, where a payment on self settles
        them first (the portal's invoice page); empty otherwise."""
        self.ensure_one()
        if not self._dunning_payment_order():
            return ""
        charges = self._dunning_open_charges()
        if not charges:
            return ""
        return self.currency_id.format(sum(charges.mapped("amount_residual")))

    @api.private
    def dunning_payment_lines(self):
        """One line per payment received for self (an invoice with charges), in
        the language of the context, saying what it settled: "€ 1,000.00
        received on 03/03/2026: € 40.00 costs, € 96.44 interest, € 863.56
        invoice INV/2026/0042" (reports, portal, mails)."""
        self.ensure_one()
        if not self.dunning_fee_move_ids.filtered(lambda fee: fee.state == "posted"):
            return []
        return [
            self.env._(
                "%(amount)s received on %(date)s: %(parts)s",
                amount=self.currency_id.format(amount),
                date=format_date(self.env, day),
                parts=self._dunning_split_parts(settled),
            )
            for day, amount, settled in self._dunning_payment_splits()
        ]


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def _reconcile_plan(self, reconciliation_plan):
        if not self.env.context.get("dunning_as_registered"):
            reconciliation_plan = [
                self._dunning_law_order_step(step) for step in reconciliation_plan
            ]
        return super()._reconcile_plan(reconciliation_plan)

    @api.model
    def _dunning_law_order_step(self, step):
        """``step`` of a reconciliation plan, with the open charges of its
        invoices reconciled with its payment first where each invoice's law
        orders it. A payment for several invoices settles the charges of all of
        them first (which of the invoices it then settles stays Odoo's choice)."""
        if not isinstance(step, models.BaseModel):
            return step
        # Read as the system: whoever reconciles (an app's user without
        # accounting rights) may not read the dunning fields; the plan returned
        # is in their environment.
        lines = step.sudo()
        payments = lines.filtered(
            lambda line: (line.payment_id or line.statement_line_id)
            and line.account_id.account_type == "asset_receivable"
            and line.company_currency_id.compare_amounts(line.amount_residual, 0) < 0
        )
        # A payment with a write-off ("mark as fully paid") closes what it was
        # registered for, as registered.
        if not payments or any(
            payment._seek_for_lines()[2] for payment in payments.payment_id
        ):
            return step
        in_step = lines.filtered(
            lambda line: line.move_id.move_type == "out_invoice"
            and not line.move_id.dunning_origin_id
            and line.display_type == "payment_term"
            and not line.reconciled
        ).move_id
        charged = in_step.filtered(
            lambda move: move.dunning_fee_move_ids and move._dunning_open_charges()
        )
        invoices = charged.filtered(lambda move: move._dunning_payment_order())
        # Where the law orders it but the company says otherwise, the history
        # says why the charges stay open.
        for invoice in charged - invoices:
            if legal.PAYMENT_ORDER.get(invoice._dunning_legal_profile()):
                invoice._dunning_record_as_registered(payments)
        if not invoices:
            return step
        # A payment for this one invoice: the policy's forgiveness is judged, and
        # the split written in its history. (For several, what reaches each one
        # is Odoo's choice, read back later by dunning_payment_lines.)
        alone = len(in_step) == 1 and in_step == invoices
        if alone:
            invoices._dunning_forgive_on_payment(payments)
        charges = invoices._dunning_open_charges().line_ids.filtered(
            lambda line: line.display_type == "payment_term"
            and not line.reconciled
            and line.account_id in payments.account_id
        )
        if not charges:
            return step
        if alone:
            invoices._dunning_record_split(payments, invoices._dunning_payment_order())
        # Charge invoices with costs before those with interest only, oldest
        # first: one step each, as Odoo orders the lines within a step itself.
        charges = charges.sorted(
            lambda line: (
                all(
                    product.dunning_charge_type == "interest"
                    for product in line.move_id.invoice_line_ids
                ),
                line.move_id.invoice_date,
                line.id,
            )
        )
        payments = payments.with_env(step.env)
        return [
            *(payments + charge for charge in charges.with_env(step.env)),
            step,
        ]
