from odoo import api, fields, models


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
