"""How each customer pays, and the segment it puts the customer in.

The daily run (``dunning.run._refresh_behaviour``) reads, per customer and
company, the invoices due within the company's period (12 months) and those still
open: the days late weighted by amount, the share paid late, the promises and
plans broken, the disputes, the amount overdue now. From these a segment
(``SEGMENTS``), by the thresholds of the company's settings, with the reason in
words; a customer whose segment changes leaves a ``dunning.segment.change`` for
the analysis. The policy rules (dunning_policy_rule.py) choose a customer's policy
by its segment."""

from odoo import api, fields, models
from odoo.tools import SQL, float_round
from odoo.tools.misc import format_amount

SEGMENTS = [
    ("new", "New"),
    ("reliable", "Reliable"),
    ("usual", "Usual"),
    ("late", "Late"),
    ("chronic", "Chronic"),
]


def segment_of(figures, limits):
    """The segment key of a customer's ``figures`` (a dict with ``invoices``,
    ``days_late``, ``late_share`` in percent, ``broken``) under ``limits`` (a
    dict of the company's thresholds). Pure: the rules in one place, tested on
    their own."""
    if figures["invoices"] < limits["min_invoices"]:
        return "new"
    if (
        figures["days_late"] >= limits["chronic_days"]
        or figures["late_share"] >= limits["chronic_share"]
        or figures["broken"] >= limits["chronic_broken"]
    ):
        return "chronic"
    if (
        figures["days_late"] >= limits["late_days"]
        or figures["late_share"] >= limits["late_share"]
        or figures["broken"] >= 1
    ):
        return "late"
    if (
        figures["days_late"] <= limits["reliable_days"]
        and figures["late_share"] <= limits["reliable_share"]
    ):
        return "reliable"
    return "usual"


class DunningBehaviour(models.Model):
    _name = "dunning.behaviour"
    _description = "Customer Payment Behaviour"
    # Who owes most first: the customers to look at.
    _order = "company_id, amount_overdue desc, partner_id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    date = fields.Date(
        string="Figures Of",
        readonly=True,
        help="The day the run last found its figures changed.",
    )
    invoice_count = fields.Integer(
        string="Invoices",
        readonly=True,
        help="Invoices due within the period, and older ones still open.",
    )
    late_count = fields.Integer(string="Paid Late", readonly=True)
    late_share = fields.Float(
        string="Share Paid Late (%)",
        readonly=True,
        digits=(5, 1),
        aggregator="avg",
        help="Invoices paid after their due date, or overdue now, of all its "
        "invoices of the period.",
    )
    days_late = fields.Float(
        string="Days Late (by Amount)",
        readonly=True,
        digits=(6, 1),
        aggregator="avg",
        help="The days between due date and payment, averaged with each "
        "invoice's amount as its weight; an invoice still open counts the days "
        "until today.",
    )
    broken_count = fields.Integer(
        string="Broken Promises",
        readonly=True,
        help="Promises to pay not kept, and payment plans broken, in the period.",
    )
    dispute_count = fields.Integer(string="Disputes", readonly=True)
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    amount_overdue = fields.Monetary(
        string="Overdue Now", currency_field="company_currency_id", readonly=True
    )
    segment = fields.Selection(SEGMENTS, readonly=True, index=True)
    segment_since = fields.Date(readonly=True)
    reason = fields.Char(string="Why", compute="_compute_reason")

    _partner_company_unique = models.UniqueIndex(
        "(partner_id, company_id)", "A customer has one payment behaviour a company."
    )

    # ------------------------------------------------------------------
    # Reading the history
    # ------------------------------------------------------------------

    @api.model
    def _limits(self, company):
        return {
            "min_invoices": company.dunning_segment_min_invoices,
            "reliable_days": company.dunning_segment_reliable_days,
            "reliable_share": company.dunning_segment_reliable_share,
            "late_days": company.dunning_segment_late_days,
            "late_share": company.dunning_segment_late_share,
            "chronic_days": company.dunning_segment_chronic_days,
            "chronic_share": company.dunning_segment_chronic_share,
            "chronic_broken": company.dunning_segment_chronic_broken,
        }

    @api.model
    def _read_figures(self, company, today, partner_ids=None):
        """{partner id: figures} of the customers of ``company`` with invoices
        in the period, in one query each for the invoices and the events."""
        # The query reads the tables as they are in the database.
        self.env.flush_all()
        start = fields.Date.subtract(today, months=company.dunning_segment_months)
        partner_filter = (
            SQL("AND m.commercial_partner_id = ANY(%s)", list(partner_ids))
            if partner_ids is not None
            else SQL()
        )
        # Each part of an invoice paid counts the days from the due date to its
        # own reconciliation, weighted by its amount; what is still open counts
        # the days until today. An invoice's days, weighted by its amount, make
        # the customer's.
        rows = self.env.execute_query(
            SQL(
                """
                WITH invoices AS (
                    SELECT m.id,
                           m.commercial_partner_id AS partner_id,
                           m.invoice_date_due AS due,
                           m.payment_state IN ('not_paid', 'partial') AS open,
                           ABS(m.amount_total_signed) AS amount,
                           ABS(m.amount_residual_signed) AS residual
                      FROM account_move m
                     WHERE m.company_id = %(company)s
                       AND m.state = 'posted'
                       AND m.move_type IN ('out_invoice', 'out_receipt')
                       AND m.dunning_origin_id IS NULL
                       AND m.payment_state NOT IN
                           ('reversed', 'invoicing_legacy', 'blocked')
                       AND m.invoice_date_due IS NOT NULL
                       AND m.invoice_date_due < %(today)s
                       AND (m.invoice_date_due >= %(start)s
                            OR m.payment_state IN ('not_paid', 'partial'))
                       %(partner_filter)s
                ), settled AS (
                    SELECT i.id,
                           SUM(p.amount) AS paid,
                           SUM(p.amount * GREATEST(p.max_date - i.due, 0)) AS days
                      FROM invoices i
                      JOIN account_move_line l
                        ON l.move_id = i.id AND l.display_type = 'payment_term'
                      JOIN account_partial_reconcile p ON p.debit_move_id = l.id
                     GROUP BY i.id
                ), lateness AS (
                    SELECT i.partner_id, i.amount, i.open, i.residual,
                           COALESCE(
                               (COALESCE(s.days, 0)
                                + CASE WHEN i.open
                                       THEN i.residual * (%(today)s - i.due)
                                       ELSE 0 END)
                               / NULLIF(COALESCE(s.paid, 0)
                                        + CASE WHEN i.open THEN i.residual
                                               ELSE 0 END, 0),
                               0
                           ) AS days
                      FROM invoices i
                      LEFT JOIN settled s ON s.id = i.id
                )
                SELECT partner_id,
                       COUNT(*),
                       COUNT(*) FILTER (WHERE days > 0),
                       COALESCE(SUM(amount * days) / NULLIF(SUM(amount), 0), 0),
                       COALESCE(SUM(residual) FILTER (WHERE open), 0)
                  FROM lateness
                 GROUP BY partner_id
                """,
                company=company.id,
                today=today,
                start=start,
                partner_filter=partner_filter,
            )
        )
        figures = {
            partner_id: {
                "invoices": count,
                "late": late,
                "late_share": 100.0 * late / count if count else 0.0,
                "days_late": float(days),
                "overdue": float(overdue),
                "broken": 0,
                "disputes": 0,
            }
            for partner_id, count, late, days, overdue in rows
        }
        # A customer whose invoices are not due yet has no history: it is New,
        # and the rules choose its policy all the same (its reminders before the
        # due date are the chosen policy's). So is one whose history left the
        # period.
        Move = self.env["account.move"].sudo()
        waiting = Move._read_group(
            [
                ("company_id", "=", company.id),
                ("state", "=", "posted"),
                ("move_type", "in", ("out_invoice", "out_receipt")),
                ("dunning_origin_id", "=", False),
                ("payment_state", "in", ("not_paid", "partial")),
                *(
                    [("commercial_partner_id", "in", list(partner_ids))]
                    if partner_ids is not None
                    else []
                ),
            ],
            ["commercial_partner_id"],
        )
        known = self.sudo().search(
            [("company_id", "=", company.id)]
            + (
                [("partner_id", "in", list(partner_ids))]
                if partner_ids is not None
                else []
            )
        )
        for partner in [partner for [partner] in waiting] + list(known.partner_id):
            figures.setdefault(partner.id, self._no_history())
        if not figures:
            return figures
        # A promise or a dispute covers the invoices of one answer: counted once
        # a day. A broken payment plan is a broken promise too.
        events = self.env.execute_query(
            SQL(
                """
                SELECT m.commercial_partner_id,
                       COUNT(DISTINCT e.date) FILTER (WHERE e.promise_broken),
                       COUNT(DISTINCT e.date) FILTER (WHERE e.kind = 'dispute')
                  FROM dunning_event e
                  JOIN account_move m ON m.id = e.move_id
                 WHERE e.company_id = %(company)s
                   AND e.date >= %(start)s AND e.date <= %(today)s
                   AND (e.promise_broken OR e.kind = 'dispute')
                   AND m.commercial_partner_id = ANY(%(partners)s)
                 GROUP BY m.commercial_partner_id
                """,
                company=company.id,
                start=start,
                today=today,
                partners=list(figures),
            )
        )
        for partner_id, broken, disputes in events:
            figures[partner_id]["broken"] += broken
            figures[partner_id]["disputes"] = disputes
        plans = (
            self.env["dunning.plan"]
            .sudo()
            ._read_group(
                [
                    ("company_id", "=", company.id),
                    ("state", "=", "broken"),
                    ("date_closed", ">=", start),
                    ("partner_id", "in", list(figures)),
                ],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner, count in plans:
            figures[partner.id]["broken"] += count
        return figures

    @api.model
    def _no_history(self):
        return {
            "invoices": 0,
            "late": 0,
            "late_share": 0.0,
            "days_late": 0.0,
            "overdue": 0.0,
            "broken": 0,
            "disputes": 0,
        }

    @api.depends(
        "invoice_count",
        "late_count",
        "days_late",
        "broken_count",
        "dispute_count",
        "amount_overdue",
    )
    def _compute_reason(self):
        """The figures behind the segment, in the reader's language."""
        _ = self.env._
        for behaviour in self:
            company = behaviour.company_id
            parts = [
                _(
                    "%(late)s of %(count)s invoices paid late",
                    late=behaviour.late_count,
                    count=behaviour.invoice_count,
                ),
                _("%s days late on average (by amount)", behaviour.days_late),
            ]
            if behaviour.broken_count:
                parts.append(_("broken promises: %s", behaviour.broken_count))
            if behaviour.dispute_count:
                parts.append(_("disputes: %s", behaviour.dispute_count))
            if behaviour.amount_overdue:
                parts.append(
                    _(
                        "%s overdue now",
                        format_amount(
                            self.env, behaviour.amount_overdue, company.currency_id
                        ),
                    )
                )
            if behaviour.invoice_count < company.dunning_segment_min_invoices:
                parts.insert(
                    0,
                    _(
                        "Fewer than %s invoices in the period",
                        company.dunning_segment_min_invoices,
                    ),
                )
            behaviour.reason = "; ".join(parts)

    @api.model
    def _changed(self, behaviour, vals):
        """Whether ``vals`` say more than ``behaviour`` already does (its date
        aside): a customer whose figures stand is not written again."""
        for name, value in vals.items():
            if name == "date":
                continue
            current = behaviour[name]
            if isinstance(value, float):
                if round(current - value, 2):
                    return True
            elif current != value:
                return True
        return False

    @api.model
    def _refresh(self, company, today, partner_ids=None):
        """Read the behaviour of the customers of ``company`` (of
        ``partner_ids`` only, when given) as on ``today``, store it, log the
        segments that changed, and choose each customer's policy by the rules.
        Returns the partners whose segment changed."""
        figures = self._read_figures(company, today, partner_ids)
        limits = self._limits(company)
        existing = {
            behaviour.partner_id.id: behaviour
            for behaviour in self.sudo().search(
                [
                    ("company_id", "=", company.id),
                    ("partner_id", "in", list(figures)),
                ]
            )
        }
        to_create, changes = [], []
        for partner_id, values in figures.items():
            segment = segment_of(values, limits)
            vals = {
                "date": today,
                "invoice_count": values["invoices"],
                "late_count": values["late"],
                "late_share": float_round(values["late_share"], 1),
                "days_late": float_round(values["days_late"], 1),
                "broken_count": values["broken"],
                "dispute_count": values["disputes"],
                "amount_overdue": values["overdue"],
                "segment": segment,
            }
            behaviour = existing.get(partner_id)
            if not behaviour:
                to_create.append(
                    {
                        **vals,
                        "partner_id": partner_id,
                        "company_id": company.id,
                        "segment_since": today,
                    }
                )
                changes.append((partner_id, False, segment))
                continue
            if behaviour.segment != segment:
                changes.append((partner_id, behaviour.segment, segment))
                vals["segment_since"] = today
            elif not self._changed(behaviour, vals):
                continue
            behaviour.write(vals)
        self.sudo().create(to_create)
        self.env["dunning.segment.change"].sudo().create(
            [
                {
                    "partner_id": partner_id,
                    "company_id": company.id,
                    "date": today,
                    "segment_from": before,
                    "segment_to": after,
                }
                for partner_id, before, after in changes
            ]
        )
        self.env["dunning.policy.rule"]._assign(
            company,
            self.sudo().search(
                [("company_id", "=", company.id), ("partner_id", "in", list(figures))]
            ),
        )
        return self.env["res.partner"].browse([change[0] for change in changes])


class DunningSegmentChange(models.Model):
    """A customer moving from one segment to another: the analysis shows how
    customers move between them."""

    _name = "dunning.segment.change"
    _description = "Customer Segment Change"
    _order = "date desc, id desc"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    date = fields.Date(required=True, readonly=True)
    segment_from = fields.Selection(
        SEGMENTS, string="From", readonly=True, help="Empty: first read."
    )
    segment_to = fields.Selection(SEGMENTS, string="To", required=True, readonly=True)
