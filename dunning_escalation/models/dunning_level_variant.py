"""A/B tests of a level's messages: variants of its email (and SMS) template with
weights. Each customer gets one variant of a level, chosen by a hash of the level
and the customer (tools/abtest.py), so that a rerun sends the same; the history
records which (``dunning.event.variant_id``). The variants are compared by the
share of their reminders paid within 7, 14 and 30 days, and the level says in
plain words whether one recovers more; an administrator ends the test by keeping
the winner."""

import datetime

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..tools import abtest

# The window of the verdict (days): the recovery the research measures first.
VERDICT_WINDOW = 14
WINDOWS = (7, 14, 30)
MESSAGE_KINDS = ("email", "sms")


class DunningLevelVariant(models.Model):
    _name = "dunning.level.variant"
    _description = "Dunning Level Variant (A/B Test)"
    _order = "level_id, sequence, id"
    _check_company_auto = True

    level_id = fields.Many2one(
        "dunning.level", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="level_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, help="How the analysis names it: A, B, ...")
    active = fields.Boolean(default=True)
    weight = fields.Integer(
        default=1,
        required=True,
        help="The share of the customers that get this variant, against the "
        "others' weights (1 and 1: half each).",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain=[("model", "=", "account.move")],
        help="Empty: the level's own email template (the control).",
    )
    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS Template",
        domain=[("model", "=", "account.move")],
        help="Empty: the level's own SMS template.",
    )
    sent_count = fields.Integer(string="Reminders", compute="_compute_results")
    recovered_07 = fields.Float(
        string="Paid within 7 Days (%)", compute="_compute_results", digits=(5, 1)
    )
    recovered_14 = fields.Float(
        string="Paid within 14 Days (%)", compute="_compute_results", digits=(5, 1)
    )
    recovered_30 = fields.Float(
        string="Paid within 30 Days (%)", compute="_compute_results", digits=(5, 1)
    )

    @api.constrains("weight")
    def _check_weight(self):
        if any(variant.weight < 1 for variant in self):
            raise ValidationError(
                self.env._(
                    "A variant's weight is at least 1; archive the variant to "
                    "stop sending it."
                )
            )

    def _counts(self, window, today):
        """{variant id: (reminders, recovered)} of self within ``window`` days
        (all of them when ``window`` is None). The unit is a customer reminded
        on a day (the customer is what a variant is given to: a statement of
        ten invoices is one reminder, its email and SMS too); a reminder counts
        once it is ``window`` days old, and is recovered when all its invoices
        were paid within the window."""
        self.env.flush_all()
        cutoff = today - datetime.timedelta(days=window or 0)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT variant_id,
                       COUNT(*),
                       COUNT(*) FILTER (WHERE all_paid AND slowest <= %(window)s)
                  FROM (
                      SELECT e.variant_id,
                             BOOL_AND(e.paid_date IS NOT NULL) AS all_paid,
                             MAX(e.days_to_pay) AS slowest
                        FROM dunning_event e
                        JOIN account_move m ON m.id = e.move_id
                       WHERE e.variant_id = ANY(%(variants)s)
                         AND e.kind IN %(kinds)s
                         AND e.state = 'done'
                         AND e.level_id IS NOT NULL
                         AND (%(all)s OR e.date <= %(cutoff)s)
                       GROUP BY e.variant_id, m.commercial_partner_id, e.date
                  ) AS reminder
                 GROUP BY variant_id
                """,
                variants=self._origin.ids,
                kinds=MESSAGE_KINDS,
                window=window or 0,
                all=window is None,
                cutoff=cutoff,
            )
        )
        found = {variant_id: (sent, won) for variant_id, sent, won in rows}
        # A variant being added on the form has no reminder yet.
        return {variant.id: found.get(variant._origin.id, (0, 0)) for variant in self}

    @api.depends_context("dunning_date")
    def _compute_results(self):
        today = self.env["account.move"]._dunning_today()
        totals = self._counts(None, today)
        for variant in self:
            variant.sent_count = totals[variant.id][0]
        for window in WINDOWS:
            counts = self._counts(window, today)
            for variant in self:
                sent, won = counts[variant.id]
                variant[f"recovered_{window:02d}"] = 100.0 * won / sent if sent else 0.0

    def action_keep(self):
        """End the test of self's level by keeping self: its templates become
        the level's, and every variant of the level is archived (their history
        stays)."""
        self.ensure_one()
        level = self.level_id
        values = {}
        if self.mail_template_id:
            values["mail_template_id"] = self.mail_template_id.id
        if self.sms_template_id:
            values["sms_template_id"] = self.sms_template_id.id
        if values:
            level.write(values)
        level.with_context(active_test=False).variant_ids.write({"active": False})
        return True


class DunningLevel(models.Model):
    _inherit = "dunning.level"

    variant_ids = fields.One2many(
        "dunning.level.variant",
        "level_id",
        string="Variants",
        help="An A/B test of this level's messages: each customer gets one variant.",
    )
    ab_verdict = fields.Char(
        string="A/B Test",
        compute="_compute_ab_verdict",
        help="What the variants' recovery within 14 days says so far.",
    )

    @api.depends_context("dunning_date")
    def _compute_ab_verdict(self):
        today = self.env["account.move"]._dunning_today()
        for level in self:
            variants = level.variant_ids
            level.ab_verdict = (
                level._ab_verdict(variants, today) if len(variants) > 1 else False
            )

    def _ab_verdict(self, variants, today):
        """Each variant against the first (the control), in plain words."""
        _ = self.env._
        counts = variants._counts(VERDICT_WINDOW, today)
        control = variants[0]
        sentences = []
        for challenger in variants[1:]:
            if not counts[control.id][0] or not counts[challenger.id][0]:
                sentences.append(
                    _(
                        "%(challenger)s against %(control)s: not enough data yet, "
                        "no reminders of both sent %(days)s days ago or more",
                        challenger=challenger.name,
                        control=control.name,
                        days=VERDICT_WINDOW,
                    )
                )
                continue
            result = abtest.compare(counts[control.id], counts[challenger.id])
            shares = {
                "challenger": challenger.name,
                "control": control.name,
                "days": VERDICT_WINDOW,
                "points": round(abs(result.difference) * 100),
                "confidence": int(result.confidence * 100),
                "share_challenger": round(result.challenger_share * 100),
                "share_control": round(result.control_share * 100),
            }
            if result.decided and result.difference > 0:
                sentence = _(
                    "%(challenger)s recovers %(points)s points more within "
                    "%(days)s days than %(control)s; %(confidence)s%% confidence",
                    **shares,
                )
            elif result.decided:
                sentence = _(
                    "%(challenger)s recovers %(points)s points less within "
                    "%(days)s days than %(control)s; %(confidence)s%% confidence",
                    **shares,
                )
            elif result.more_needed:
                sentence = _(
                    "%(challenger)s against %(control)s: not enough data yet, "
                    "%(more)s more reminders needed (%(share_challenger)s%% and "
                    "%(share_control)s%% paid within %(days)s days so far)",
                    more=result.more_needed,
                    **shares,
                )
            else:
                sentence = _(
                    "%(challenger)s and %(control)s recover alike within %(days)s "
                    "days (%(share_challenger)s%% and %(share_control)s%%; "
                    "%(confidence)s%% confidence in a difference)",
                    **shares,
                )
            sentences.append(sentence)
        return "; ".join(sentences)

    def _variant_for(self, partner):
        """The variant of self that ``partner`` gets (an empty record when self
        tests nothing): the same every time. A customer who got a variant of
        self keeps it (weights changed or variants added since do not move it);
        else the hash of self and the customer chooses by the weights."""
        self.ensure_one()
        variants = self.variant_ids
        if not variants:
            return variants
        given = (
            self.env["dunning.event"]
            .sudo()
            .search(
                [
                    ("level_id", "=", self.id),
                    ("variant_id", "in", variants.ids),
                    ("move_id.commercial_partner_id", "=", partner.id),
                ],
                order="id desc",
                limit=1,
            )
        )
        if given:
            return given.variant_id
        index = abtest.pick(
            f"dunning.level:{self.id}", partner.id, variants.mapped("weight")
        )
        return variants[index] if index is not None else variants.browse()

    def _message_template(self, kind, partner):
        """(template, variant) of the ``kind`` ("mail" or "sms") message of self
        for ``partner``: the variant's template, else the level's own."""
        self.ensure_one()
        variant = self._variant_for(partner)
        field = f"{kind}_template_id"
        return (variant[field] or self[field]), variant
