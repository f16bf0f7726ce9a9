"""A customer's request for a payment plan from the invoice page of the portal,
within the policy's limits (``account.move._dunning_portal_plan_offer``): approved
at once when the policy says so, else it pauses the invoices for a week and waits
for a user, who approves or refuses it. The plan itself is dunning_plan.py."""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_date

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
        moves.sudo()._dunning_block(until, "other", plan._request_note())
        plan.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=_(
                "Approve or refuse the payment plan %s asks for", plan.partner_id.name
            ),
            user_id=plan.user_id.id,
            date_deadline=today,
        )
        return plan

    @api.model
    def _approver(self, move):
        """Who approves a customer's request: the invoice's responsible person
        when they may agree on plans, else an accounting administrator."""
        user = move._dunning_responsible_user()
        if user.has_group("account.group_account_invoice"):
            return user
        admins = (
            self.env.ref("account.group_account_manager")
            .sudo()
            .all_user_ids.filtered(
                lambda u: u.active
                and not u._is_superuser()
                and move.company_id in u.company_ids
            )
            .sorted("id")
        )
        return admins[:1] or user

    def _request_note(self):
        return self.env._("Payment plan %s requested on the portal", self.name)

    def _end_request_pause(self):
        """End the pause the request set, where it still holds."""
        held = self.move_ids.filtered(
            lambda m: m.dunning_block_reason == "other"
            and m.dunning_blocked_until == self.request_pause_until
        )
        held._dunning_unblock(self.env._("Payment plan request refused"))

    def _close_request(self, feedback):
        """Mark the to-do the request gave done."""
        todo = self.env.ref("mail.mail_activity_data_todo")
        self.activity_ids.filtered(
            lambda a: a.activity_type_id == todo
        ).sudo().action_feedback(feedback=feedback)
