from odoo import api
from odoo import fields
from odoo import models

from ..tools import ladder

DUNNED_MOVE_TYPES = ("out_invoice", "out_receipt")


class AccountMove(models.Model):
    _inherit = "account.move"

    dunning_policy_id = fields.Many2one(
        "dunning.policy",
        string="Dunning Policy",
        compute="_compute_dunning_policy_id",
        store=True,
        copy=False,
        check_company=True,
        help="The customer's dunning policy, else the company's default one.",
        index="btree_not_null",
    )
    dunning_level_id = fields.Many2one(
        "dunning.level",
        string="Dunning Level",
        readonly=True,
        copy=False,
        index="btree_not_null",
        tracking=True,
    )
    dunning_last_date = fields.Date(
        string="Last Dunning Step", readonly=True, copy=False
    )
    dunning_next_date = fields.Date(
        string="Next Dunning Step",
        compute="_compute_dunning_next_date",
        store=True,
        copy=False,
    )
    dunning_blocked_until = fields.Date(
        string="Dunning Blocked Until",
        copy=False,
        tracking=True,
        help="No dunning step is taken before this date.",
    )
    dunning_block_reason = fields.Selection(
        [("dispute", "Disputed"), ("promise", "Promise to Pay"), ("other", "Other")],
        string="Block Reason",
        copy=False,
    )
    dunning_event_ids = fields.One2many(
        "dunning.event",
        "move_id",
        string="Dunning History",
        readonly=True,
    )
    dunning_origin_id = fields.Many2one(
        "account.move",
        string="Dunning Charges For",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The overdue invoice whose late fees or interest this invoice charges.",
    )
    dunning_fee_move_ids = fields.One2many(
        "account.move",
        "dunning_origin_id",
        string="Dunning Charges",
        readonly=True,
    )

    @api.depends("move_type", "company_id.dunning_policy_id")
    def _compute_dunning_policy_id(self):
        for move in self:
            if move.move_type in DUNNED_MOVE_TYPES:
                move.dunning_policy_id = move.company_id.dunning_policy_id
            else:
                move.dunning_policy_id = False

    @api.depends(
        "invoice_date_due",
        "dunning_policy_id.grace_days",
        "dunning_policy_id.level_ids.delay_days",
        "dunning_policy_id.level_ids.sequence",
        "dunning_policy_id.level_ids.active",
        "dunning_level_id",
        "dunning_blocked_until",
    )
    def _compute_dunning_next_date(self):
        for move in self:
            policy = move.dunning_policy_id
            if not policy or not move.invoice_date_due:
                move.dunning_next_date = False
                continue
            steps = [
                ladder.Step(level.id, level.delay_days) for level in policy.level_ids
            ]
            move.dunning_next_date = ladder.next_date(
                steps,
                move.dunning_level_id.id or None,
                move.invoice_date_due,
                grace_days=policy.grace_days,
                blocked_until=move.dunning_blocked_until,
            )
