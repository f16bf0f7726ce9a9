from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError


class DunningLevel(models.Model):
    _name = "dunning.level"
    _description = "Dunning Level"
    _order = "policy_id, sequence, delay_days, id"
    _check_company_auto = True

    policy_id = fields.Many2one(
        "dunning.policy",
        required=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="policy_id.currency_id")
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    delay_days = fields.Integer(
        string="Delay (days)",
        required=True,
        help="Days after the due date when this level is reached; negative for a "
        "friendly reminder before the due date.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain=[("model", "=", "account.move")],
    )
    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS Template",
        domain=[("model", "=", "account.move")],
    )
    send_letter = fields.Boolean(help="Print a letter for this level.")
    letter_registered = fields.Boolean(
        string="Registered Letter",
        help="The letter goes by registered post: its tracking number is recorded "
        "in the history.",
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Activity",
        help="Schedule this activity (a phone call, say) for the responsible user.",
    )
    tone = fields.Selection(
        [
            ("friendly", "Friendly"),
            ("reminder", "Reminder"),
            ("firm", "Firm"),
            ("final", "Final"),
        ],
        compute="_compute_tone",
        help="Where the level stands on its ladder; the colour of its badge.",
    )
    fee_fixed = fields.Monetary(string="Fixed Fee", currency_field="currency_id")
    fee_percent = fields.Float(string="Fee (%)", digits=(16, 4))
    apply_interest = fields.Boolean(
        string="Charge Interest",
        help="Charge the statutory interest of the legal profile up to the day of "
        "this step, for the days not charged before.",
    )
    charge_compensation = fields.Boolean(
        string="Charge Recovery Compensation",
        help="Charge the fixed recovery compensation of the legal profile; it is "
        "charged once per invoice, at the first level that asks for it.",
    )
    handoff = fields.Boolean(
        string="Hand Off to Agency",
        help="At this level the case is handed over to the collection agency.",
    )

    @api.depends("delay_days", "handoff", "sequence", "policy_id.level_ids")
    def _compute_tone(self):
        for level in self:
            ladder = level.policy_id._ordered_levels()
            later = ladder.filtered(
                lambda other, lvl=level: (other.sequence, other.delay_days)
                > (lvl.sequence, lvl.delay_days)
            )
            if level.handoff or (later and later[0].handoff) or not later:
                level.tone = "final"
            elif level.delay_days <= 0:
                level.tone = "friendly"
            elif level == ladder.filtered(lambda lvl: lvl.delay_days > 0)[:1]:
                level.tone = "reminder"
            else:
                level.tone = "firm"

    @api.depends("name", "policy_id.name")
    @api.depends_context("dunning_level_with_policy")
    def _compute_display_name(self):
        """In the analysis (context ``dunning_level_with_policy``), a level is named
        with its policy, so that the "Reminder" of two policies are two rows."""
        with_policy = self.env.context.get("dunning_level_with_policy")
        for level in self:
            level.display_name = (
                f"{level.policy_id.name} / {level.name}"
                if with_policy and level.policy_id
                else level.name
            )

    def _announcing_level(self):
        """The level whose notice announces the charges of self: the nearest active
        level before self on its ladder that sends a mail or a letter."""
        self.ensure_one()
        earlier = self.policy_id._ordered_levels().filtered(
            lambda lvl: (lvl.sequence, lvl.delay_days)
            < (self.sequence, self.delay_days)
            and (lvl.mail_template_id or lvl.send_letter)
        )
        return earlier[-1:]

    def _charges(self):
        """Whether this level charges the customer anything."""
        self.ensure_one()
        return bool(
            self.fee_fixed
            or self.fee_percent
            or self.charge_compensation
            or self.apply_interest
        )

    def _has_action(self):
        self.ensure_one()
        return bool(
            self.mail_template_id
            or self.sms_template_id
            or self.send_letter
            or self.activity_type_id
            or self.fee_fixed
            or self.fee_percent
            or self.apply_interest
            or self.charge_compensation
            or self.handoff
        )

    @api.constrains(
        "delay_days",
        "sequence",
        "active",
        "policy_id",
        "mail_template_id",
        "sms_template_id",
        "send_letter",
        "activity_type_id",
        "fee_fixed",
        "fee_percent",
        "apply_interest",
        "charge_compensation",
        "handoff",
    )
    def _check_level(self):
        for level in self:
            if level.active and not level._has_action():
                raise ValidationError(
                    self.env._(
                        "Level %(level)s of policy %(policy)s does nothing: give it "
                        "an email or SMS template, a letter, an activity, a fee, "
                        "interest or the handoff.",
                        level=level.name,
                        policy=level.policy_id.name,
                    )
                )
            if level.fee_fixed < 0 or level.fee_percent < 0:
                raise ValidationError(
                    self.env._("The fees of level %s cannot be negative.", level.name)
                )
            if level.fee_percent > 100:
                raise ValidationError(
                    self.env._(
                        "The fee of level %(level)s is %(percent)s%% of the amount "
                        "due: more than the debt itself. Give a percentage of at "
                        "most 100.",
                        level=level.name,
                        percent=level.fee_percent,
                    )
                )
        self.policy_id.level_ids._check_ladder()

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_use(self):
        """A level that invoices reached is part of their history: it may be
        archived, not deleted."""
        moves = self.env["account.move"].sudo()
        events = self.env["dunning.event"].sudo()
        for level in self.with_context(active_test=False):
            used = moves.search_count([("dunning_level_id", "=", level.id)])
            if used or events.search_count([("level_id", "=", level.id)], limit=1):
                raise UserError(
                    self.env._(
                        "Level %(level)s of policy %(policy)s is in use: "
                        "%(count)s invoice(s) are at it and the dunning history "
                        "refers to it. Archive the level instead; its invoices then "
                        "go on with the next active level.",
                        level=level.name,
                        policy=level.policy_id.name,
                        count=used,
                    )
                )

    def _check_ladder(self):
        """Levels of one policy, in sequence: delays must rise strictly."""
        for policy in self.policy_id:
            levels = self.filtered(lambda lvl, p=policy: lvl.policy_id == p)
            previous = None
            for level in levels.sorted(lambda lvl: (lvl.sequence, lvl.id)):
                if previous and level.delay_days == previous.delay_days:
                    raise ValidationError(
                        self.env._(
                            "Levels %(first)s and %(second)s of policy %(policy)s "
                            "both have a delay of %(days)s days: give each level its "
                            "own delay.",
                            first=previous.name,
                            second=level.name,
                            policy=policy.name,
                            days=level.delay_days,
                        )
                    )
                if previous and level.delay_days < previous.delay_days:
                    raise ValidationError(
                        self.env._(
                            "In policy %(policy)s, level %(second)s comes after "
                            "%(first)s but has a shorter delay (%(days2)s days "
                            "against %(days1)s): order the levels by delay.",
                            policy=policy.name,
                            first=previous.name,
                            second=level.name,
                            days1=previous.delay_days,
                            days2=level.delay_days,
                        )
                    )
                previous = level

    # ------------------------------------------------------------------
    # The charge of the saved payment method (dunning_channel_collect.py)
    # ------------------------------------------------------------------

    collect_token = fields.Boolean(
        string="Charge the Saved Payment Method",
        help="Before the level's messages, charge what the invoice has left to pay "
        "to the payment method the customer saved on the portal (a card, a direct "
        "debit mandate), where its provider charges saved methods. Paid, the level "
        "sends nothing; refused, its messages go out with the reason and the link "
        "to update the payment method.",
    )
    collect_retry_days = fields.Char(
        string="Charge Again On (days after due)",
        help="After a refused charge, the days after the due date on which the run "
        "charges again while the invoice is open, separated by commas: 5,9 for "
        "example.",
    )

    @api.constrains("collect_retry_days")
    def _check_collect_retry_days(self):
        for level in self:
            level._collect_days()

    def _collect_days(self):
        """The retry days of self, sorted; a clear error for what is not a list
        of whole days."""
        self.ensure_one()
        text = (self.collect_retry_days or "").replace(" ", "")
        if not text:
            return []
        try:
            days = sorted({int(part) for part in text.split(",") if part})
        except ValueError:
            days = None
        if days is None or any(day < 0 for day in days):
            raise UserError(
                self.env._(
                    "Charge Again On (days after due) takes whole days separated by "
                    "commas, such as 5,9; not %s.",
                    self.collect_retry_days,
                )
            )
        return days
