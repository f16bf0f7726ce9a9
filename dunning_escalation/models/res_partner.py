import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

from .dunning_behaviour import SEGMENTS
from .dunning_policy import LEGAL_PROFILES

_logger = logging.getLogger(__name__)


# The dunning settings of a customer (see write).
DUNNING_SETTINGS = {
    "dunning_policy_id",
    "dunning_contact_id",
    "dunning_legal_profile",
    "dunning_excluded",
}


class ResPartner(models.Model):
    _inherit = "res.partner"

    # For the users who read dunning only; not copied with the partner (as core's
    # credit limit): a copy reads every copied field as the user who duplicates.
    dunning_policy_id = fields.Many2one(
        "dunning.policy",
        string="Dunning Policy",
        company_dependent=True,
        copy=False,
        help="The dunning policy of this customer's invoices; empty: the company's "
        "default policy.",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_contact_id = fields.Many2one(
        "res.partner",
        string="Dunning Contact",
        domain="[('parent_id', '=', id), ('type', '!=', 'delivery')]",
        copy=False,
        help="The contact (accounts payable, say) that receives the reminders "
        "instead of the invoice address.",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_overdue_amount = fields.Monetary(
        string="Overdue",
        compute="_compute_dunning_overview",
        currency_field="dunning_currency_id",
        help="Overdue amount of the open customer invoices in dunning and of the "
        "late-payment charges open on them, in the company's currency.",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_dunning_overview",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_max_level_id = fields.Many2one(
        "dunning.level",
        string="Highest Dunning Level",
        compute="_compute_dunning_overview",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_legal_profile = fields.Selection(
        [("none", "None (no statutory charges)"), *LEGAL_PROFILES],
        string="Late-Payment Law",
        company_dependent=True,
        copy=False,
        help="Overrides the legal profile the dunning policy would pick for this "
        "customer.",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_excluded = fields.Boolean(
        string="Exclude from Dunning",
        company_dependent=True,
        copy=False,
        help="This customer gets no reminder, fee or handoff from dunning.",
        groups="account.group_account_invoice,account.group_account_readonly",
    )

    dunning_rule_id = fields.Many2one(
        "dunning.policy.rule",
        string="Policy Chosen by Rule",
        company_dependent=True,
        copy=False,
        readonly=True,
        help="The rule that chose this customer's policy by its payment behaviour "
        "(the daily run chooses it); a policy set above comes first.",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_segment = fields.Selection(
        SEGMENTS,
        string="Payment Segment",
        compute="_compute_dunning_segment",
        search="_search_dunning_segment",
        help="How the customer pays, read by the daily run from its invoices of "
        "the period set in Accounting settings.",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_segment_reason = fields.Char(
        string="Why This Segment",
        compute="_compute_dunning_segment",
        groups="account.group_account_invoice,account.group_account_readonly",
    )

    @api.depends_context("company")
    def _compute_dunning_segment(self):
        behaviours = {
            behaviour.partner_id: behaviour
            for behaviour in self.env["dunning.behaviour"].search(
                [
                    ("company_id", "=", self.env.company.id),
                    ("partner_id", "in", self.commercial_partner_id.ids),
                ]
            )
        }
        for partner in self:
            behaviour = behaviours.get(partner.commercial_partner_id)
            partner.dunning_segment = behaviour.segment if behaviour else False
            partner.dunning_segment_reason = behaviour.reason if behaviour else False

    def _search_dunning_segment(self, operator, value):
        if operator not in ("in", "not in"):
            return NotImplemented
        customers = (
            self.env["dunning.behaviour"]
            ._search(
                [("company_id", "=", self.env.company.id), ("segment", "in", value)]
            )
            .select("partner_id")
        )
        condition = "in" if operator == "in" else "not in"
        return [("commercial_partner_id", condition, customers)]

    @api.depends_context("company")
    def _compute_dunning_overview(self):
        """Overdue total (the open charges included) and highest level per
        customer, read in three grouped queries for all the partners of self."""
        company = self.env.company
        self.dunning_currency_id = company.currency_id
        commercial = self.commercial_partner_id
        Move = self.env["account.move"]
        # What the customer owes, the invoices with the agency included.
        domain = Move._dunning_overdue_domain(
            fields.Date.context_today(self), commercial, company, with_agency=True
        )
        totals = dict(
            Move._read_group(
                domain, ["commercial_partner_id"], ["amount_residual_signed:sum"]
            )
        )
        # And the late-payment charges still open on those invoices.
        for partner, amount in Move._read_group(
            Move._dunning_open_charges_domain("any", domain),
            ["commercial_partner_id"],
            ["amount_residual_signed:sum"],
        ):
            totals[partner] = totals.get(partner, 0.0) + amount
        levels = {}
        for partner, level in Move._read_group(
            [*domain, ("dunning_level_id", "!=", False)],
            ["commercial_partner_id", "dunning_level_id"],
        ):
            current = levels.get(partner)
            if not current or (level.sequence, level.delay_days) > (
                current.sequence,
                current.delay_days,
            ):
                levels[partner] = level
        for partner in self:
            customer = partner.commercial_partner_id
            partner.dunning_overdue_amount = totals.get(customer, 0.0)
            partner.dunning_max_level_id = levels.get(customer, False)

    def _dunning_statement_moves(self):
        """The customer's overdue open invoices in dunning, and their open charge
        invoices, in the current company."""
        self.ensure_one()
        Move = self.env["account.move"]
        return Move._dunning_overdue_statement(
            Move._dunning_today(),
            self.commercial_partner_id,
            self.env.company,
            with_agency=True,
        )

    def signup_prepare(self, signup_type="signup"):
        """Only the partners whose signup type changes are written: every mail with
        a portal link prepares its customer's signup again (as superuser), and a
        write of a partner goes through every override of partner writes, for
        nothing when the type is already the one asked for. Other callers go the
        usual way, with its access checks (the signup type is for managers)."""
        if not self.env.su:
            return super().signup_prepare(signup_type)
        changing = self.filtered(lambda partner: partner.signup_type != signup_type)
        if not changing:
            return True
        return super(ResPartner, self.browse(changing.ids)).signup_prepare(signup_type)

    def _dunning_statement_total(self):
        return self.env["account.move"]._dunning_format_amounts(
            (move.currency_id, move.amount_residual)
            for move in self._dunning_statement_moves()
        )

    def _dunning_charges_summary(self):
        """(label, formatted amount) of the fees, compensation and interest charged
        on the customer's overdue invoices, waived ones left out."""
        self.ensure_one()
        moves = self._dunning_statement_moves()
        lines = moves.dunning_fee_move_ids.filtered(
            lambda fee: fee.state == "posted" and fee.payment_state != "reversed"
        ).invoice_line_ids
        labels = dict(
            lines._fields["dunning_charge_type"]._description_selection(self.env)
        )
        return [
            (
                labels[kind],
                self.env["account.move"]._dunning_format_amounts(
                    (line.currency_id, line.price_total) for line in group
                ),
            )
            for kind, group in lines.grouped("dunning_charge_type").items()
            if kind
        ]

    def action_dunning_send_statement(self):
        """Open the mail composer with the statement PDF attached."""
        self.ensure_one()
        template = self.env.ref("dunning_escalation.mail_template_dunning_statement")
        return {
            "type": "ir.actions.act_window",
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_model": "res.partner",
                "default_res_ids": self.ids,
                "default_template_id": template.id,
                "default_composition_mode": "comment",
            },
        }

    def action_view_dunning_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [
            ("commercial_partner_id", "=", self.commercial_partner_id.id),
            ("move_type", "in", ("out_invoice", "out_receipt")),
        ]
        action["context"] = {
            "search_default_dunning_overdue": 1,
            "default_move_type": "out_invoice",
        }
        return action

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(DUNNING_SETTINGS & set(vals) for vals in vals_list):
            self.env["account.move"]._dunning_check_group(
                "account.group_account_invoice",
                self.env._("Only invoicing users may change a customer's dunning."),
            )
        return super().create(vals_list)

    def write(self, vals):
        """A customer's dunning settings are the invoicing users' to set (an
        auditor reads them), whatever the form or import."""
        if not self.env.su and DUNNING_SETTINGS & set(vals):
            self.env["account.move"]._dunning_check_group(
                "account.group_account_invoice",
                self.env._("Only invoicing users may change a customer's dunning."),
            )
        return super().write(vals)

    @api.constrains("dunning_policy_id")
    def _check_dunning_policy_company(self):
        for partner in self:
            partner.dunning_policy_id._check_belongs_to(
                self.env.company,
                self.env._("set on %s", partner.display_name),
            )

    def _dunning_sms_number(self):
        """(number in E.164, False) for the SMS reminders of self: its mobile, else
        its phone, read in its country (else its company's) by phone_validation;
        (False, reason) when there is no number it can use."""
        self.ensure_one()
        _ = self.env._
        raw = self.mobile or self.phone if "mobile" in self._fields else self.phone
        if not raw:
            return False, _("%s has no mobile or phone number", self.display_name)
        try:
            number = self._phone_format(
                number=raw,
                country=self.country_id or self.env.company.country_id,
                force_format="E164",
                raise_exception=True,
            )
        except UserError as error:
            return False, _(
                "The number %(number)s of %(partner)s cannot take an SMS: %(error)s",
                number=raw,
                partner=self.display_name,
                error=error.args[0],
            )
        return number, False
