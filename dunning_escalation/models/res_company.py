from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    dunning_policy_id = fields.Many2one(
        "dunning.policy",
        string="Default Dunning Policy",
        domain="[('company_id', '=', id)]",
        help="The policy of every customer invoice whose customer has none of its own.",
    )

    dunning_user_id = fields.Many2one(
        "res.users",
        string="Dunning Responsible",
        domain="[('share', '=', False), ('company_ids', 'in', id)]",
        help="Gets the dunning activities (phone calls, customers' answers) of "
        "invoices whose policy names no responsible and whose salesperson cannot "
        "take them; empty: an accounting administrator of the company.",
    )
    dunning_fee_account_id = fields.Many2one(
        "account.account",
        string="Late Fee Account",
        check_company=True,
        domain="[('account_type', 'in', ('income', 'income_other'))]",
        help="Income account of late fees and recovery compensation; empty: the "
        "invoice journal's default income account.",
    )
    dunning_interest_account_id = fields.Many2one(
        "account.account",
        string="Late Interest Account",
        check_company=True,
        domain="[('account_type', 'in', ('income', 'income_other'))]",
        help="Income account of statutory interest; empty: as the late fees.",
    )
    dunning_fee_tax_ids = fields.Many2many(
        "account.tax",
        string="Taxes on Late Fees",
        check_company=True,
        domain="[('type_tax_use', '=', 'sale')]",
        help="Taxes added to late fees and compensation (none by default: they are "
        "damages, outside the scope of VAT in most countries).",
    )

    # How the daily run reads customers' payment behaviour into segments
    # (dunning_behaviour.py): the period, and the thresholds of each segment.
    dunning_segment_months = fields.Integer(
        string="Payment Behaviour Period (months)",
        default=12,
        help="The invoices due in these last months (and older ones still open) "
        "make a customer's payment behaviour.",
    )
    dunning_segment_min_invoices = fields.Integer(
        string="Invoices Needed for a Segment",
        default=3,
        help="A customer with fewer invoices in the period is New.",
    )
    dunning_segment_reliable_days = fields.Float(
        string="Reliable: Days Late Up To",
        default=2.0,
        help="Reliable: at most these days late on average (by amount) and at most "
        "the share below paid late.",
    )
    dunning_segment_reliable_share = fields.Float(
        string="Reliable: Share Paid Late Up To (%)", default=10.0
    )
    dunning_segment_late_days = fields.Float(
        string="Late: Days Late From",
        default=10.0,
        help="Late: at least these days late on average, or the share below paid "
        "late, or one broken promise.",
    )
    dunning_segment_late_share = fields.Float(
        string="Late: Share Paid Late From (%)", default=40.0
    )
    dunning_segment_chronic_days = fields.Float(
        string="Chronic: Days Late From",
        default=30.0,
        help="Chronic: at least these days late on average, or the share below "
        "paid late, or the broken promises below.",
    )
    dunning_segment_chronic_share = fields.Float(
        string="Chronic: Share Paid Late From (%)", default=75.0
    )
    dunning_segment_chronic_broken = fields.Integer(
        string="Chronic: Broken Promises From", default=2
    )

    @api.constrains(
        "dunning_segment_months",
        "dunning_segment_min_invoices",
        "dunning_segment_reliable_days",
        "dunning_segment_late_days",
        "dunning_segment_chronic_days",
        "dunning_segment_reliable_share",
        "dunning_segment_late_share",
        "dunning_segment_chronic_share",
        "dunning_segment_chronic_broken",
    )
    def _check_dunning_segments(self):
        for company in self:
            if company.dunning_segment_months < 1 or (
                company.dunning_segment_min_invoices < 1
            ):
                raise ValidationError(
                    self.env._(
                        "The payment behaviour needs a period of at least a month "
                        "and at least one invoice."
                    )
                )
            if not (
                0
                <= company.dunning_segment_reliable_days
                < company.dunning_segment_late_days
                < company.dunning_segment_chronic_days
            ) or not (
                0
                <= company.dunning_segment_reliable_share
                < company.dunning_segment_late_share
                < company.dunning_segment_chronic_share
                <= 100
            ):
                raise ValidationError(
                    self.env._(
                        "The segments' thresholds go up from Reliable to Late to "
                        "Chronic: days late %(reliable)s < %(late)s < %(chronic)s, "
                        "shares paid late between 0 and 100%%, in the same order.",
                        reliable=company.dunning_segment_reliable_days,
                        late=company.dunning_segment_late_days,
                        chronic=company.dunning_segment_chronic_days,
                    )
                )
            if company.dunning_segment_chronic_broken < 1:
                raise ValidationError(
                    self.env._("Chronic takes at least one broken promise.")
                )

    @api.constrains("dunning_policy_id")
    def _check_dunning_policy_company(self):
        for company in self:
            company.dunning_policy_id._check_belongs_to(
                company, self.env._("default policy of %s", company.name)
            )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._dunning_ensure_default_policy()
        return companies

    def _dunning_default_policy_values(self):
        """The ladder a company starts with: reminders at 3, 7 and 14 days after
        the due date, handoff to a collection agency at 30; a friendly reminder
        3 days before the due date ships archived, for the admin to switch on."""
        self.ensure_one()
        _ = self.env._

        def template(name):
            return self.env.ref(
                f"dunning_escalation.mail_template_dunning_{name}",
                raise_if_not_found=False,
            ).id

        def sms_template(name):
            return self.env.ref(
                f"dunning_escalation.sms_template_dunning_{name}",
                raise_if_not_found=False,
            ).id

        def level(sequence, name, delay, **extra):
            return fields.Command.create(
                {"sequence": sequence, "name": name, "delay_days": delay, **extra}
            )

        return {
            "name": _("Standard dunning"),
            "company_id": self.id,
            # The law of each customer's country and kind; none for a customer
            # no profile covers (outside the EU, say): fixed fees only.
            "legal_profile": "by_customer",
            "thankyou_template_id": template("thankyou"),
            "level_ids": [
                level(
                    5,
                    _("Friendly reminder"),
                    -3,
                    active=False,
                    mail_template_id=template("level_friendly"),
                ),
                level(10, _("Reminder"), 3, mail_template_id=template("level_1")),
                level(
                    20,
                    _("Firm reminder"),
                    7,
                    mail_template_id=template("level_2"),
                    sms_template_id=sms_template("level_2"),
                ),
                level(
                    30,
                    _("Final notice"),
                    14,
                    mail_template_id=template("level_3"),
                    sms_template_id=sms_template("level_3"),
                ),
                # The agency claims compensation and interest: book them first.
                level(
                    40,
                    _("Collection agency"),
                    30,
                    handoff=True,
                    charge_compensation=True,
                    apply_interest=True,
                ),
            ],
        }

    def _dunning_ensure_default_policy(self):
        """Create the default policy of each company that has none yet."""
        without = self.filtered(lambda company: not company.sudo().dunning_policy_id)
        if not without:
            return
        Policy = self.env["dunning.policy"].sudo()
        for company in without:
            company.sudo().dunning_policy_id = Policy.create(
                company._dunning_default_policy_values()
            )

    def _dunning_person(self, candidates, group=None):
        """The first of ``candidates`` (users) who can follow up on dunning in
        self: an active internal user of the company, never the job's technical
        user, in ``group`` (an XML id) when given; else the first of the
        company's accounting administrators who is; else no user."""
        self.ensure_one()

        def person(user):
            return (
                user
                and user.active
                and user._is_internal()
                and not user._is_superuser()
                and self in user.company_ids
                and (not group or user.has_group(group))
            )

        for user in candidates:
            if person(user):
                return user
        admins = (
            self.env.ref("account.group_account_manager")
            .sudo()
            .all_user_ids.filtered(person)
            .sorted("id")
        )
        return admins[:1]
