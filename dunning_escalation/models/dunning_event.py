from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, pdf

from .account_move import PAID_STATES
from .account_move import SETTLED_STATES
from .account_move_charges import PUT_OFF_STATES

EVENT_KINDS = [
    ("email", "Email"),
    ("sms", "SMS"),
    ("letter", "Letter"),
    ("call", "Phone Call"),
    ("fee", "Fee"),
    ("interest", "Interest"),
    ("handoff", "Handoff"),
    ("block", "Blocked"),
    ("unblock", "Unblocked"),
    ("dispute", "Dispute"),
    ("promise", "Promise to Pay"),
    ("paid", "Paid"),
    ("skipped", "Skipped"),
    ("recall", "Recalled from Agency"),
    ("write_off", "Written Off"),
    ("reply", "Customer Reply"),
    ("plan", "Payment Plan"),
    ("collect", "Charged Saved Payment Method"),
]

# What a user may fill in on the history, by hand.
USER_WRITABLE_FIELDS = {"tracking_ref"}

# Kinds that are steps of a level: each happens at most once per invoice and level.
STEP_KINDS = ("email", "sms", "letter", "call", "fee", "interest", "handoff", "skipped")


class DunningEvent(models.Model):
    _name = "dunning.event"
    _description = "Dunning Event"
    _order = "date desc, id desc"
    _rec_name = "kind"

    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        required=True,
        index=True,
        ondelete="cascade",
    )
    # The company and the converted amount are the invoice's and the event's date's,
    # set when the event is written (see _company_values): the history records them
    # as they were then (an invoice reset to draft and moved to another company or
    # currency keeps its past events as they were), and a computed field cost a
    # recomputation per event, thousands a run.
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", index=True)
    level_id = fields.Many2one(
        "dunning.level", string="Level", index=True, ondelete="restrict"
    )
    kind = fields.Selection(EVENT_KINDS, required=True)
    state = fields.Selection(
        [
            ("done", "Done"),
            ("waiting", "Waiting"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        default="done",
        help="Waiting: a charge the law puts off (the consumer's waiting period), "
        "taken on its retry date. Failed: not done, for the reason given; a charge "
        "is retried on its retry date, a message when the level is taken again. "
        "Cancelled: refused for good, waived, or a handoff since recalled.",
    )
    retry_date = fields.Date(
        readonly=True,
        help="When the run takes a waiting or failed charge again.",
    )
    thanks_pending = fields.Boolean(
        readonly=True,
        help="Paid while late-payment charges on the invoice were open: the "
        "thank-you goes once they are settled.",
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    currency_id = fields.Many2one(related="move_id.currency_id")
    amount = fields.Monetary(currency_field="currency_id")
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    amount_company = fields.Monetary(
        string="Amount in Company Currency",
        currency_field="company_currency_id",
        readonly=True,
        help="The amount converted at the company's rate of the event's date, so "
        "that the analysis adds up invoices in different currencies.",
    )
    reason = fields.Text()
    template_name = fields.Char(
        string="Template", readonly=True, help="The mail or SMS template sent."
    )
    mail_message_id = fields.Many2one(
        "mail.message", string="Message", ondelete="set null"
    )
    attachment_id = fields.Many2one(
        "ir.attachment", string="Letter (PDF)", ondelete="set null"
    )
    portal_answer = fields.Selection(
        [
            ("pay", "Paying Now"),
            ("paid", "Says Already Paid"),
            ("dispute", "Disputes"),
        ],
        string="Customer's Answer",
        readonly=True,
        help="The answer the customer gave on the portal that paused dunning: "
        "each kind pauses an invoice once.",
    )
    variant_id = fields.Many2one(
        "dunning.level.variant",
        string="Variant",
        readonly=True,
        index="btree_not_null",
        # A variant that was sent is archived, not deleted: its results stay.
        ondelete="restrict",
        help="The variant of the level's message the customer got (A/B test).",
    )
    transaction_id = fields.Many2one(
        "payment.transaction",
        string="Payment Transaction",
        readonly=True,
        ondelete="set null",
        help="The charge of the customer's saved payment method.",
        # Readable by the invoicing users (account_payment's access).
        groups="account.group_account_invoice",
    )
    promise_broken = fields.Boolean(
        readonly=True,
        help="The pause of a promise to pay ended with the invoice still unpaid "
        "(the customer's payment behaviour counts it).",
    )
    letter_registered = fields.Boolean(string="Registered Letter", readonly=True)
    letter_printed = fields.Boolean(string="Printed", readonly=True)
    tracking_ref = fields.Char(
        string="Tracking Number",
        help="The postal tracking number of a registered letter.",
    )
    fee_move_id = fields.Many2one(
        "account.move",
        string="Charge Invoice",
        ondelete="set null",
        help="The invoice that booked this fee or interest.",
    )

    paid_date = fields.Date(
        compute="_compute_recovery",
        store=True,
        help="When the invoice was settled in full, if it was.",
    )
    days_to_pay = fields.Integer(
        string="Days to Pay",
        compute="_compute_recovery",
        store=True,
        aggregator="avg",
        help="Days from this step to full payment of the invoice.",
    )
    recovery = fields.Selection(
        [
            ("07", "Paid within 7 days"),
            ("14", "Paid within 14 days"),
            ("30", "Paid within 30 days"),
            ("later", "Paid later"),
            ("open", "Not paid"),
        ],
        compute="_compute_recovery",
        store=True,
        help="How soon after this step the invoice was paid.",
    )

    charge_outcome = fields.Selection(
        [
            ("open", "Charged, Open"),
            ("paid", "Charged, Paid"),
            ("waived", "Waived"),
            ("waiting", "Not Charged Yet"),
            ("refused", "Not Charged"),
        ],
        string="Charge Outcome",
        compute="_compute_charge_outcome",
        store=True,
        help="What became of a fee or interest: still owed, paid, waived after it "
        "was charged, put off (the law's waiting period, a rate to add), or never "
        "charged (the law or the policy did not allow it).",
    )
    task_id = fields.Many2one(
        "project.task",
        string="Collection Task",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    agency_outcome = fields.Selection(
        [
            ("with_agency", "With the Agency"),
            ("recovered", "Recovered"),
            ("recalled", "Recalled"),
            ("written_off", "Written Off"),
        ],
        string="Agency Outcome",
        compute="_compute_agency_outcome",
        store=True,
        help="Where a handed-over invoice stands: still with the agency, paid, taken "
        "back in-house, or written off.",
    )

    # One charge of a saved payment method an invoice a day, whatever runs.
    _collect_once_a_day = models.UniqueIndex(
        "(move_id, date) WHERE kind = 'collect'",
        "This invoice was charged today already.",
    )
    # A step cancelled since (a handoff recalled) may be taken again.
    _step_once = models.UniqueIndex(
        f"(move_id, level_id, kind) WHERE kind IN {STEP_KINDS} "
        "AND state != 'cancelled'",
        "This step was already taken for this invoice at this level.",
    )

    @api.depends("date", "move_id.payment_state", "move_id.amount_residual")
    def _compute_recovery(self):
        for event in self:
            move = event.move_id
            paid = move.payment_state in SETTLED_STATES
            dates = [date for date, _amount in move._dunning_payments()] if paid else []
            event.paid_date = max(dates) if dates else False
            if not event.paid_date:
                event.days_to_pay = 0
                event.recovery = "open"
                continue
            days = max((event.paid_date - event.date).days, 0)
            event.days_to_pay = days
            event.recovery = next(
                (
                    bucket
                    for bucket, limit in (("07", 7), ("14", 14), ("30", 30))
                    if days <= limit
                ),
                "later",
            )

    def _read_group_select(self, aggregate_spec, query):
        """The average days to pay counts the steps whose invoice was paid, not
        the unpaid ones as paid on the day."""
        if aggregate_spec == "days_to_pay:avg":
            return SQL(
                "AVG(%s) FILTER (WHERE %s IS NOT NULL)",
                self._field_to_sql(self._table, "days_to_pay", query),
                self._field_to_sql(self._table, "paid_date", query),
            )
        return super()._read_group_select(aggregate_spec, query)

    @api.model_create_multi
    def create(self, vals_list):
        return super().create(self._company_values(vals_list))

    def write(self, vals):
        """The history is read-only; only a registered letter's tracking number is
        filled in by hand. Everything else is written by the engine."""
        if not self.env.su and set(vals) - USER_WRITABLE_FIELDS:
            raise AccessError(
                self.env._(
                    "The dunning history cannot be edited; only the tracking number "
                    "of a registered letter can be filled in."
                )
            )
        if {"move_id", "amount", "date"} & set(vals):
            company_values = self._company_values(
                [
                    {
                        "move_id": event.move_id.id,
                        "amount": event.amount,
                        "date": event.date,
                        **vals,
                    }
                    for event in self
                ]
            )
            for event, values in zip(self, company_values, strict=True):
                super(DunningEvent, event).write(
                    {
                        **vals,
                        "company_id": values["company_id"],
                        "amount_company": values["amount_company"],
                    }
                )
            return True
        return super().write(vals)

    @api.model
    def _prepare_values(self, move, kind, date, level=False, partner=False, **values):
        """The values of an event of ``kind`` on the invoice ``move`` on ``date``:
        the one place that builds them. ``level`` is the level the step belongs to
        (none for what is no level's step); ``partner`` whom it went to, else the
        customer."""
        return {
            "move_id": move.id,
            "partner_id": (partner or move.commercial_partner_id).id,
            "level_id": level.id if level else False,
            "kind": kind,
            "date": date,
            **values,
        }

    @api.model
    def _company_values(self, vals_list):
        """``vals_list`` with the company of each event's invoice and its amount in
        the company's currency, at the rate of the event's date."""
        moves = self.env["account.move"].browse(
            {vals["move_id"] for vals in vals_list if vals.get("move_id")}
        )
        moves.mapped("company_id.currency_id")
        result = []
        for vals in vals_list:
            move = moves.browse(vals.get("move_id"))
            company = move.company_id
            vals = {**vals, "company_id": company.id}
            # Left out when there is no amount: converting a monetary value to
            # store it costs a lookup of its currency per event.
            amount = vals.get("amount")
            if amount:
                vals["amount_company"] = move.currency_id._convert(
                    amount,
                    company.currency_id,
                    company,
                    vals.get("date") or fields.Date.context_today(self),
                )
            elif "amount" in vals:
                vals["amount_company"] = 0.0
            result.append(vals)
        return result

    @api.depends("kind", "state", "retry_date", "fee_move_id.payment_state")
    def _compute_charge_outcome(self):
        for event in self:
            if event.kind not in ("fee", "interest"):
                event.charge_outcome = False
            elif event.state in PUT_OFF_STATES and event.retry_date:
                event.charge_outcome = "waiting"
            elif not event.fee_move_id:
                event.charge_outcome = "refused"
            elif event.state == "cancelled":
                event.charge_outcome = "waived"
            elif event.fee_move_id.payment_state in PAID_STATES:
                event.charge_outcome = "paid"
            else:
                event.charge_outcome = "open"

    @api.depends(
        "kind",
        "state",
        "move_id.payment_state",
        "move_id.dunning_handed_off",
        "task_id.stage_id",
    )
    def _compute_agency_outcome(self):
        written_off = self.env.ref(
            "dunning_escalation.project_task_stage_written_off",
            raise_if_not_found=False,
        )
        for event in self:
            move = event.move_id
            if event.kind != "handoff":
                event.agency_outcome = False
            elif event.state == "cancelled":
                event.agency_outcome = "recalled"
            elif move.payment_state in SETTLED_STATES:
                event.agency_outcome = "recovered"
            elif written_off and event.task_id.stage_id == written_off:
                event.agency_outcome = "written_off"
            elif not move.dunning_handed_off:
                event.agency_outcome = "recalled"
            else:
                event.agency_outcome = "with_agency"

    @api.model
    def _delivered_steps(self, messages, kind):
        """The steps of ``kind`` counted as delivered whose message is one of
        ``messages``: what a delivery failure reported later takes back."""
        return self.sudo().search(
            [
                ("mail_message_id", "in", messages.ids),
                ("kind", "=", kind),
                ("state", "=", "done"),
            ]
        )

    def action_print_letters(self):
        """All the letters of self in one PDF to print, marked printed."""
        self.env["account.move"]._dunning_check_group(
            "account.group_account_invoice",
            self.env._("Only invoicing users may print the dunning letters."),
        )
        letters = self.filtered(
            lambda event: event.kind == "letter" and event.attachment_id
        )
        if not letters:
            raise UserError(self.env._("Select letters that have a PDF to print."))
        attachments = letters.attachment_id.sudo()
        merged = pdf.merge_pdf([attachment.raw for attachment in attachments])
        bundle = self.env["ir.attachment"].create(
            {
                "name": self.env._("Dunning letters to print.pdf"),
                "raw": merged,
                "mimetype": "application/pdf",
            }
        )
        letters.sudo().write({"letter_printed": True})
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{bundle.id}?download=true",
            "target": "self",
        }
