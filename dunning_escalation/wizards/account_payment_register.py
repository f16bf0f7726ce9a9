"""Register Payment on an invoice and its charge invoices together, as separate
payments: each pays what it was registered for (models/account_move_payment_order.py
applies a payment on an invoice to its charges first)."""

from odoo import models


class AccountPaymentRegister(models.TransientModel):
    _inherit = "account.payment.register"

    def _reconcile_payments(self, to_process, edit_mode=False):
        # An invoice and its charge invoices paid together as separate payments:
        # the charges' own payments first, so that each pays what it was
        # registered for before the invoice's payment, in the law's order,
        # reaches the charges.
        to_process = sorted(
            to_process,
            key=lambda vals: not vals["to_reconcile"].sudo().move_id.dunning_origin_id,
        )
        return super()._reconcile_payments(to_process, edit_mode=edit_mode)
