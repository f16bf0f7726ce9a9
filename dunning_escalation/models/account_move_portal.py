from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import plaintext2html

from .account_move import OPEN_STATES

# How long a customer's word from the portal pauses dunning, in days.
PORTAL_PAUSE_DAYS = {"pay": 3, "paid": 7, "dispute": 30}


class AccountMove(models.Model):
    _inherit = "account.move"

    dunning_plan_id = fields.Many2one(
        "dunning.plan",
        string="Payment Plan",
        compute="_compute_dunning_plan_id",
        help="The payment plan that holds this invoice, or that the customer asked "
        "for.",
        groups="account.group_account_invoice,account.group_account_readonly",
    )

    def _compute_dunning_plan_id(self):
        ids = [move_id for move_id in self._origin.ids if move_id]
        plans = (
            self.env["dunning.plan"]
            .sudo()
            .search(
                [("move_ids", "in", ids), ("state", "in", ("requested", "running"))]
            )
        )
        by_move = {move.id: plan.id for plan in plans for move in plan.move_ids}
        for move in self:
            move.dunning_plan_id = by_move.get(move._origin.id, False)

    def _dunning_portal_can_answer(self):
        """Whether the customer can still answer the reminders of self from the
        portal: an open invoice under dunning, not with the agency, and not paused
        already (a first answer is not replaced by a second)."""
        self.ensure_one()
        return (
            self.state == "posted"
            and self.move_type in ("out_invoice", "out_receipt")
            and self.payment_state in OPEN_STATES
            and bool(self.dunning_policy_id)
            and not self.dunning_handed_off
            and not self._dunning_portal_paused_until()
            and bool(self._dunning_portal_answers_left())
        )

    def _dunning_portal_answers_left(self):
        """The answers the customer has not given yet on self: each pauses dunning
        once per invoice; a second pause of the same kind needs a person."""
        self.ensure_one()
        given = set(
            self.env["dunning.event"]
            .sudo()
            .search([("move_id", "=", self.id), ("portal_answer", "!=", False)])
            .mapped("portal_answer")
        )
        return [answer for answer in PORTAL_PAUSE_DAYS if answer not in given]

    def _dunning_plan(self):
        """The payment plan that holds self, or that the customer asked for."""
        self.ensure_one()
        return (
            self.env["dunning.plan"]
            .sudo()
            .search(
                [
                    ("move_ids", "in", self.ids),
                    ("state", "in", ("requested", "running")),
                ],
                limit=1,
            )
        )

    def _dunning_portal_plan_offer(self):
        """What the invoice page may offer the customer as a payment plan, or
        False: {"moves": the overdue invoices of the customer in self's currency
        under self's policy (self with them), "total", "max": instalments, "min":
        the smallest instalment in self's currency}, within the policy's limits.
        Not for an invoice not yet due, settled, disputed, with the agency or in a
        plan, nor for a customer who broke a plan before; an invoice whose
        request was refused is not offered again (the customer had an answer)."""
        self.ensure_one()
        policy = self.dunning_policy_id
        if (
            not policy.plan_portal
            or self.state != "posted"
            or self.move_type not in ("out_invoice", "out_receipt")
            or self.payment_state not in OPEN_STATES
            or self.dunning_handed_off
            or self.dunning_block_reason == "dispute"
            or not self.invoice_date_due
            or self.invoice_date_due >= self._dunning_today()
            or self._dunning_plan()
        ):
            return False
        customer = self.commercial_partner_id
        Plan = self.env["dunning.plan"].sudo()
        if Plan.search_count(
            [
                ("partner_id", "=", customer.id),
                ("company_id", "=", self.company_id.id),
                ("state", "=", "broken"),
            ],
            limit=1,
        ):
            return False
        today = self._dunning_today()
        candidates = (
            self.sudo().search(
                [
                    ("commercial_partner_id", "=", customer.id),
                    ("company_id", "=", self.company_id.id),
                    ("currency_id", "=", self.currency_id.id),
                    ("state", "=", "posted"),
                    ("move_type", "in", ("out_invoice", "out_receipt")),
                    ("payment_state", "in", OPEN_STATES),
                    ("dunning_handed_off", "=", False),
                    ("dunning_policy_id", "=", policy.id),
                    ("invoice_date_due", "<", today),
                    # A disputed invoice is not paid in instalments.
                    ("dunning_block_reason", "not in", ("dispute", "plan")),
                ]
            )
            | self.sudo()
        )
        held = Plan.search(
            [
                ("move_ids", "in", candidates.ids),
                ("state", "in", ("requested", "running", "refused")),
            ]
        ).move_ids
        if self in held:
            return False
        moves = candidates - held
        total = sum(moves.mapped("amount_residual"))
        smallest = self.company_id.currency_id._convert(
            policy.plan_min_instalment, self.currency_id, self.company_id, today
        )
        most = policy.plan_max_instalments
        if smallest > 0:
            most = min(most, int(total // smallest))
        if most < 2:
            return False
        return {"moves": moves, "total": total, "max": most, "min": smallest}

    def _dunning_portal_paused_until(self):
        """The date reminders resume for self, while dunning is paused."""
        self.ensure_one()
        until = self.dunning_blocked_until
        return until if until and until > self._dunning_today() else False

    def _dunning_portal_answer(self, answer, note=None, paid_on=None):
        """The customer's answer from the invoice page: paying now, already paid
        (on ``paid_on``, reference in ``note``) or disputed (why in ``note``).
        Pauses dunning, tells the responsible user with an activity and writes the
        answer in the chatter. Raises UserError with what to correct."""
        self.ensure_one()
        _ = self.env._
        today = self._dunning_today()
        note = (note or "").strip()
        if answer not in PORTAL_PAUSE_DAYS:
            raise UserError(_("This answer is not one the invoice page offers."))
        if not self._dunning_portal_can_answer():
            raise UserError(_("This invoice no longer needs an answer. Thank you."))
        if answer not in self._dunning_portal_answers_left():
            raise UserError(
                _(
                    "You gave this answer for this invoice before. To pause the "
                    "reminders again, please contact us."
                )
            )
        if answer == "dispute" and not note:
            raise UserError(_("Tell us what is wrong with the invoice."))
        if answer == "paid":
            try:
                paid_on = fields.Date.to_date(paid_on) if paid_on else None
            except ValueError:
                paid_on = None
            if not paid_on or paid_on > today:
                raise UserError(_("Give the date you paid, today or earlier."))
        until = fields.Date.add(today, days=PORTAL_PAUSE_DAYS[answer])
        amount = self.currency_id.format(self.amount_residual)
        if answer == "pay":
            reason = "promise"
            said = _(
                "%(customer)s is paying %(amount)s now",
                amount=amount,
                customer=self.partner_id.name,
            )
            summary = _("Check the payment of %s", self.name)
        elif answer == "paid":
            reason = "other"
            said = _(
                "%(customer)s says %(amount)s was paid on %(date)s%(ref)s",
                customer=self.partner_id.name,
                amount=amount,
                date=paid_on,
                ref=_(" (reference %s)", note) if note else "",
            )
            summary = _("Find the payment the customer reports for %s", self.name)
        else:
            reason = "dispute"
            said = _(
                "%(customer)s disputes the invoice: %(why)s",
                customer=self.partner_id.name,
                why=note,
            )
            summary = _("Resolve the dispute on %s", self.name)
        self._dunning_block(
            until, reason, _("From the customer portal: %s", said)
        ).portal_answer = answer
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=summary,
            # The customer's words are text, never markup.
            note=plaintext2html(said),
            user_id=self._dunning_responsible_user().id,
            date_deadline=today,
        )
        self.message_post(
            body=said,
            author_id=self.partner_id.id,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        return until
