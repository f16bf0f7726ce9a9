"""Payment plans: a customer pays some of its overdue invoices in instalments
agreed with a user. While the plan is kept, its invoices get no dunning (a pause
with the reason ``plan`` that only the plan ends); each instalment gets a friendly
reminder before its date and one reminder after it; payments on the invoices go
to the instalments in date order. An instalment still unpaid the policy's days
after its date breaks the plan: dunning resumes where it stood, the history says
so and the customer is told. A plan paid to the end is kept, with a thank-you.

This file holds what a plan is and what users do with it; the daily run's side
(``dunning.run._process_plans`` calls ``_keep``) is dunning_plan_run.py, the
customer's request from the portal dunning_plan_request.py, the schedule
``dunning.plan.instalment`` dunning_plan_instalment.py."""

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare

from .account_move import DUNNED_MOVE_TYPES

# Written by the plan's actions only (under sudo), never by a user's write.
PLAN_PROTECTED_FIELDS = {
    "name",
    "company_id",
    "partner_id",
    "currency_id",
    "move_ids",
    "state",
    "origin",
    "amount_total",
    "missed_days",
    "date_start",
    "date_closed",
    "close_reason",
    "interest_amount",
    "request_pause_until",
    "request_overdue",
    "amount_paid_at_close",
}
# The states of a plan that is over: its figures no longer change.
CLOSED_STATES = ("kept", "broken", "cancelled", "refused")
# What a user may give a new plan (the rest comes from its invoices).
PLAN_CREATE_FIELDS = {
    "instalment_count",
    "first_date",
    "interval_months",
    "interest",
    "user_id",
    "instalment_ids",
}
# The mail templates of a plan's life, by what happened.
PLAN_TEMPLATES = {
    "agreed": "dunning_escalation.mail_template_dunning_plan_agreed",
    "due": "dunning_escalation.mail_template_dunning_plan_instalment_due",
    "late": "dunning_escalation.mail_template_dunning_plan_instalment_late",
    "broken": "dunning_escalation.mail_template_dunning_plan_broken",
    "kept": "dunning_escalation.mail_template_dunning_plan_kept",
    "refused": "dunning_escalation.mail_template_dunning_plan_refused",
}


class DunningPlan(models.Model):
    _name = "dunning.plan"
    _description = "Payment Plan"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(readonly=True, copy=False, default="/")
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.company,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        index=True,
        tracking=True,
    )
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    move_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        check_company=True,
        readonly=True,
        copy=False,
    )
    policy_id = fields.Many2one(
        "dunning.policy",
        compute="_compute_policy_id",
        store=True,
        check_company=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        tracking=True,
        domain="[('share', '=', False)]",
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("requested", "Requested"),
            ("running", "Running"),
            ("kept", "Kept"),
            ("broken", "Broken"),
            ("cancelled", "Cancelled"),
            ("refused", "Refused"),
        ],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    instalment_count = fields.Integer(
        string="Instalments",
        default=3,
        help="How many instalments the schedule is split into, evenly.",
    )
    first_date = fields.Date(
        string="First Instalment",
        default=lambda self: fields.Date.add(fields.Date.context_today(self), days=7),
    )
    interval_months = fields.Integer(string="Every (months)", default=1)
    interest = fields.Selection(
        [("waived", "Waived if the Plan Is Kept"), ("running", "Keeps Running")],
        string="Statutory Interest",
        default="waived",
        required=True,
        help="Waived: no interest for the time of the plan if it is kept (broken, "
        "dunning resumes with the interest the law allows). Keeps running: "
        "interest runs on what is left, lowered by each payment, and is invoiced "
        "when the plan is paid to the end.",
    )
    interest_amount = fields.Monetary(
        string="Interest Invoiced",
        readonly=True,
        copy=False,
        help="The statutory interest that ran during the plan, invoiced when it "
        "was kept.",
    )
    instalment_ids = fields.One2many(
        "dunning.plan.instalment", "plan_id", string="Schedule", copy=True
    )
    amount_total = fields.Monetary(
        string="Amount of the Plan",
        readonly=True,
        help="What the invoices of the plan had left to pay when it was agreed.",
    )
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    amount_total_company = fields.Monetary(
        string="Amount in Company Currency",
        currency_field="company_currency_id",
        compute="_compute_amount_total_company",
        store=True,
        help="The amount of the plan at the company's rate of the day it was "
        "agreed (asked for, for a request): the analysis adds plans in several "
        "currencies up in this one.",
    )
    missed_days = fields.Integer(
        string="Instalment Missed After (days)",
        readonly=True,
        copy=False,
        help="The days after its date an instalment may still be paid, as agreed "
        "(the policy's at the agreement).",
    )
    request_pause_until = fields.Date(
        string="Answer Due By",
        readonly=True,
        copy=False,
        help="A customer's request pauses its invoices until a user answers it; "
        "unanswered by this day, it goes to an accounting administrator too.",
    )
    request_overdue = fields.Boolean(readonly=True, copy=False)
    amount_paid_at_close = fields.Monetary(readonly=True, copy=False)
    amount_paid = fields.Monetary(
        compute="_compute_amount_paid",
        store=True,
        help="Paid on the invoices of the plan since it was agreed.",
    )
    amount_open = fields.Monetary(
        string="Left to Pay", compute="_compute_amount_paid", store=True
    )
    origin = fields.Selection(
        [("user", "Agreed by a User"), ("portal", "Requested on the Portal")],
        default="user",
        required=True,
        readonly=True,
    )
    date_start = fields.Date(string="Agreed On", readonly=True, copy=False)
    date_end = fields.Date(
        string="Last Instalment", compute="_compute_date_end", store=True
    )
    date_closed = fields.Date(string="Closed On", readonly=True, copy=False)
    close_reason = fields.Char(readonly=True, copy=False)

    _name_unique = models.UniqueIndex(
        "(company_id, name) WHERE name != '/'", "A plan's number is unique."
    )

    # ------------------------------------------------------------------
    # Computes and constraints
    # ------------------------------------------------------------------

    @api.depends("move_ids.dunning_policy_id")
    def _compute_policy_id(self):
        for plan in self:
            plan.policy_id = plan.move_ids[:1].dunning_policy_id

    @api.depends("amount_total", "currency_id", "date_start", "create_date")
    def _compute_amount_total_company(self):
        for plan in self:
            day = plan.date_start or (plan.create_date and plan.create_date.date())
            plan.amount_total_company = plan.currency_id._convert(
                plan.amount_total,
                plan.company_id.currency_id,
                plan.company_id,
                day or fields.Date.context_today(plan),
            )

    @api.depends(
        "state", "amount_total", "amount_paid_at_close", "move_ids.amount_residual"
    )
    def _compute_amount_paid(self):
        for plan in self:
            if plan.state in CLOSED_STATES:
                # What the plan brought in while it ran, as it stood when it
                # ended: payments made later are not the plan's.
                plan.amount_paid = plan.amount_paid_at_close
                plan.amount_open = plan.amount_total - plan.amount_paid_at_close
                continue
            open_now = sum(plan.move_ids.mapped("amount_residual"))
            if plan.state in ("draft", "requested"):
                plan.amount_paid = 0.0
                plan.amount_open = open_now
                continue
            paid = min(max(plan.amount_total - open_now, 0.0), plan.amount_total)
            plan.amount_paid = paid
            plan.amount_open = plan.amount_total - paid

    @api.depends("instalment_ids.date")
    def _compute_date_end(self):
        for plan in self:
            plan.date_end = max(plan.instalment_ids.mapped("date"), default=False)

    @api.constrains("instalment_count", "interval_months")
    def _check_schedule_parameters(self):
        for plan in self:
            if plan.instalment_count < 1 or plan.interval_months < 1:
                raise ValidationError(
                    self.env._(
                        "A payment plan has at least one instalment, at least a "
                        "month apart."
                    )
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_protected(set(vals) - {"name"} - PLAN_CREATE_FIELDS)
        return super().create(vals_list)

    def write(self, vals):
        self._check_protected(set(vals))
        return super().write(vals)

    def _check_protected(self, names):
        """What a plan is (its customer, invoices, amount, state) changes through
        its actions only, never by a plain write or an import."""
        if not self.env.su and names & PLAN_PROTECTED_FIELDS:
            raise AccessError(
                self.env._(
                    "A payment plan's customer, invoices, amount and state change "
                    "through its buttons only (agree, cancel, approve, refuse)."
                )
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        if any(plan.state != "draft" for plan in self):
            raise UserError(
                self.env._(
                    "Only a draft payment plan can be deleted; cancel a running one."
                )
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    @api.onchange("instalment_count", "first_date", "interval_months")
    def _onchange_schedule_parameters(self):
        if self.state == "draft" and self.first_date and self.instalment_count > 0:
            self.instalment_ids = [Command.clear()] + [
                Command.create(values) for values in self._even_schedule()
            ]

    def action_compute_schedule(self):
        """Split the amount evenly over the instalments, a month (or the
        interval) apart from the first date; the amounts and dates stay
        editable."""
        for plan in self:
            plan._check_draft()
            if plan.state == "requested":
                plan._drop_paid()
            plan.instalment_ids = [Command.clear()] + [
                Command.create(values) for values in plan._even_schedule()
            ]
        return True

    def action_agree(self):
        """The customer agreed: the plan runs, its invoices get no dunning, and
        the customer receives the schedule."""
        self._check_user()
        today = self.env["account.move"]._dunning_today()
        for plan in self:
            plan._check_draft()
            if plan.state == "requested":
                plan._follow_payments()
            plan._check_can_agree(today)
            if plan.state == "requested":
                plan._close_request(self.env._("Approved"))
            plan.sudo().write(
                {
                    "name": plan._number(),
                    "state": "running",
                    "date_start": today,
                    "missed_days": plan.policy_id.plan_missed_days,
                }
            )
            # The amount agreed, fixed from now on.
            plan.sudo().amount_total = sum(plan.move_ids.mapped("amount_residual"))
            plan.move_ids._dunning_block(
                plan._hold_until(),
                "plan",
                self.env._(
                    "Payment plan %(plan)s agreed: %(count)s instalments, %(total)s",
                    plan=plan.name,
                    count=len(plan.instalment_ids),
                    total=plan.currency_id.format(plan.amount_total),
                ),
            )
            plan._tell_customer("agreed")
        return True

    def action_cancel(self):
        """Call the plan off (the customer wants to pay otherwise, it was agreed
        by mistake), or refuse the customer's request: its invoices go back to
        dunning where they stood; a customer who asked is told."""
        self._check_user()
        today = self.env["account.move"]._dunning_today()
        for plan in self.filtered(
            lambda p: p.state in ("draft", "requested", "running")
        ):
            running = plan.state == "running"
            if plan.state == "requested":
                plan._end_request_pause(self.env._("Payment plan request refused"))
                plan._close_request(self.env._("Refused"))
                plan._close(
                    "refused", today, self.env._("Refused by %s", self.env.user.name)
                )
                plan._tell_customer("refused")
                continue
            plan._close(
                "cancelled", today, self.env._("Cancelled by %s", self.env.user.name)
            )
            if running:
                plan._release(
                    self.env._(
                        "Payment plan %(plan)s cancelled by %(user)s: dunning resumes",
                        plan=plan.name,
                        user=self.env.user.name,
                    )
                )
        return True

    def action_view_invoices(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Invoices of %s", self.name),
            "res_model": "account.move",
            "view_mode": "list,form",
            "domain": [("id", "in", self.move_ids.ids)],
            "context": {"create": False},
        }

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    @api.model
    def _prepare_for_moves(self, moves):
        """The values of a draft plan for ``moves``; a clear error when they
        cannot share one."""
        _ = self.env._
        moves._dunning_check_actionable()._dunning_check_in_house()
        not_invoices = moves.filtered(lambda m: m.move_type not in DUNNED_MOVE_TYPES)
        if not_invoices:
            raise UserError(_("A payment plan is for customer invoices only."))
        if len(moves.commercial_partner_id) != 1:
            raise UserError(
                _("A payment plan is for one customer: select the invoices of one.")
            )
        asked = self.sudo().search(
            [("move_ids", "in", moves.ids), ("state", "=", "requested")]
        )
        if asked:
            raise UserError(
                _(
                    "The customer asked for a payment plan for these invoices "
                    "(%s): approve or refuse it first.",
                    ", ".join(asked.mapped("display_name")),
                )
            )
        if len(moves.dunning_policy_id) > 1:
            raise UserError(
                _(
                    "A payment plan is for invoices under one dunning policy: these "
                    "are under %s.",
                    ", ".join(moves.dunning_policy_id.mapped("name")),
                )
            )
        paid = moves.filtered(lambda move: move._dunning_charges_only())
        if paid:
            raise UserError(
                _(
                    "%s: paid, only the late-payment charges on it are open. A "
                    "payment plan is for invoices still to be paid: register the "
                    "payment of the charges, or waive them.",
                    ", ".join(paid.mapped("name")),
                )
            )
        if len(moves.currency_id) != 1 or len(moves.company_id) != 1:
            raise UserError(
                _(
                    "A payment plan is in one currency and one company: select "
                    "invoices that share them."
                )
            )
        return {
            "company_id": moves.company_id.id,
            "partner_id": moves.commercial_partner_id.id,
            "currency_id": moves.currency_id.id,
            "move_ids": [Command.set(moves.ids)],
            "amount_total": sum(moves.mapped("amount_residual")),
        }

    def _check_user(self):
        self.env["account.move"]._dunning_check_group(
            "account.group_account_invoice",
            self.env._("Only invoicing users may agree on or cancel a payment plan."),
        )
        self.check_access("write")

    def _check_schedule_open(self):
        """The schedule of an agreed plan does not change."""
        if any(plan.state not in ("draft", "requested") for plan in self):
            raise UserError(
                self.env._(
                    "The schedule of an agreed plan does not change: cancel the plan "
                    "and agree on a new one."
                )
            )

    def _check_draft(self):
        if self.state not in ("draft", "requested"):
            raise UserError(
                self.env._("The payment plan %s is no longer a draft.", self.name)
            )

    def _check_can_agree(self, today):
        """Refuse an agreement that the schedule or the invoices do not allow."""
        _ = self.env._
        self.ensure_one()
        moves = self.move_ids
        if not moves:
            raise UserError(_("The payment plan has no invoice."))
        moves._dunning_check_actionable()._dunning_check_in_house()
        instalments = self.instalment_ids.sorted(lambda i: (i.date, i.sequence))
        if not instalments:
            raise UserError(_("Compute or enter the schedule first."))
        if any(not i.date or i.amount <= 0 for i in instalments):
            raise UserError(_("Every instalment has a date and an amount above zero."))
        if instalments[0].date < today:
            raise UserError(_("The first instalment cannot be in the past."))
        if len(set(instalments.mapped("date"))) != len(instalments):
            raise UserError(_("Two instalments cannot fall on the same day."))
        total = sum(moves.mapped("amount_residual"))
        scheduled = sum(instalments.mapped("amount"))
        if float_compare(
            scheduled, total, precision_rounding=self.currency_id.rounding
        ):
            raise UserError(
                _(
                    "The instalments add up to %(scheduled)s; the invoices have "
                    "%(total)s left to pay. Make them equal.",
                    scheduled=self.currency_id.format(scheduled),
                    total=self.currency_id.format(total),
                )
            )

    def _next_instalment(self):
        """The first instalment not paid in full (the portal shows it)."""
        self.ensure_one()
        return self.instalment_ids.filtered(lambda i: i.state != "paid")[:1]

    def _number(self):
        """Self's number: given once, when agreed or asked for."""
        self.ensure_one()
        if self.name and self.name != "/":
            return self.name
        return self.env["ir.sequence"].sudo().next_by_code("dunning.plan") or "/"

    def _hold_until(self):
        """The date the pause of the plan's invoices shows: the last day the last
        instalment may be paid. Only the plan ends it, kept or broken."""
        # The day after the last day to pay: the pause holds through that day.
        return fields.Date.add(self.date_end, days=self.missed_days + 1)

    def _close(self, state, today, reason):
        """End self in ``state`` on ``today``, its figures frozen as they stand."""
        self.ensure_one()
        paid = self.amount_total if state == "kept" else self.amount_paid
        self.sudo().write(
            {
                "state": state,
                "date_closed": today,
                "close_reason": reason,
                "amount_paid_at_close": paid,
            }
        )

    def _record_on_invoices(self, reason, moves=None):
        return (moves or self.move_ids)._dunning_record("plan", reason)

    def _release(self, reason, stop_clock=True):
        """Give the plan's invoices back to dunning: the pause of the plan ends
        where it still holds. With ``stop_clock`` (a plan broken or called off),
        the days under the plan do not count toward the next level: dunning
        resumes where it stood on the day the plan was agreed, one level at a
        time, rather than at the level the invoice's age now warrants."""
        self.ensure_one()
        held = self.move_ids.filtered(lambda m: m.dunning_block_reason == "plan")
        if stop_clock and self.date_start and self.date_closed:
            days = max((self.date_closed - self.date_start).days, 0)
            for move in held:
                move._dunning_write(
                    {"dunning_clock_days": move.dunning_clock_days + days}
                )
        held._dunning_unblock(reason)

    def _dunning_recipient(self):
        """Who receives the plan's mails: the reminders' recipient (templates)."""
        self.ensure_one()
        return self.move_ids[:1]._dunning_recipient() or self.partner_id

    def _tell_customer(self, what, instalment=None):
        """Send the customer the mail of ``what`` (see PLAN_TEMPLATES) from the
        plan's thread."""
        self.ensure_one()
        template = self.env.ref(PLAN_TEMPLATES[what], raise_if_not_found=False)
        if not template:
            return False
        return self.with_context(
            dunning_instalment_id=instalment.id if instalment else False
        ).message_post_with_source(
            template,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

    @api.private
    def dunning_instalment(self):
        """The instalment a plan mail speaks of (templates)."""
        instalment_id = self.env.context.get("dunning_instalment_id")
        return self.env["dunning.plan.instalment"].browse(instalment_id)
