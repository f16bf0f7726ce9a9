"""The invoice's side of dunning: its fields (policy, level, dates, pause, the
agency, history, charges), what computes them, the guard that lets only the
dunning actions change them, and the buttons and server actions of the invoice
list and form. The run itself is the ``dunning.run`` service; what a reminder
lists is in ``account_move_statement.py``, charges in ``account_move_charges.py``
and ``account_move_waiver.py``, the agency in ``account_move_handoff.py``."""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools import ladder
from ..tools.ladder import Decision

DUNNED_MOVE_TYPES = ("out_invoice", "out_receipt")
# Payment states of an invoice still (partly) due; paid in full by the customer;
# with nothing left to chase (paid, or cancelled by a credit note).
OPEN_STATES = ("not_paid", "partial")
PAID_STATES = ("paid", "in_payment")
SETTLED_STATES = (*PAID_STATES, "reversed")
# Fields the engine writes on invoices (see _dunning_write).
DUNNING_STATE_FIELDS = {
    "dunning_level_id",
    "dunning_last_date",
    "dunning_blocked_until",
    "dunning_block_reason",
    "dunning_block_note",
    "dunning_handed_off",
    "dunning_clock_days",
}
# Fields of the dunning state that only the engine writes (see create/write).
DUNNING_PROTECTED_FIELDS = DUNNING_STATE_FIELDS | {
    "dunning_origin_id",
    "dunning_policy_id",
    "dunning_event_ids",
    "dunning_fee_move_ids",
}
# How the engine writes its bookkeeping on invoices: outside the accounting, so the
# lines are not synchronized again, the balance not checked again, and the invoice
# not marked as edited by hand.
DUNNING_WRITE_CONTEXT = {
    "skip_invoice_sync": True,
    "check_move_validity": False,
    "skip_is_manually_modified": True,
    "skip_account_move_synchronization": True,
}


class AccountMove(models.Model):
    _inherit = "account.move"

    # The job reads each customer's open invoices (the statement of its mail, the
    # overdue totals): indexed, not a scan of every move per customer.
    commercial_partner_id = fields.Many2one(index="btree_not_null")
    # Dunning is for the users who read it (billing users and auditors, and those
    # whose groups imply theirs): to others, salesmen for one, its fields do not
    # exist, in any view of invoices.
    dunning_policy_id = fields.Many2one(
        "dunning.policy",
        string="Dunning Policy",
        compute="_compute_dunning_policy_id",
        store=True,
        copy=False,
        check_company=True,
        index="btree_not_null",
        help="The customer's dunning policy, else the one a rule chooses by its "
        "payment behaviour, else the company's default one.",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_level_id = fields.Many2one(
        "dunning.level",
        string="Dunning Level",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_level_tone = fields.Selection(
        related="dunning_level_id.tone",
        string="Dunning Tone",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_last_date = fields.Date(
        string="Last Dunning Step",
        readonly=True,
        copy=False,
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_next_date = fields.Date(
        string="Next Dunning Step",
        compute="_compute_dunning_next_date",
        store=True,
        copy=False,
        # The job finds its work by it; only open overdue invoices have one.
        index="btree_not_null",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_blocked_until = fields.Date(
        string="Dunning Blocked Until",
        readonly=True,
        copy=False,
        # The job ends the pauses due by it; few invoices have one.
        index="btree_not_null",
        help="No dunning step is taken before this date.",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_block_reason = fields.Selection(
        [
            ("dispute", "Disputed"),
            ("promise", "Promise to Pay"),
            ("other", "Other"),
            ("plan", "Payment Plan"),
        ],
        string="Block Reason",
        readonly=True,
        copy=False,
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_block_note = fields.Char(
        string="Block Note",
        readonly=True,
        copy=False,
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_handed_off = fields.Boolean(
        string="With Collection Agency",
        readonly=True,
        copy=False,
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_event_ids = fields.One2many(
        "dunning.event",
        "move_id",
        string="Dunning History",
        readonly=True,
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_origin_id = fields.Many2one(
        "account.move",
        string="Dunning Charges For",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The overdue invoice whose late fees or interest this invoice charges.",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_fee_move_ids = fields.One2many(
        "account.move",
        "dunning_origin_id",
        string="Dunning Charges",
        readonly=True,
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_days_overdue = fields.Integer(
        string="Days Overdue",
        compute="_compute_dunning_days_overdue",
        groups="account.group_account_invoice,account.group_account_readonly",
    )

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends(
        "move_type",
        "dunning_origin_id",
        "company_id.dunning_policy_id",
        "partner_id.commercial_partner_id.dunning_policy_id",
        "partner_id.commercial_partner_id.dunning_rule_id.policy_id",
    )
    def _compute_dunning_policy_id(self):
        for move in self:
            # Charge invoices are reminded with the invoice they charge for.
            if move.move_type not in DUNNED_MOVE_TYPES or move.dunning_origin_id:
                move.dunning_policy_id = False
                continue
            partner = move.partner_id.commercial_partner_id.with_company(
                move.company_id
            )
            move.dunning_policy_id = (
                partner.dunning_policy_id
                or partner.dunning_rule_id.policy_id
                or move.company_id.dunning_policy_id
            )

    @api.depends(
        "invoice_date_due",
        "payment_state",
        "state",
        "dunning_handed_off",
        "dunning_policy_id.grace_days",
        "dunning_policy_id.level_ids.delay_days",
        "dunning_policy_id.level_ids.sequence",
        "dunning_policy_id.level_ids.active",
        "dunning_level_id.delay_days",
        "dunning_blocked_until",
        "dunning_clock_days",
        "dunning_charges_open",
    )
    def _compute_dunning_next_date(self):
        for move in self:
            policy = move.dunning_policy_id
            if (
                not policy
                or not move.invoice_date_due
                or move.state != "posted"
                or not move._dunning_debt_open()
                or move.dunning_handed_off
            ):
                move.dunning_next_date = False
                continue
            move.dunning_next_date = ladder.next_date(
                policy._steps(),
                move.dunning_level_id or None,
                move._dunning_ladder_due(),
                grace_days=policy.grace_days,
                blocked_until=move.dunning_blocked_until,
                current_delay=move.dunning_level_id.delay_days,
            )

    @api.depends_context("dunning_date")
    @api.depends("invoice_date_due")
    def _compute_dunning_days_overdue(self):
        today = self._dunning_today()
        for move in self:
            due = move.invoice_date_due
            move.dunning_days_overdue = (today - due).days if due else 0

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        self._dunning_check_protected({key for vals in vals_list for key in vals})
        return super().create(vals_list)

    def write(self, vals):
        self._dunning_check_protected(vals)
        return super().write(vals)

    def button_draft(self):
        self._dunning_check_no_plan()
        return super().button_draft()

    def button_cancel(self):
        self._dunning_check_no_plan()
        return super().button_cancel()

    def _reverse_moves(self, default_values_list=None, cancel=False):
        # A credit note would count as a payment of the plan's instalments.
        self._dunning_check_no_plan()
        return super()._reverse_moves(default_values_list, cancel)

    def _dunning_check_protected(self, names):
        """The dunning state of an invoice changes through dunning's actions
        only (each with its group), never by an import or a plain write."""
        protected = sorted(DUNNING_PROTECTED_FIELDS & set(names))
        if protected and not self.env.su:
            raise AccessError(
                self.env._(
                    "%(fields)s can only be changed through the dunning actions "
                    "(Escalate, Block, Hand Off, Recall), not by editing or "
                    "importing invoices.",
                    fields=", ".join(
                        self._fields[name]._description_string(self.env)
                        for name in protected
                    ),
                )
            )

    # ------------------------------------------------------------------
    # Actions (buttons and server actions)
    # ------------------------------------------------------------------

    def action_dunning_escalate(self):
        """Take the next level's steps now, whatever the age of the invoices."""
        moves = self._dunning_check_actionable()._dunning_check_in_house()
        decisions = []
        for move in moves:
            steps = move.dunning_policy_id._steps()
            index = ladder.next_index(
                steps, move.dunning_level_id or None, move.dunning_level_id.delay_days
            )
            if index is None:
                decisions.append(
                    Decision(move, False, [], "top", self.env._("Already at the top"))
                )
                continue
            decisions.append(
                Decision(
                    move,
                    steps[index].key,
                    [],
                    "manual",
                    self.env._("Escalated by %s", self.env.user.name),
                )
            )
        self.env["dunning.run"]._run_decisions(decisions, self._dunning_today())
        return self._dunning_notify_done(decisions)

    def action_dunning_send_again(self):
        """Send the current level's message again (a new message, not a new level)."""
        moves = (
            self._dunning_check_actionable()
            ._dunning_check_in_house()
            .filtered("dunning_level_id")
        )
        if not moves:
            raise UserError(
                self.env._("None of these invoices has reached a dunning level yet.")
            )
        decisions = [
            Decision(move, move.dunning_level_id, [], "resend", "") for move in moves
        ]
        self.env["dunning.channel.mail"]._send_again(decisions, self._dunning_today())
        return self._dunning_notify_done(decisions)

    def _dunning_notify_done(self, decisions):
        moved = [d for d in decisions if d.level]
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if moved else "warning",
                "message": self.env._(
                    "%(done)s of %(total)s invoice(s) handled.",
                    done=len(moved),
                    total=len(decisions),
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_dunning_block(self):
        self._dunning_check_actionable()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Block Dunning"),
            "res_model": "dunning.block.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_move_ids": self.ids},
        }

    def action_dunning_unblock(self):
        self._dunning_check_group(
            "account.group_account_invoice",
            self.env._("Only invoicing users may unblock dunning."),
        )
        self.check_access("write")
        self._dunning_check_no_plan()
        blocked = self.filtered("dunning_blocked_until")
        blocked._dunning_unblock(self.env._("Unblocked by %s", self.env.user.name))
        return True

    def action_dunning_handoff(self):
        moves = self._dunning_check_actionable().filtered(
            lambda m: not m.dunning_handed_off
        )
        moves._dunning_handoff(self._dunning_today())
        return True

    def action_dunning_payment_plan(self):
        """A draft payment plan for the selected invoices, to fill in and agree."""
        Plan = self.env["dunning.plan"]
        plan = Plan.sudo().create(Plan._prepare_for_moves(self)).with_env(self.env)
        plan.action_compute_schedule()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Payment Plan"),
            "res_model": "dunning.plan",
            "res_id": plan.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_dunning_dry_run(self):
        wizard = self.env["dunning.run.wizard"].create(
            {"move_ids": self.ids, "date": self._dunning_today()}
        )
        wizard.action_preview()
        return wizard._action_open()

    @api.model
    def _cron_dunning_run(self):
        """The daily job (``ir_cron_dunning_run``): one run of the dunning.run
        service for every company."""
        self.env["dunning.run"]._cron_dunning_run()

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _dunning_today(self):
        day = self.env.context.get("dunning_date")
        return fields.Date.to_date(day) if day else fields.Date.context_today(self)

    def _dunning_write(self, vals):
        """Write dunning bookkeeping on invoices, for a user who may write them:
        past the guard that keeps these fields to the dunning actions, in the
        context that keeps the accounting out of it (DUNNING_WRITE_CONTEXT)."""
        unexpected = set(vals) - DUNNING_STATE_FIELDS
        if unexpected:
            raise ValueError(f"not dunning bookkeeping fields: {sorted(unexpected)}")
        self.check_access("write")
        return self.sudo().with_context(**DUNNING_WRITE_CONTEXT).write(vals)

    def _dunning_check_group(self, group, message):
        """Refuse with ``message`` unless the user is in ``group``: each dunning
        action belongs to one group, whatever the path (button, server action,
        RPC). The job itself runs as superuser."""
        if not self.env.su and not self.env.user.has_group(group):
            raise AccessError(message)

    def _dunning_check_actionable(self):
        """The invoices of self that dunning can act on; a clear error otherwise."""
        # Acting sends and books on the invoices: refused before anything is done
        # to whoever may only read them, or may write invoices for another app.
        self._dunning_check_group(
            "account.group_account_invoice",
            self.env._(
                "Only invoicing users may take dunning steps (escalate, send, "
                "block, hand over)."
            ),
        )
        self.check_access("write")
        wrong = self.filtered(
            lambda m: m.move_type not in DUNNED_MOVE_TYPES or m.state != "posted"
        )
        if wrong:
            raise UserError(
                self.env._(
                    "Dunning applies to posted customer invoices only; not to: %s",
                    ", ".join(wrong.mapped("display_name")),
                )
            )
        paid = self.filtered(lambda m: not m._dunning_debt_open())
        if paid:
            raise UserError(
                self.env._(
                    "These invoices are paid or reversed: %s",
                    ", ".join(paid.mapped("display_name")),
                )
            )
        self._dunning_check_no_plan()
        nopolicy = self.filtered(lambda m: not m.dunning_policy_id)
        if nopolicy:
            raise UserError(
                self.env._(
                    "These invoices have no dunning policy: %s. Set a default policy "
                    "in Accounting settings, or one on the customer.",
                    ", ".join(nopolicy.mapped("display_name")),
                )
            )
        return self

    def _dunning_check_no_plan(self):
        """Refuse the invoices of self that a running payment plan holds: only
        the plan ends their pause (kept, broken or cancelled)."""
        plans = (
            self.env["dunning.plan"]
            .sudo()
            .search([("move_ids", "in", self.ids), ("state", "=", "running")])
        )
        if plans:
            raise UserError(
                self.env._(
                    "These invoices are under a running payment plan (%(plans)s): "
                    "%(invoices)s. Cancel the plan first to remind the customer, "
                    "block, hand over, reset, cancel or credit them otherwise.",
                    plans=", ".join(plans.mapped("name")),
                    invoices=", ".join((plans.move_ids & self).mapped("display_name")),
                )
            )
        return self

    def _dunning_check_in_house(self):
        """Refuse the invoices of self that are with the agency: their reminders
        and levels are the agency's until they are recalled."""
        with_agency = self.filtered("dunning_handed_off")
        if with_agency:
            raise UserError(
                self.env._(
                    "These invoices are with the collection agency: %s. Recall them "
                    "first to remind the customer yourself.",
                    ", ".join(with_agency.mapped("display_name")),
                )
            )
        return self

    def _dunning_recipient(self):
        """Who receives the reminders of this invoice: the customer's dunning contact
        when it names one, else the invoice address."""
        self.ensure_one()
        customer = self.commercial_partner_id.with_company(self.company_id)
        return customer.dunning_contact_id or self.partner_id

    def _dunning_responsible_user(self, group=None):
        """The person who follows up on self's dunning (activities of the job,
        the customer's answers): the policy's responsible user, else the
        invoice's salesperson, else the company's dunning responsible, else one
        of its accounting administrators; never the job's technical user. With
        ``group`` (an XML id), the first of them who is in that group."""
        self.ensure_one()
        company = self.company_id
        return company._dunning_person(
            (
                self.dunning_policy_id.user_id,
                self.invoice_user_id,
                company.dunning_user_id,
            ),
            group,
        ) or self.env.ref("base.user_admin")

    def _dunning_legal_profile(self):
        self.ensure_one()
        return self.dunning_policy_id._legal_profile_for(self.commercial_partner_id)

    def _dunning_record(self, kind, reason, state="done"):
        """An event of ``kind`` on each invoice of self, at its current level."""
        today = self._dunning_today()
        Event = self.env["dunning.event"].sudo()
        return Event.create(
            [
                Event._prepare_values(
                    move,
                    kind,
                    today,
                    level=move.dunning_level_id,
                    state=state,
                    reason=reason,
                )
                for move in self
            ]
        )

    def action_dunning_recall(self):
        """Take cases back from the agency into in-house dunning: each invoice
        returns to the last level before the handoff, paused for the ladder's
        interval before the handoff (the next step date); if it is still unpaid
        then, the job hands it over again."""
        self._dunning_check_group(
            "account.group_account_manager",
            self.env._("Only accounting administrators may recall a case."),
        )
        moves = self.filtered("dunning_handed_off")
        if not moves:
            raise UserError(self.env._("None of these invoices is with the agency."))
        moves._dunning_recall(
            self.env._("Recalled from the agency by %s", self.env.user.name)
        )
        return True

    def _dunning_block(self, until, reason, note=False):
        kind = {"dispute": "dispute", "promise": "promise", "plan": "plan"}.get(
            reason, "block"
        )
        self._dunning_write(
            {
                "dunning_blocked_until": until,
                "dunning_block_reason": reason,
                "dunning_block_note": note,
            }
        )
        return self._dunning_record(
            kind,
            self.env._(
                "Blocked until %(date)s%(note)s",
                date=until,
                note=f": {note}" if note else "",
            ),
        )

    def _dunning_unblock(self, reason, promise_broken=False):
        events = self._dunning_record("unblock", reason)
        if promise_broken:
            events.promise_broken = True
        self._dunning_write(
            {
                "dunning_blocked_until": False,
                "dunning_block_reason": False,
                "dunning_block_note": False,
            }
        )
