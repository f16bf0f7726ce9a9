"""The charge invoices of a batch, created and posted together.

A charge invoice is a plain customer invoice: its lines (fees, the recovery
compensation, interest) and one receivable line due the day it is issued. When its
lines carry no tax, and no installed module changes how Odoo completes an
invoice's lines, its journal items are written as Odoo would complete them (the
amounts in the invoice's currency and in the company's, the receivable line)
instead of through Odoo's line synchronisation, which costs 14 ms an invoice and
most of its queries. Any other invoice goes through that synchronisation."""

from odoo import Command, models

from odoo.addons.account.models.account_move import AccountMove as CoreMove


class AccountMove(models.Model):
    _inherit = "account.move"

    def _dunning_book_charge_invoices(self, booked, today):
        """The charge invoices of ``booked`` ((invoice, level, charge lines,
        refusals)), created and posted together, in its order."""
        if not booked:
            return self.browse()
        complete = self._dunning_lines_completed_here()
        values = [
            move._dunning_charge_invoice_values(lines, today, complete)
            for move, _level, lines, _refusals in booked
        ]
        companies = self.env["res.company"].browse(
            list({move.company_id.id for move, *_rest in booked})
        )
        # The charge invoice says where it comes from (its origin, its reference):
        # no "created" note in its chatter; its posting is tracked as any other.
        # A draft has no analytic items to bring in line with its lines' analytic
        # distribution (Odoo's own models still give them theirs).
        Move = (
            self.env["account.move"]
            .sudo()
            .with_company(companies[:1])
            .with_context(
                allowed_company_ids=companies.ids,
                mail_create_nolog=True,
                skip_analytic_sync=True,
            )
        )
        # Written complete, an invoice has its journal items; else its invoice lines.
        direct = [i for i, vals in enumerate(values) if "line_ids" in vals]
        synced = [i for i, vals in enumerate(values) if "line_ids" not in vals]
        created = {}
        if direct:
            # Neither the invoice's nor its lines' synchronisation: every amount
            # is given, in both currencies.
            moves = Move.with_context(
                skip_invoice_sync=True, skip_invoice_line_sync=True
            ).create([values[i] for i in direct])
            created.update(zip(direct, moves.ids, strict=True))
        if synced:
            moves = Move.create([values[i] for i in synced])
            created.update(zip(synced, moves.ids, strict=True))
        posting = Move.with_context(skip_analytic_sync=False)
        if direct:
            # Posted, an invoice written complete is not completed again (Odoo
            # still checks that it balances).
            posting.browse([created[i] for i in direct]).with_context(
                skip_invoice_sync=True
            ).action_post()
        if synced:
            posting.browse([created[i] for i in synced]).action_post()
        return (
            self.env["account.move"]
            .sudo()
            .browse([created[i] for i in range(len(values))])
        )

    def _dunning_charge_invoice_values(self, lines, today, complete=True):
        """The values of the charge invoice of self for its charge ``lines``: its
        journal items complete (``line_ids``) when ``complete`` and no line is
        taxed, else its invoice lines (``invoice_line_ids``) for Odoo to complete."""
        self.ensure_one()
        company = self.company_id
        income = self.journal_id.default_account_id
        fee_account = company.dunning_fee_account_id or income
        interest_account = company.dunning_interest_account_id or fee_account
        taxes = company.dunning_fee_tax_ids
        items = []
        for vals in lines:
            interest = vals["dunning_charge_type"] == "interest"
            items.append(
                {
                    **vals,
                    "quantity": 1,
                    "account_id": (interest_account if interest else fee_account).id,
                    "tax_ids": [Command.set([] if interest else taxes.ids)],
                }
            )
        values = {
            "move_type": "out_invoice",
            "company_id": company.id,
            "partner_id": self.partner_id.id,
            "currency_id": self.currency_id.id,
            "journal_id": self.journal_id.id,
            "invoice_date": today,
            "invoice_date_due": today,
            "invoice_payment_term_id": False,
            "invoice_cash_rounding_id": False,
            "dunning_origin_id": self.id,
            "ref": self.env._("Late-payment charges on %s", self.name),
        }
        if not complete or any(item["tax_ids"][0][2] for item in items):
            values["invoice_line_ids"] = [Command.create(item) for item in items]
            return values
        # Without tax each line is its amount, in the invoice's currency and in
        # the company's at the invoice date's rate; the receivable line balances
        # them (its account, partner and label are Odoo's own computations).
        currency = self.currency_id
        company_currency = company.currency_id
        rate = self.env["res.currency"]._get_conversion_rate(
            company_currency, currency, company, today
        )
        for item in items:
            amount = currency.round(item["price_unit"] * item["quantity"])
            item.update(
                display_type="product",
                amount_currency=-amount,
                balance=company_currency.round(-amount / rate),
            )
        values["line_ids"] = [Command.create(item) for item in items] + [
            Command.create(
                {
                    "display_type": "payment_term",
                    "date_maturity": today,
                    "amount_currency": -sum(i["amount_currency"] for i in items),
                    "balance": -sum(i["balance"] for i in items),
                }
            )
        ]
        return values

    def _dunning_lines_completed_here(self):
        """Whether Odoo's accounting alone completes an invoice's lines: no
        installed module extends that (a localisation adding lines of its own)."""
        owners = [
            cls
            for cls in type(self.env["account.move"]).__mro__
            if "_get_sync_stack" in vars(cls) or "_sync_dynamic_lines" in vars(cls)
        ]
        return all(cls is CoreMove for cls in owners)
