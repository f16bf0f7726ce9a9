from odoo import fields, models
from odoo.tools import SQL

from .account_move import DUNNED_MOVE_TYPES

# Age buckets of the analysis: (key, label, first day overdue of the bucket).
AGE_BUCKETS = [
    ("0_not_due", "Not Due", None),
    ("1_30", "1-30 Days", 1),
    ("31_60", "31-60 Days", 31),
    ("61_90", "61-90 Days", 61),
    ("91_plus", "Over 90 Days", 91),
]


class DunningOverdueReport(models.Model):
    """Open customer invoices by dunning level and age, in the company's currency.
    The age is counted to the user's today, read each time the analysis is opened,
    so the buckets are never stale."""

    _name = "dunning.overdue.report"
    _description = "Overdue Invoices Analysis"
    _auto = False
    _rec_name = "move_id"
    _order = "invoice_date_due, move_id"

    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    policy_id = fields.Many2one("dunning.policy", string="Policy", readonly=True)
    level_id = fields.Many2one("dunning.level", string="Level", readonly=True)
    invoice_date_due = fields.Date(string="Due Date", readonly=True)
    age_bucket = fields.Selection(
        [(key, label) for key, label, _start in AGE_BUCKETS],
        string="Age",
        readonly=True,
    )
    days_overdue = fields.Integer(readonly=True, aggregator="avg")
    amount_residual = fields.Monetary(string="Amount Due", readonly=True)
    blocked = fields.Boolean(readonly=True)
    is_charge = fields.Boolean(
        string="Late-Payment Charges",
        readonly=True,
        help="An invoice of fees or interest charged by dunning.",
    )
    handed_off = fields.Boolean(string="With Collection Agency", readonly=True)

    @property
    def _table_query(self):
        today = fields.Date.context_today(self)
        days = SQL("(%s::date - move.invoice_date_due)", today)
        bucket = SQL("CASE WHEN %s < 1 THEN '0_not_due'", days)
        for key, _label, start in reversed(AGE_BUCKETS[1:]):
            bucket = SQL("%s WHEN %s >= %s THEN %s", bucket, days, start, key)
        return SQL(
            """
            SELECT move.id AS id,
                   move.id AS move_id,
                   move.commercial_partner_id AS partner_id,
                   move.company_id,
                   company.currency_id AS currency_id,
                   move.dunning_policy_id AS policy_id,
                   move.dunning_level_id AS level_id,
                   move.invoice_date_due,
                   %(bucket)s END AS age_bucket,
                   GREATEST(%(days)s, 0) AS days_overdue,
                   move.amount_residual_signed AS amount_residual,
                   COALESCE(move.dunning_blocked_until > %(today)s, FALSE) AS blocked,
                   COALESCE(move.dunning_handed_off, FALSE) AS handed_off,
                   move.dunning_origin_id IS NOT NULL AS is_charge
              FROM account_move move
              JOIN res_company company ON company.id = move.company_id
             WHERE move.state = 'posted'
               AND move.move_type IN %(types)s
               AND move.payment_state IN ('not_paid', 'partial')
               AND move.invoice_date_due IS NOT NULL
            """,
            bucket=bucket,
            days=days,
            today=today,
            types=DUNNED_MOVE_TYPES,
        )
