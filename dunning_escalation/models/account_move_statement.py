"""What a reminder lists and says: the customer's overdue invoices and their open
charges (the domains the job, the views and the reports share), totals per
currency, and the helpers the mail, SMS and letter templates call."""

from odoo import api, models

from ..tools import ladder
from .account_move import DUNNED_MOVE_TYPES
from .account_move import DUNNING_WRITE_CONTEXT
from .account_move import OPEN_STATES
from .account_move import PAID_STATES


class AccountMove(models.Model):
    _inherit = "account.move"

    @api.model
    def _dunning_candidate_domain(self, companies=None, with_agency=False):
        """Invoices the job looks at: open, posted customer invoices with a policy,
        not with the agency (with them when ``with_agency``: what the customer owes)."""
        domain = [
            ("move_type", "in", DUNNED_MOVE_TYPES),
            ("state", "=", "posted"),
            # Paid, an invoice is dunned for the charges on it still open.
            "|",
            ("payment_state", "in", OPEN_STATES),
            "&",
            "&",
            ("payment_state", "in", PAID_STATES),
            ("amount_residual", "=", 0.0),
            ("dunning_charges_open", "=", True),
            ("dunning_policy_id", "!=", False),
            ("invoice_date_due", "!=", False),
        ]
        if not with_agency:
            domain.append(("dunning_handed_off", "=", False))
        if companies is not None:
            domain.append(("company_id", "in", companies.ids))
        return domain

    @api.model
    def _dunning_overdue_domain(
        self,
        today,
        partners,
        companies=None,
        policy=None,
        unblocked=False,
        with_agency=False,
    ):
        """Open invoices in dunning of the commercial ``partners``, past due on
        ``today``; under ``policy`` only when given, without the invoices still
        blocked on ``today`` when ``unblocked``, with those at the agency when
        ``with_agency``."""
        domain = [
            *self._dunning_candidate_domain(companies, with_agency=with_agency),
            ("commercial_partner_id", "in", partners.ids),
            ("invoice_date_due", "<", today),
        ]
        if policy:
            domain.append(("dunning_policy_id", "=", policy.id))
        if unblocked:
            domain += [
                "|",
                ("dunning_blocked_until", "=", False),
                ("dunning_blocked_until", "<=", today),
            ]
        return domain

    @api.model
    def _dunning_overdue_statement(self, today, partner, company, **options):
        """What a statement of ``partner`` lists: its overdue open invoices (see
        _dunning_overdue_domain for ``options``), oldest first, and their open
        charge invoices."""
        overdue = self.search(
            self._dunning_overdue_domain(today, partner, company, **options),
            order="invoice_date_due, id",
        )
        return overdue | overdue._dunning_open_charges()

    def _dunning_overdue_totals(self, today):
        """Overdue amount due per (policy, customer), in company currency, the
        open charges on those invoices included: one query over every open
        invoice of the customers of self, one for the charges."""
        partners = self.partner_id.commercial_partner_id
        if not partners:
            return {}
        domain = self._dunning_overdue_domain(today, partners)
        Move = self.env["account.move"]
        groups = Move._read_group(
            domain,
            ["dunning_policy_id", "commercial_partner_id"],
            ["amount_residual_signed:sum"],
        )
        totals = {(policy.id, partner.id): total for policy, partner, total in groups}
        # The open charges on those invoices are owed too (alone, once the
        # invoice is paid).
        for charge in Move.search(Move._dunning_open_charges_domain("any", domain)):
            key = (
                charge.dunning_origin_id.dunning_policy_id.id,
                charge.commercial_partner_id.id,
            )
            totals[key] = totals.get(key, 0.0) + charge.amount_residual_signed
        return totals

    @api.model
    def _dunning_open_charges_domain(self, operator, value):
        """The posted, unpaid charge invoices whose invoice matches ``operator``
        and ``value`` (ids with "in", a domain with "any"): what
        _dunning_open_charges reads, for a search."""
        return [
            ("dunning_origin_id", operator, value),
            ("state", "=", "posted"),
            ("payment_state", "in", OPEN_STATES),
        ]

    def _dunning_open_charges(self):
        """The posted, unpaid charge invoices of self."""
        return self.dunning_fee_move_ids.filtered(
            lambda fee: fee.state == "posted" and fee.payment_state in OPEN_STATES
        )

    @api.private
    def dunning_statement_moves(self):
        """Invoices listed in the reminder being rendered for self (templates call
        this): the batch of the run, else every overdue open invoice of the customer.
        Letters rendered together name each one's in ``dunning_letters``."""
        letter = self.env.context.get("dunning_letters", {}).get(self.id)
        ids = letter[0] if letter else self.env.context.get("dunning_statement_ids")
        if ids:
            return self.browse(ids).sorted(lambda m: (m.invoice_date_due, m.id))
        self.ensure_one()
        return self._dunning_overdue_statement(
            self._dunning_today(), self.commercial_partner_id, self.company_id
        ) or (self | self._dunning_open_charges())

    @api.private
    def dunning_statement_total(self):
        """The total due of the invoices listed in the reminder, formatted, one
        amount per currency (templates)."""
        self.ensure_one()
        return self._dunning_format_amounts(
            (move.currency_id, move.amount_residual)
            for move in self.dunning_statement_moves()
        )

    @api.model
    def _dunning_format_amounts(self, amounts):
        """``amounts``, (currency, amount) pairs, added up per currency and written
        out in the language of the context: "€ 1,200.00 + $ 300.00", the
        currencies in the order they first come. Amounts in different currencies
        are never added together."""
        totals = {}
        for currency, amount in amounts:
            totals[currency] = totals.get(currency, 0.0) + amount
        if not totals:
            return self.env.company.currency_id.format(0.0)
        return " + ".join(
            currency.format(amount) for currency, amount in totals.items()
        )

    @api.private
    def dunning_days_late(self):
        """Days between the due date and the date of the run (templates)."""
        self.ensure_one()
        if not self.invoice_date_due:
            return 0
        return max((self._dunning_today() - self.invoice_date_due).days, 0)

    @api.private
    def dunning_pay_url(self):
        """The portal page where the customer sees and pays this invoice."""
        self.ensure_one()
        return self.get_base_url() + self.get_portal_url()

    def _dunning_letter_level(self):
        """The level a letter being rendered speaks for."""
        self.ensure_one()
        letter = self.env.context.get("dunning_letters", {}).get(self.id)
        level_id = letter[1] if letter else self.env.context.get("dunning_level_id")
        return (
            self.env["dunning.level"].browse(level_id)
            if level_id
            else (self.dunning_level_id)
        )

    def _dunning_letter_is_final(self):
        """Whether the letter is the final notice: its level is the handoff, or the
        next level is."""
        self.ensure_one()
        level = self._dunning_letter_level()
        if not level:
            return False
        steps = level.policy_id._steps()
        index = ladder.next_index(steps, level, level.delay_days)
        return level.handoff or (index is not None and steps[index].key.handoff)

    def _dunning_ensure_access_tokens(self):
        """Give every invoice of self its portal access token (the pay link of the
        reminders), as the portal does, with the engine's write context so that
        writing a token does not synchronize the invoice's lines again."""
        for move in self.filtered(lambda move: not move.access_token):
            move.with_context(**DUNNING_WRITE_CONTEXT)._portal_ensure_token()
