"""Rules that choose a customer's dunning policy: by its payment segment, its
country, whether it is a company or a person, the amount it has overdue. The
first rule that matches, in their order, chooses; a policy set on the customer
comes first, the company's default last (``account.move._compute_dunning_policy_id``).
The daily run writes each customer's rule (``_assign``) when it reads the
customers' payment behaviour (dunning_behaviour.py)."""

from collections import defaultdict

from odoo import api, fields, models

from .dunning_behaviour import SEGMENTS


class DunningPolicyRule(models.Model):
    _name = "dunning.policy.rule"
    _description = "Dunning Policy Rule"
    _order = "company_id, sequence, id"
    _check_company_auto = True

    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        ondelete="cascade",
    )
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    policy_id = fields.Many2one(
        "dunning.policy",
        string="Policy",
        required=True,
        check_company=True,
        ondelete="cascade",
        domain="[('company_id', '=', company_id)]",
    )
    segment = fields.Selection(
        SEGMENTS, help="Customers of this payment segment; empty: any."
    )
    country_ids = fields.Many2many(
        "res.country", string="Countries", help="Empty: any country."
    )
    partner_kind = fields.Selection(
        [
            ("any", "Companies and Persons"),
            ("company", "Companies"),
            ("person", "Persons"),
        ],
        string="Customers",
        default="any",
        required=True,
    )
    min_overdue = fields.Monetary(
        string="Overdue From",
        currency_field="company_currency_id",
        help="Customers with at least this amount overdue (company currency); "
        "0: any amount.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        rules._reassign()
        return rules

    def write(self, vals):
        companies = self.company_id
        result = super().write(vals)
        if {"policy_id", "active", "company_id"} & set(vals):
            self._recompute_policies()
        self._reassign(companies)
        return result

    def unlink(self):
        companies = self.company_id
        # The customers the rules chose for lose them first (their invoices go
        # back to the company's default), then the remaining rules choose again.
        for company in companies:
            self._holders(company).write({"dunning_rule_id": False})
        result = super().unlink()
        self.browse()._reassign(companies)
        return result

    def _holders(self, company):
        """The customers of ``company`` whose policy a rule of self chose."""
        return (
            self.env["res.partner"]
            .sudo()
            .with_company(company)
            .search([("dunning_rule_id", "in", self.ids)])
        )

    def _recompute_policies(self):
        """Have the open invoices of the customers the rules of self chose for
        take the rules' policies again: the rule changed, not the customers, so
        nothing else tells their invoices (in whichever company the user
        works)."""
        Move = self.env["account.move"].sudo()
        for company in self.company_id:
            customers = self._holders(company)
            if not customers:
                continue
            moves = Move.search(
                [
                    ("company_id", "=", company.id),
                    ("commercial_partner_id", "in", customers.ids),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                ]
            )
            self.env.add_to_compute(Move._fields["dunning_policy_id"], moves)

    def _reassign(self, companies=None):
        """Choose again the policy of the customers of the companies of self (or
        ``companies``) by the rules as they now are, from the behaviour the run
        last read: a rule changed applies at once, not at the next run."""
        Behaviour = self.env["dunning.behaviour"].sudo()
        for company in (companies or self.env["res.company"]) | self.company_id:
            self._assign(company, Behaviour.search([("company_id", "=", company.id)]))

    def _matches(self, partner, behaviour):
        """Whether self chooses the policy of ``partner``, whose payment
        behaviour is ``behaviour``."""
        self.ensure_one()
        if self.segment and self.segment != behaviour.segment:
            return False
        if self.country_ids and partner.country_id not in self.country_ids:
            return False
        if self.partner_kind == "company" and not partner.is_company:
            return False
        if self.partner_kind == "person" and partner.is_company:
            return False
        return not (
            self.min_overdue
            and self.company_currency_id.compare_amounts(
                behaviour.amount_overdue, self.min_overdue
            )
            < 0
        )

    def _first_match(self, partner, behaviour):
        """The first rule of self (in order) that matches, or an empty record."""
        for rule in self:
            if rule._matches(partner, behaviour):
                return rule
        return self.browse()

    @api.model
    def _assign(self, company, behaviours):
        """Write, on the customer of each of ``behaviours`` (of ``company``),
        the rule that chooses its policy (none when no rule matches); only the
        customers whose rule changes are written, a group at a time."""
        rules = self.sudo().search([("company_id", "=", company.id)])
        by_rule = defaultdict(list)
        for behaviour in behaviours:
            partner = behaviour.partner_id.with_company(company)
            rule = rules._first_match(partner, behaviour)
            if partner.dunning_rule_id != rule:
                by_rule[rule].append(partner.id)
        Partner = self.env["res.partner"].sudo().with_company(company)
        for rule, partner_ids in by_rule.items():
            Partner.browse(partner_ids).write({"dunning_rule_id": rule.id})


class AccountMove(models.Model):
    _inherit = "account.move"

    def _dunning_policy_source(self):
        """Where self's policy comes from, in words (the dry run says it)."""
        self.ensure_one()
        _ = self.env._
        if not self.dunning_policy_id:
            return ""
        partner = self.commercial_partner_id.with_company(self.company_id)
        if partner.dunning_policy_id:
            return _("Set on the customer")
        rule = partner.dunning_rule_id
        if rule:
            segments = dict(
                partner._fields["dunning_segment"]._description_selection(self.env)
            )
            return _(
                "Rule %(rule)s (customer %(segment)s)",
                rule=rule.name,
                segment=segments.get(partner.dunning_segment, "-"),
            )
        return _("The company's default")
