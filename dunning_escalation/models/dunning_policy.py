from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import ladder

LEGAL_PROFILES = [
    ("eu_b2b", "EU, business to business (Directive 2011/7/EU)"),
    ("nl_b2b", "Netherlands, business (handelsrente, WIK)"),
    ("nl_b2c", "Netherlands, consumer (wettelijke rente, WIK)"),
    ("be_b2b", "Belgium, business (Law of 2 August 2002)"),
    ("be_b2c", "Belgium, consumer (Code of Economic Law, Book XIX)"),
    ("se_b2b", "Sweden, business (räntelagen)"),
    ("se_b2c", "Sweden, consumer (räntelagen)"),
    ("de_b2b", "Germany, business (BGB § 288)"),
    ("de_b2c", "Germany, consumer (BGB § 288)"),
    ("uk_b2b", "United Kingdom, business (Late Payment Act 1998)"),
]

# By the customer's country, and whether it is a company (business) or a person.
PROFILE_BY_COUNTRY = {
    "NL": ("nl_b2b", "nl_b2c"),
    "BE": ("be_b2b", "be_b2c"),
    "SE": ("se_b2b", "se_b2c"),
    "DE": ("de_b2b", "de_b2c"),
    "GB": ("uk_b2b", False),
}


class DunningPolicy(models.Model):
    _name = "dunning.policy"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Dunning Policy"
    _order = "company_id, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    level_ids = fields.One2many(
        "dunning.level", "policy_id", string="Levels", copy=True
    )
    # The form's ladder: the switched-off levels too, so that one can be switched
    # on (the friendly reminder ships off).
    level_all_ids = fields.One2many(
        "dunning.level",
        "policy_id",
        string="Ladder",
        context={"active_test": False},
    )
    level_count = fields.Integer(compute="_compute_level_count")
    payment_in_law_order = fields.Boolean(
        string="Apply Payments in the Law's Order",
        default=True,
        tracking=True,
        help="Where the customer's law fixes what a partial payment settles first "
        "(the Netherlands, Germany and Belgium: the costs, then the interest, "
        "then the invoice), a payment on an invoice settles its open charges "
        "first. Off: payments stay where they are registered, for example while "
        "the company negotiates.",
    )
    legal_profile = fields.Selection(
        [("by_customer", "By the customer's country and kind"), *LEGAL_PROFILES],
        help="The late-payment law whose interest rates, compensation and waiting "
        "periods apply to the invoices of this policy. 'By the customer' picks the "
        "profile of the customer's country, business (a company) or consumer; other "
        "EU businesses get the EU directive. A customer may override it. Leave "
        "empty to charge only the fees set on the levels.",
    )
    min_amount = fields.Monetary(
        string="Minimum Overdue Amount",
        currency_field="currency_id",
        help="A customer whose overdue total, in the company's currency, is below this "
        "amount gets no reminder.",
    )
    grace_days = fields.Integer(
        help="Days added after the due date before the first overdue step is taken.",
    )
    consolidate_per_partner = fields.Boolean(
        string="One Message per Customer",
        default=True,
        help="Send one message per customer listing all its overdue invoices, at the "
        "highest level among them, instead of one message per invoice.",
    )
    agency_partner_id = fields.Many2one(
        "res.partner",
        string="Collection Agency",
        check_company=True,
    )
    handoff_project_id = fields.Many2one(
        "project.project",
        string="Collections Project",
        check_company=True,
        help="Where handoff tasks are created; empty: the shared Collections project.",
    )
    handoff_whole_account = fields.Boolean(
        string="Hand Over All Overdue Invoices",
        help="At handoff, every overdue invoice of the customer under this policy "
        "goes to the agency with the one that reached the handoff level.",
    )
    handoff_mail_agency = fields.Boolean(
        string="Mail the Case File to the Agency",
        help="At handoff, the case file is mailed to the collection agency.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        domain="[('share', '=', False)]",
        help="Gets the activities of this policy (phone calls, disputes to look at); "
        "empty: the invoice's salesperson.",
    )
    email_from = fields.Char(
        string="Send From",
        help="Address the reminders are sent from; empty: the company's email.",
    )
    waive_interest_days = fields.Integer(
        string="Waive Interest if Paid Within (days)",
        help="When an invoice is paid in full within this many days of the step that "
        "charged interest on it, that interest is waived with a credit note "
        "(0: never). Where payments are applied in the law's order, paying as much "
        "as the invoice within these days is enough: the interest is waived before "
        "the payment settles the costs and the invoice.",
    )
    reply_pause_days = fields.Integer(
        string="Pause on a Reply (days)",
        default=14,
        help="A customer's email reply to a reminder pauses the invoices of that "
        "reminder for this many days (a promise to pay, until the day it names), "
        "and gives the responsible user a to-do with the reply. Automatic replies "
        "pause nothing. 0: replies pause nothing, the to-do still comes.",
    )
    reply_promise_max_days = fields.Integer(
        string="Trust a Promise Read in a Reply Up To (days)",
        default=30,
        help="A promise to pay read in a reply pauses dunning until the day after "
        "the one it names, up to this many days ahead; further out, the pause stops "
        "there until a user confirms the promise.",
    )
    plan_portal = fields.Boolean(
        string="Customers May Ask for a Payment Plan",
        default=True,
        help="The invoice page of the customer portal offers a payment plan for the "
        "customer's overdue invoices, within the limits below; a customer who broke "
        "a plan is not offered another.",
    )
    plan_max_instalments = fields.Integer(
        string="Most Instalments Asked For", default=6
    )
    plan_min_instalment = fields.Monetary(
        string="Smallest Instalment Asked For",
        currency_field="currency_id",
        default=50.0,
        help="In the company's currency.",
    )
    plan_auto_approve = fields.Boolean(
        string="Approve Requests Within the Limits",
        help="A payment plan asked for on the portal runs at once; else it waits "
        "for the responsible user's approval, the invoices paused meanwhile.",
    )
    plan_remind_days = fields.Integer(
        string="Remind an Instalment (days before)",
        default=3,
        help="A payment plan's instalment is announced this many days before its "
        "date; one reminder follows the day after, if it is still unpaid.",
    )
    plan_missed_days = fields.Integer(
        string="Instalment Missed After (days)",
        default=7,
        help="An instalment still unpaid this many days after its date breaks the "
        "payment plan: dunning resumes where it stood and the customer is told.",
    )
    thankyou_template_id = fields.Many2one(
        "mail.template",
        string="Thank-you Email",
        domain=[("model", "=", "account.move")],
        help="Sent once when an invoice that received a reminder is paid in full.",
    )

    @api.depends("level_ids")
    def _compute_level_count(self):
        for policy in self:
            policy.level_count = len(policy.level_ids)

    @api.constrains("level_ids")
    def _check_level_ladder(self):
        for policy in self:
            policy.level_ids._check_ladder()

    @api.constrains(
        "min_amount",
        "grace_days",
        "reply_pause_days",
        "reply_promise_max_days",
        "plan_remind_days",
        "plan_missed_days",
        "plan_max_instalments",
        "plan_min_instalment",
    )
    def _check_amounts(self):
        for policy in self:
            if (
                policy.plan_remind_days < 0
                or policy.plan_missed_days < 0
                or policy.plan_max_instalments < 0
                or policy.plan_min_instalment < 0
            ):
                raise ValidationError(
                    self.env._(
                        "The days of payment plans of policy %s cannot be negative.",
                        policy.name,
                    )
                )
            if policy.reply_pause_days < 0 or policy.reply_promise_max_days < 0:
                raise ValidationError(
                    self.env._(
                        "The days a reply pauses policy %s cannot be negative.",
                        policy.name,
                    )
                )
            if policy.min_amount < 0:
                raise ValidationError(
                    self.env._(
                        "The minimum overdue amount of policy %s cannot be negative.",
                        policy.name,
                    )
                )
            if policy.grace_days < 0:
                raise ValidationError(
                    self.env._(
                        "The grace days of policy %s cannot be negative.", policy.name
                    )
                )

    def _check_belongs_to(self, company, where):
        """Refuse a policy of another company than ``company``; ``where`` says
        where it was picked."""
        for policy in self:
            if policy.company_id != company:
                raise ValidationError(
                    self.env._(
                        "The dunning policy %(policy)s belongs to company %(other)s, "
                        "not to %(company)s (%(where)s): pick a policy of "
                        "%(company)s.",
                        policy=policy.name,
                        other=policy.company_id.name,
                        company=company.name,
                        where=where,
                    )
                )

    def _legal_profile_for(self, partner):
        """The legal profile for ``partner`` (a commercial partner) under self."""
        self.ensure_one()
        override = partner.with_company(self.company_id).dunning_legal_profile
        if override:
            return False if override == "none" else override
        if self.legal_profile != "by_customer":
            return self.legal_profile or False
        country = partner.country_id
        business = partner.is_company
        if country.code in PROFILE_BY_COUNTRY:
            return PROFILE_BY_COUNTRY[country.code][0 if business else 1]
        europe = self.env.ref("base.europe", raise_if_not_found=False)
        if business and europe and country in europe.country_ids:
            return "eu_b2b"
        return False

    def _ordered_levels(self):
        """The active levels in escalation order (a level just added may sit at the
        end of the cached one2many)."""
        self.ensure_one()
        # Filtered too: a level created archived stays in the cache of the policy
        # that created it until the end of the transaction.
        return self.level_ids.filtered("active").sorted(
            lambda lvl: (lvl.sequence, lvl.delay_days)
        )

    def _steps(self):
        """The active levels of the policy as a ladder for tools.ladder."""
        return [
            ladder.Step(level, level.delay_days) for level in self._ordered_levels()
        ]
