"""A partial payment applied in the order the law fixes (tools.legal.PAYMENT_ORDER):
a payment reconciled with an invoice that has open charges of its own settles those
charges first, then the invoice. Done in the reconciliation itself, so that every
path a payment takes (Register Payment, a bank statement line matched to the
invoice, a payment on the portal) follows it, and unreconciling the payment undoes
it like any reconciliation."""

from odoo import api, models
from odoo.tools import format_date

from ..tools import legal

CHARGE_PARTS = ("costs", "interest")


class AccountMove(models.Model):
    _inherit = "account.move"

    def _dunning_payment_order(self):
        """The order in which the law applies a payment on self (an invoice with
        charges of its own), or None: as registered."""
        self.ensure_one()
        policy = self.dunning_policy_id
        if not policy.payment_in_law_order:
            return None
        return legal.PAYMENT_ORDER.get(self._dunning_legal_profile())

    def _dunning_open_parts(self):
        """{"costs", "interest": amount open} on self's open charge invoices, in
        self's currency. Costs are settled before interest, so what stays open of
        a charge invoice is its interest first."""
        self.ensure_one()
        open_parts = dict.fromkeys(CHARGE_PARTS, 0.0)
        for charge in self._dunning_open_charges():
            lines = charge.invoice_line_ids
            interest = sum(
                line.price_total
                for line in lines
                if line.dunning_charge_type == "interest"
            )
            open_interest = min(interest, charge.amount_residual)
            open_parts["interest"] += open_interest
            open_parts["costs"] += charge.amount_residual - open_interest
        return open_parts

    def _dunning_record_split(self, payments, order):
        """Say in self's history what ``payments`` settle, in the law's order."""
        self.ensure_one()
        currency = self.currency_id
        if payments.currency_id != currency:
            return
        amount = -sum(payments.mapped("amount_residual_currency"))
        owed = {**self._dunning_open_parts(), "principal": self.amount_residual}
        settled = legal.settle(round(amount, 2), owed, order)
        labels = {
            "costs": self.env._("costs"),
            "interest": self.env._("interest"),
            "principal": self.env._("invoice %s", self.name),
        }
        parts = ", ".join(
            f"{currency.format(float(settled[part]))} {labels[part]}"
            for part in order
            if settled[part]
        )
        day = max(payments.mapped("date"))
        self.sudo().message_post(
            body=self.env._(
                "%(amount)s received on %(date)s, applied in the law's order: "
                "%(parts)s",
                amount=currency.format(amount),
                date=format_date(self.env, day),
                parts=parts,
            ),
            subtype_xmlid="mail.mt_note",
        )


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
        """``step`` of a reconciliation plan, with the open charges of its invoice
        reconciled with its payment first where the invoice's law orders it."""
        if not isinstance(step, models.BaseModel):
            return step
        payments = step.filtered(
            lambda line: (line.payment_id or line.statement_line_id)
            and line.account_id.account_type == "asset_receivable"
            and line.company_currency_id.compare_amounts(line.amount_residual, 0) < 0
        )
        invoices = step.filtered(
            lambda line: line.move_id.move_type == "out_invoice"
            and line.display_type == "payment_term"
            and not line.reconciled
            and line.move_id.dunning_fee_move_ids
        ).move_id
        if not payments or len(invoices) != 1 or invoices.dunning_origin_id:
            return step
        invoice = invoices
        order = invoice._dunning_payment_order()
        charges = invoice._dunning_open_charges().line_ids.filtered(
            lambda line: line.display_type == "payment_term"
            and not line.reconciled
            and line.account_id in payments.account_id
        )
        if not order or not charges:
            return step
        invoice._dunning_record_split(payments, order)
        # Charge invoices with costs before those with interest only.
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
        return [payments + charges, step]
