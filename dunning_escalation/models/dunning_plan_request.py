"""A customer's request for a payment plan from the invoice page of the portal,
within the policy's limits (``account.move._dunning_portal_plan_offer``): approved
at once when the policy says so, else it pauses the invoices for a week and waits
for a user, who approves or refuses it. The plan itself is dunning_plan.py."""

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_date

from .account_move import OPEN_STATES

# How long a customer's request for a plan pauses its invoices while it waits for
# a user, and how far ahead the customer may put the first instalment (days).
REQUEST_PAUSE_DAYS = 7
FIRST_INSTALMENT_WITHIN_DAYS = 30


class DunningPlan(models.Model):
    _inherit = "dunning.plan"

    @api.model
    def _request_from_portal(self, move, count, first_date):
        """The customer's request, from the invoice page of ``move``, to pay its
        overdue invoices in ``count`` monthly instalments from ``first_date``,
        within the policy's limits (``move._dunning_portal_plan_offer()``).
        Approved at once when the policy says so, else it waits for a user,
        the invoices paused meanwhile. Raises UserError with what to correct."""
        _ = self.env._
        offer = move._dunning_portal_plan_offer()
        if not offer:
            raise UserError(_("A payment plan cannot be requested for this invoice."))
        today = move._dunning_today()
        try:
            count = int(count)
        except (TypeError, ValueError):
            count = 0
        if not 2 <= count <= offer["max"]:
            raise UserError(
                _(
                    "Choose between 2 and %(most)s instalments: each must be at least "
                    "%(smallest)s.",
                    most=offer["max"],
                    smallest=move.currency_id.format(offer["min"]),
                )
            )
        try:
            first = fields.Date.to_date(first_date) if first_date else None
        except ValueError:
            first = None
        last_first = fields.Date.add(today, days=FIRST_INSTALMENT_WITHIN_DAYS)
        if not first or not today < first <= last_first:
            raise UserError(
                _(
                    "Choose the date of the first instalment after today and by %s.",
                    format_date(self.env, last_first),
                )
            )
        moves = offer["moves"]
        plan = self.sudo().create(
            {
                **self._prepare_for_moves(moves.sudo()),
                "origin": "portal",
                "instalment_count": count,
                "first_date": first,
                "interval_months": 1,
                "user_id": self._approver(move).id,
            }
        )
        plan.name = plan._number()
        plan.action_compute_schedule()
        plan.message_post(
            body=_(
                "%(customer)s asks on the portal to pay %(total)s in %(count)s monthly "
                "instalments from %(date)s.",
                customer=plan.partner_id.name,
                total=plan.currency_id.format(plan.amount_total),
                count=count,
                date=format_date(self.env, first),
            ),
            subtype_xmlid="mail.mt_note",
        )
        if move.dunning_policy_id.plan_auto_approve:
            plan.action_agree()
            return plan
        until = fields.Date.add(today, days=REQUEST_PAUSE_DAYS)
        plan.write({"state": "requested", "request_pause_until": until})
        # Held like a plan's invoices, until a user answers: the customer who
        # asked is not chased meanwhile. The answer is due by ``until``.
        moves.sudo()._dunning_block(until, "plan", plan._request_note())
        plan.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=_(
                "Approve or refuse the payment plan %s asks for", plan.partner_id.name
            ),
            user_id=plan.user_id.id,
            date_deadline=until,
        )
        return plan

    @api.model
    def _approver(self, move):
        """Who approves a customer's request: the first of the invoice's
        responsible people who may agree on plans (an accounting administrator
        at the end)."""
        return move._dunning_responsible_user(group="account.group_account_invoice")

    def _request_note(self):
        return self.env._("Payment plan %s requested on the portal", self.name)

    def _end_request_pause(self, reason, moves=None):
        """End the pause the request set on its invoices (``moves`` of them),
        where it still holds."""
        held = (moves or self.move_ids).filtered(
            lambda m: m.dunning_block_reason == "plan"
            and m.dunning_blocked_until == self.request_pause_until
        )
        held._dunning_unblock(reason)

    def _follow_payments(self):
        """Before a user approves the request: refuse an approval whose invoices
        were paid since, or whose instalments no longer add up to what is left,
        with what to do (*Split Evenly* takes the paid invoices out)."""
        self.ensure_one()
        _ = self.env._
        paid = self.move_ids.filtered(lambda m: m.payment_state not in OPEN_STATES)
        if paid == self.move_ids:
            raise UserError(
                _(
                    "The invoices of this request were paid since it was made: "
                    "there is nothing to pay in instalments. Refuse it, or let the "
                    "daily run close it."
                )
            )
        if paid:
            raise UserError(
                _(
                    "Paid since the request: %s. Click Split Evenly to take them "
                    "out of the plan and split what is left, then approve.",
                    ", ".join(paid.mapped("display_name")),
                )
            )

    def _drop_paid(self):
        """Take the invoices paid since the request out of it, their pause
        ended: a request is for what is still to pay."""
        self.ensure_one()
        paid = self.move_ids.filtered(lambda m: m.payment_state not in OPEN_STATES)
        if not paid or paid == self.move_ids:
            return
        self._end_request_pause(
            self.env._("Paid since the payment plan %s was requested", self.name),
            paid,
        )
        left = self.move_ids - paid
        self.sudo().write(
            {
                "move_ids": [Command.unlink(move.id) for move in paid],
                "amount_total": sum(left.mapped("amount_residual")),
            }
        )
        self.message_post(
            body=self.env._(
                "Paid since the request, taken out: %s.",
                ", ".join(paid.mapped("display_name")),
            ),
            subtype_xmlid="mail.mt_note",
        )

    def _watch_request(self, today):
        """The daily run's look at a request still waiting for an answer: one
        whose invoices were all paid meanwhile is closed; one unanswered by its
        day goes to an accounting administrator as well, once."""
        self.ensure_one()
        _ = self.env._
        if all(m.payment_state not in OPEN_STATES for m in self.move_ids):
            reason = _("Paid before it was answered")
            self._end_request_pause(reason)
            self._close_request(reason)
            self._close("cancelled", today, reason)
            return
        if self.request_overdue or self.request_pause_until > today:
            return
        self.sudo().request_overdue = True
        manager = self.move_ids[:1]._dunning_responsible_user(
            group="account.group_account_manager"
        )
        note = _(
            "%(customer)s asked for this payment plan on %(date)s and has had no "
            "answer: its invoices stay paused until it is approved or refused.",
            customer=self.partner_id.name,
            date=format_date(self.env, self.create_date.date()),
        )
        self.message_post(body=note, subtype_xmlid="mail.mt_note")
        if manager != self.user_id:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=_(
                    "Unanswered: the payment plan %s asks for", self.partner_id.name
                ),
                note=note,
                user_id=manager.id,
                date_deadline=today,
            )

    def _close_request(self, feedback):
        """Mark the to-do the request gave done."""
        todo = self.env.ref("mail.mail_activity_data_todo")
        self.activity_ids.filtered(
            lambda a: a.activity_type_id == todo
        ).sudo().action_feedback(feedback=feedback)
