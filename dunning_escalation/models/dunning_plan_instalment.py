"""The schedule of a payment plan: its instalments, paid in date order by what
the plan's invoices were paid; an agreed schedule does not change."""

from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import float_compare, float_is_zero


class DunningPlanInstalment(models.Model):
    _name = "dunning.plan.instalment"
    _description = "Payment Plan Instalment"
    _order = "plan_id, date, sequence, id"

    plan_id = fields.Many2one(
        "dunning.plan", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="plan_id.company_id", store=True)
    currency_id = fields.Many2one(related="plan_id.currency_id")
    sequence = fields.Integer(default=1)
    date = fields.Date(required=True)
    amount = fields.Monetary(required=True)
    amount_paid = fields.Monetary(compute="_compute_amount_paid", store=True)
    state = fields.Selection(
        [("open", "To Pay"), ("partial", "Partly Paid"), ("paid", "Paid")],
        compute="_compute_amount_paid",
        store=True,
    )
    reminded_due = fields.Boolean(string="Reminded Before", readonly=True, copy=False)
    reminded_late = fields.Boolean(string="Reminded After", readonly=True, copy=False)

    @api.depends("plan_id.amount_paid", "plan_id.instalment_ids.amount", "date")
    def _compute_amount_paid(self):
        """What the plan's invoices were paid goes to its instalments in date
        order: the earliest is paid first."""
        for plan in self.plan_id:
            left = plan.amount_paid
            rounding = plan.currency_id.rounding
            for instalment in plan.instalment_ids.sorted(
                lambda i: (i.date or date.max, i.sequence, i.id or 0)
            ):
                paid = min(instalment.amount, max(left, 0.0))
                left -= paid
                instalment.amount_paid = paid
                if (
                    float_compare(paid, instalment.amount, precision_rounding=rounding)
                    >= 0
                ):
                    instalment.state = "paid"
                elif float_is_zero(paid, precision_rounding=rounding):
                    instalment.state = "open"
                else:
                    instalment.state = "partial"
        for instalment in self.filtered(lambda i: not i.plan_id):
            instalment.amount_paid = 0.0
            instalment.state = "open"

    @api.model_create_multi
    def create(self, vals_list):
        plans = self.env["dunning.plan"].browse(
            [vals.get("plan_id") for vals in vals_list if vals.get("plan_id")]
        )
        plans._check_schedule_open()
        return super().create(vals_list)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_open_schedules(self):
        self.plan_id._check_schedule_open()

    def write(self, vals):
        if set(vals) & {"date", "amount", "plan_id"}:
            self.plan_id._check_schedule_open()
        return super().write(vals)


class DunningPlan(models.Model):
    _inherit = "dunning.plan"

    def _even_schedule(self):
        """The instalments of an even split of what the invoices have left to
        pay, the interval apart from the first date: amounts rounded to the
        currency, the remainder on the last."""
        self.ensure_one()
        currency = self.currency_id
        total = sum(self.move_ids.mapped("amount_residual"))
        count = self.instalment_count
        each = currency.round(total / count)
        return [
            {
                "sequence": index + 1,
                "date": self.first_date
                + relativedelta(months=self.interval_months * index),
                "amount": each
                if index < count - 1
                else currency.round(total - each * index),
            }
            for index in range(count)
        ]
