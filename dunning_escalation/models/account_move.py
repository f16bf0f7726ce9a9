import datetime
import logging
import uuid
from collections import defaultdict
from typing import NamedTuple

from odoo import Command, api, fields, models, modules
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, pdf

from ..tools import ladder
from ..tools import legal
from .account_move_mail import QueuedMail

_logger = logging.getLogger(__name__)

DUNNED_MOVE_TYPES = ("out_invoice", "out_receipt")
# Payment states of an invoice settled in full.
PAID_STATES = ("paid", "in_payment", "reversed")
# Fields the engine writes on invoices (see _dunning_write).
DUNNING_STATE_FIELDS = {
    "dunning_level_id",
    "dunning_last_date",
    "dunning_blocked_until",
    "dunning_block_reason",
    "dunning_block_note",
    "dunning_handed_off",
}
# Fields of the dunning state that only the engine writes (see create/write).
DUNNING_PROTECTED_FIELDS = DUNNING_STATE_FIELDS | {
    "dunning_origin_id",
    "dunning_policy_id",
    "dunning_event_ids",
    "dunning_fee_move_ids",
}
ONE_DAY = datetime.timedelta(days=1)
# The kinds of event a level's charges are recorded as ("fee": fixed and percentage
# fees and the recovery compensation).
CHARGE_KINDS = ("fee", "interest")
# Partners (customers) handled per transaction by the scheduled job.
PARTNER_BATCH = 200


class Decision(NamedTuple):
    """What the run decides for one invoice today, and why.

    ``level`` is the level the invoice goes to (False: it stays where it is),
    ``skipped`` the levels it jumps over on the way, ``reason`` a sentence for the
    user, ``code`` a stable key for the dry run and the tests.
    """

    move: object
    level: object
    skipped: object
    code: str
    reason: str


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
        help="The customer's dunning policy, else the company's default one.",
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
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_blocked_until = fields.Date(
        string="Dunning Blocked Until",
        readonly=True,
        copy=False,
        help="No dunning step is taken before this date.",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_block_reason = fields.Selection(
        [("dispute", "Disputed"), ("promise", "Promise to Pay"), ("other", "Other")],
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
                partner.dunning_policy_id or move.company_id.dunning_policy_id
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
    )
    def _compute_dunning_next_date(self):
        for move in self:
            policy = move.dunning_policy_id
            if (
                not policy
                or not move.invoice_date_due
                or move.state != "posted"
                or move.payment_state not in ("not_paid", "partial")
                or move.dunning_handed_off
            ):
                move.dunning_next_date = False
                continue
            move.dunning_next_date = ladder.next_date(
                policy._steps(),
                move.dunning_level_id or None,
                move.invoice_date_due,
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
        self._dunning_execute(decisions)
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
        self._dunning_send_messages(decisions, self._dunning_today(), resend=True)
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
        blocked = self.filtered("dunning_blocked_until")
        blocked._dunning_unblock(self.env._("Unblocked by %s", self.env.user.name))
        return True

    def action_dunning_handoff(self):
        moves = self._dunning_check_actionable().filtered(
            lambda m: not m.dunning_handed_off
        )
        moves._dunning_handoff(self._dunning_today())
        return True

    def action_dunning_dry_run(self):
        wizard = self.env["dunning.run.wizard"].create(
            {"move_ids": self.ids, "date": self._dunning_today()}
        )
        wizard.action_preview()
        return wizard._action_open()

    # ------------------------------------------------------------------
    # Business methods: deciding
    # ------------------------------------------------------------------

    def _dunning_today(self):
        return self.env.context.get("dunning_date") or fields.Date.context_today(self)

    @api.model
    def _dunning_candidate_domain(self, companies=None, with_agency=False):
        """Invoices the job looks at: open, posted customer invoices with a policy,
        not with the agency (with them when ``with_agency``: what the customer owes)."""
        domain = [
            ("move_type", "in", DUNNED_MOVE_TYPES),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("dunning_policy_id", "!=", False),
            ("invoice_date_due", "!=", False),
        ]
        if not with_agency:
            domain.append(("dunning_handed_off", "=", False))
        if companies is not None:
            domain.append(("company_id", "in", companies.ids))
        return domain

    @api.model
    def _dunning_overdue_domain(
        self,
        today,
        partners,
        companies=None,
        policy=None,
        unblocked=False,
        with_agency=False,
    ):
        """Open invoices in dunning of the commercial ``partners``, past due on
        ``today``; under ``policy`` only when given, without the invoices still
        blocked on ``today`` when ``unblocked``, with those at the agency when
        ``with_agency``."""
        domain = [
            *self._dunning_candidate_domain(companies, with_agency=with_agency),
            ("commercial_partner_id", "in", partners.ids),
            ("invoice_date_due", "<", today),
        ]
        if policy:
            domain.append(("dunning_policy_id", "=", policy.id))
        if unblocked:
            domain += [
                "|",
                ("dunning_blocked_until", "=", False),
                ("dunning_blocked_until", "<=", today),
            ]
        return domain

    @api.model
    def _dunning_overdue_statement(self, today, partner, company, **options):
        """What a statement of ``partner`` lists: its overdue open invoices (see
        _dunning_overdue_domain for ``options``), oldest first, and their open
        charge invoices."""
        overdue = self.search(
            self._dunning_overdue_domain(today, partner, company, **options),
            order="invoice_date_due, id",
        )
        return overdue | overdue._dunning_open_charges()

    def _dunning_write(self, vals):
        """Write dunning bookkeeping on invoices.

        ``account.move.write`` re-synchronizes the lines of every move it touches
        and flags it as manually modified; the dunning fields are outside the
        accounting, so they go through the ORM's own write (which still recomputes
        what depends on them and checks access), one query per batch.
        """
        unexpected = set(vals) - DUNNING_STATE_FIELDS
        if unexpected:
            raise ValueError(f"not dunning bookkeeping fields: {sorted(unexpected)}")
        self.check_access("write")
        return models.BaseModel.write(self, vals)

    def _dunning_ensure_access_tokens(self):
        """Give every invoice of self a portal access token (the pay link of the
        reminders), in one query: the portal's own per-record write goes through
        ``account.move.write``, which re-synchronizes each invoice's lines."""
        missing = self.filtered(lambda move: not move.access_token)
        if not missing:
            return
        tokens = [str(uuid.uuid4()) for _move in missing]
        values = SQL(", ").join(
            SQL("(%s, %s)", move.id, token)
            for move, token in zip(missing, tokens, strict=True)
        )
        self.env.cr.execute(
            SQL(
                "UPDATE account_move AS move SET access_token = token.value "
                "FROM (VALUES %s) AS token(id, value) WHERE move.id = token.id",
                values,
            )
        )
        # The new tokens go in the cache: read back, they would fetch every field
        # of the invoices again, once per reminder.
        missing.invalidate_recordset(["access_token"])
        self._fields["access_token"]._insert_cache(missing, tokens)

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
        paid = self.filtered(lambda m: m.payment_state not in ("not_paid", "partial"))
        if paid:
            raise UserError(
                self.env._(
                    "These invoices are paid or reversed: %s",
                    ", ".join(paid.mapped("display_name")),
                )
            )
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

    def _dunning_decide(self, today):
        """Decide, for each invoice of self, which level it goes to today and why.

        Pure: reads only, changes nothing. Returns a list of ``Decision``.
        """
        _ = self.env._
        decisions = []
        overdue_by_partner = self._dunning_overdue_totals(today)
        for move in self:
            policy = move.dunning_policy_id
            partner = move.partner_id.commercial_partner_id.with_company(
                move.company_id
            )
            current = move.dunning_level_id

            def decide(code, reason, level=False, skipped=(), move=move):
                decisions.append(Decision(move, level, list(skipped), code, reason))

            if not policy:
                decide("no_policy", _("No dunning policy"))
            elif move.state != "posted" or move.move_type not in DUNNED_MOVE_TYPES:
                decide("not_open", _("Not a posted customer invoice"))
            elif move.payment_state not in ("not_paid", "partial"):
                decide("paid", _("Paid"))
            elif move.dunning_handed_off:
                decide("handed_off", _("With the collection agency"))
            elif partner.dunning_excluded:
                decide("excluded", _("Customer excluded from dunning"))
            elif move.no_followup:
                decide("no_followup", _("Excluded from follow-ups"))
            elif move.dunning_blocked_until and move.dunning_blocked_until > today:
                decide(
                    "blocked",
                    _(
                        "Blocked until %(date)s (%(reason)s)",
                        date=move.dunning_blocked_until,
                        reason=dict(
                            move._fields["dunning_block_reason"]._description_selection(
                                self.env
                            )
                        ).get(move.dunning_block_reason, ""),
                    ),
                )
            elif move.dunning_last_date and move.dunning_last_date >= today:
                decide("done_today", _("A step was already taken today"))
            else:
                steps = policy._steps()
                index = ladder.warranted_index(
                    steps, move.invoice_date_due, today, policy.grace_days
                )
                # A level switched off since, or of the customer's former policy,
                # stands where its delay puts it: an invoice never goes down.
                current_index = ladder.position(
                    steps, current or None, current.delay_days
                )
                current_index = -1 if current_index is None else current_index
                total = overdue_by_partner.get((policy.id, partner.id), 0.0)
                if index is None:
                    if move.invoice_date_due < today:
                        decide("grace", _("In the grace period"))
                    else:
                        decide("not_due", _("Not due yet"))
                elif index <= current_index:
                    decide("at_level", _("Already at the level its age warrants"))
                elif policy.currency_id.compare_amounts(total, policy.min_amount) < 0:
                    decide(
                        "below_min",
                        _(
                            "Overdue total %(total)s is below the policy's minimum "
                            "%(minimum)s",
                            total=policy.currency_id.format(total),
                            minimum=policy.currency_id.format(policy.min_amount),
                        ),
                    )
                else:
                    target = steps[index].key
                    skipped = [s.key for s in steps[current_index + 1 : index]]
                    days = (today - move.invoice_date_due).days
                    decide(
                        "escalate",
                        _("%(days)s days overdue", days=days),
                        level=target,
                        skipped=skipped,
                    )
        return decisions

    def _dunning_overdue_totals(self, today):
        """Overdue amount due per (policy, customer), in company currency, in one
        query over every open invoice of the customers of self."""
        partners = self.partner_id.commercial_partner_id
        if not partners:
            return {}
        groups = self.env["account.move"]._read_group(
            self._dunning_overdue_domain(today, partners),
            ["dunning_policy_id", "commercial_partner_id"],
            ["amount_residual_signed:sum"],
        )
        return {(policy.id, partner.id): total for policy, partner, total in groups}

    # ------------------------------------------------------------------
    # Business methods: acting
    # ------------------------------------------------------------------

    @api.model
    def _dunning_execute(self, decisions, today=None):
        """Take the steps of the decisions that move an invoice to a level."""
        today = today or self._dunning_today()
        moving = [d for d in decisions if d.level]
        if not moving:
            return
        Event = self.env["dunning.event"].sudo()
        moves = self.browse([d.move.id for d in moving])
        done = moves._dunning_done_steps()
        skipped_vals = []
        for decision in moving:
            for level in decision.skipped:
                if (decision.move.id, level.id, "skipped") in done:
                    continue
                skipped_vals.append(
                    {
                        "move_id": decision.move.id,
                        "partner_id": decision.move.commercial_partner_id.id,
                        "level_id": level.id,
                        "kind": "skipped",
                        "date": today,
                        "reason": self.env._(
                            "Jumped over: the invoice was already at a later level "
                            "(%s)",
                            decision.reason,
                        ),
                    }
                )
        if skipped_vals:
            Event.create(skipped_vals)
        # The channels of one customer list the same invoices: read them once.
        statements = {}
        sent = self._dunning_send_messages(moving, today, statements=statements)
        self._dunning_send_sms(moving, today, statements)
        self._dunning_send_letters(moving, today, statements)
        for level in {d.level for d in moving if d.level.handoff}:
            self.browse(
                [d.move.id for d in moving if d.level == level]
            )._dunning_handoff(today, level=level)
        activities = [d for d in moving if d.level.activity_type_id]
        self._dunning_schedule_activities(activities, today)
        # The level moves, and charges, once its message is queued (or when it has
        # none).
        advanced = [d for d in moving if d.move.id in sent or not _needs_mail(d)]
        for decision in advanced:
            if decision.level._charges():
                decision.move._dunning_charge(decision.level, today)
        by_level = defaultdict(list)
        for decision in advanced:
            by_level[decision.level].append(decision.move.id)
        for level, move_ids in by_level.items():
            self.browse(move_ids)._dunning_write(
                {"dunning_level_id": level.id, "dunning_last_date": today}
            )

    def _dunning_done_steps(self):
        """(move id, level id, kind) of the steps already taken for self, done."""
        if not self:
            return set()
        rows = (
            self.env["dunning.event"]
            .sudo()
            ._read_group(
                [
                    ("move_id", "in", self.ids),
                    ("state", "=", "done"),
                    ("level_id", "!=", False),
                ],
                ["move_id", "level_id", "kind"],
            )
        )
        return {(move.id, level.id, kind) for move, level, kind in rows}

    @api.model
    def _dunning_send_messages(self, decisions, today, resend=False, statements=None):
        """Send the level emails of the decisions: one per customer when the policy
        says so, else one per invoice. Returns the ids of the invoices whose message
        is queued (or that need none)."""
        to_mail = [d for d in decisions if _needs_mail(d)]
        if not to_mail:
            return set()
        moves = self.browse([d.move.id for d in to_mail])
        done = set() if resend else moves._dunning_done_steps()
        # A step already delivered is never sent again, but it counts as delivered.
        queued = {
            d.move.id for d in to_mail if (d.move.id, d.level.id, "email") in done
        }
        to_mail = [d for d in to_mail if d.move.id not in queued]
        # Each template's body is compiled once for all the customers of the batch,
        # and their messages are queued together.
        qweb_cache = {}
        prepared = []
        for group, statement in self._dunning_message_statements(
            to_mail, today, statements
        ):
            lead = _lead(group)
            template = lead.level.mail_template_id
            partner = lead.move._dunning_recipient()
            if template:
                mail, error = lead.move.with_context(
                    dunning_qweb_cache=qweb_cache
                )._dunning_prepare_mail(template, partner, statement, lead.level)
            else:
                mail, error = (
                    False,
                    self.env._(
                        "Level %s has no email template (it was deleted) and nothing "
                        "else to do: set a template on the level.",
                        lead.level.name,
                    ),
                )
            prepared.append((group, template, partner, mail, error))
        to_queue = [mail for _g, _t, _p, mail, _e in prepared if mail]
        messages = iter(self._dunning_queue_mails(to_queue))
        new_events = []
        for group, template, partner, mail, error in prepared:
            message = next(messages) if mail else False
            for decision in group:
                vals = {
                    "move_id": decision.move.id,
                    "partner_id": partner.id,
                    "level_id": decision.level.id,
                    "kind": "email",
                    "template_name": template.name,
                    "date": today,
                    "state": "failed" if error else "done",
                    "mail_message_id": message.id if message else False,
                    "reason": error
                    or self.env._(
                        "%(template)s sent to %(email)s",
                        template=template.name,
                        email=partner.email,
                    ),
                }
                if resend:
                    # A step of its own, outside the level's history.
                    vals["level_id"] = False
                    vals["reason"] = self.env._(
                        "Sent again at level %(level)s: %(reason)s",
                        level=decision.level.name,
                        reason=vals["reason"],
                    )
                new_events.append(vals)
                if not error:
                    queued.add(decision.move.id)
        # A level taken again after a failed mail reuses that failed event.
        self._dunning_save_steps(new_events)
        return queued

    @api.model
    def _dunning_send_sms(self, decisions, today, statements=None):
        """Send the level SMS of the decisions, grouped like the emails, to the
        recipient's mobile or phone in E.164. A missing or invalid number, or a
        template that fails, records a failed step and stops nothing else."""
        _ = self.env._
        to_sms = [d for d in decisions if d.level.sms_template_id]
        if not to_sms:
            return
        done = self.browse([d.move.id for d in to_sms])._dunning_done_steps()
        to_sms = [d for d in to_sms if (d.move.id, d.level.id, "sms") not in done]
        new_events = []
        for group, statement in self._dunning_message_statements(
            to_sms, today, statements
        ):
            lead = _lead(group)
            partner = lead.move._dunning_recipient()
            number, error = partner._dunning_sms_number()
            message = False
            if not error:
                template = lead.level.sms_template_id
                try:
                    body = template.with_context(
                        dunning_statement_ids=statement.ids, dunning_date=today
                    )._render_field("body", lead.move.ids, compute_lang=True)[
                        lead.move.id
                    ]
                except Exception as exc:
                    error = _(
                        "SMS template %(name)s failed: %(error)s",
                        name=template.name,
                        error=exc,
                    )
            if not error:
                message = lead.move._message_sms(
                    body,
                    partner_ids=partner.ids,
                    sms_pid_to_number={partner.id: number},
                    put_in_queue=True,
                )
            for decision in group:
                new_events.append(
                    {
                        "move_id": decision.move.id,
                        "partner_id": partner.id,
                        "level_id": decision.level.id,
                        "kind": "sms",
                        "template_name": lead.level.sms_template_id.name,
                        "date": today,
                        "state": "failed" if error else "done",
                        "mail_message_id": message.id if message else False,
                        "reason": error or _("SMS to %s", number),
                    }
                )
        self._dunning_save_steps(new_events)

    @api.model
    def _dunning_save_steps(self, vals_list):
        """Record the steps of ``vals_list``; a step that failed before (a level
        taken again) gets the new outcome on its event instead of a second one."""
        Event = self.env["dunning.event"].sudo()
        failed = {
            (event.move_id.id, event.level_id.id, event.kind): event
            for event in Event.search(
                [
                    ("move_id", "in", [vals["move_id"] for vals in vals_list]),
                    ("kind", "in", list({vals["kind"] for vals in vals_list})),
                    ("state", "=", "failed"),
                    ("level_id", "!=", False),
                ]
            )
        }
        new = []
        for vals in vals_list:
            event = failed.get((vals["move_id"], vals["level_id"], vals["kind"]))
            if event:
                event.write(vals)
            else:
                new.append(vals)
        return Event.create(new)

    @api.model
    def _dunning_send_letters(self, decisions, today, statements=None):
        """Render the level letters of the decisions (one per message group) to PDF,
        store each on the invoice and its events, for the letters-to-print list."""
        _ = self.env._
        to_print = [d for d in decisions if d.level.send_letter]
        if not to_print:
            return
        done = self.browse([d.move.id for d in to_print])._dunning_done_steps()
        to_print = [
            d for d in to_print if (d.move.id, d.level.id, "letter") not in done
        ]
        report = self.env.ref("dunning_escalation.action_report_dunning_letter")
        new_events = []
        for group, statement in self._dunning_message_statements(
            to_print, today, statements
        ):
            lead = _lead(group)
            partner = lead.move._dunning_recipient()
            attachment = self.env["ir.attachment"]
            try:
                content, _kind = (
                    report.sudo()
                    .with_context(
                        dunning_statement_ids=statement.ids,
                        dunning_level_id=lead.level.id,
                        dunning_date=today,
                        # Always a PDF, never the HTML Odoo falls back to in tests.
                        force_report_rendering=True,
                    )
                    ._render_qweb_pdf(report.report_name, lead.move.ids)
                )
                attachment = attachment.sudo().create(
                    {
                        "name": _(
                            "Dunning letter %(level)s %(partner)s %(date)s.pdf",
                            level=lead.level.name,
                            partner=partner.commercial_partner_id.name,
                            date=today,
                        ),
                        "raw": content,
                        "res_model": "account.move",
                        "res_id": lead.move.id,
                        "mimetype": "application/pdf",
                    }
                )
                error = False
            except Exception as exc:
                error = _("Letter failed: %s", exc)
            registered = lead.level.letter_registered
            for decision in group:
                new_events.append(
                    {
                        "move_id": decision.move.id,
                        "partner_id": partner.id,
                        "level_id": decision.level.id,
                        "kind": "letter",
                        "date": today,
                        "state": "failed" if error else "done",
                        "attachment_id": attachment.id or False,
                        "letter_registered": registered,
                        "reason": error
                        or (
                            _("Registered letter to print for %s", partner.display_name)
                            if registered
                            else _("Letter to print for %s", partner.display_name)
                        ),
                    }
                )
        self._dunning_save_steps(new_events)

    def _dunning_letter_level(self):
        """The level a letter being rendered speaks for."""
        self.ensure_one()
        level_id = self.env.context.get("dunning_level_id")
        return (
            self.env["dunning.level"].browse(level_id)
            if level_id
            else (self.dunning_level_id)
        )

    def _dunning_letter_is_final(self):
        """Whether the letter is the final notice: its level is the handoff, or the
        next level is."""
        self.ensure_one()
        level = self._dunning_letter_level()
        if not level:
            return False
        steps = level.policy_id._steps()
        index = ladder.next_index(steps, level, level.delay_days)
        return level.handoff or (index is not None and steps[index].key.handoff)

    @api.model
    def _dunning_message_groups(self, decisions):
        """Decisions grouped into messages: per customer (and policy, company) when
        the policy consolidates, else one per invoice."""
        groups = defaultdict(list)
        for decision in decisions:
            move = decision.move
            policy = move.dunning_policy_id
            if policy.consolidate_per_partner:
                key = (policy.id, move.commercial_partner_id.id)
            else:
                key = (policy.id, move.commercial_partner_id.id, move.id)
            groups[key].append(decision)
        return list(groups.values())

    @api.model
    def _dunning_message_statements(self, decisions, today, statements=None):
        """The messages of the decisions (see _dunning_message_groups), each with
        the invoices it lists: [(decisions, invoices)]. ``statements`` keeps the
        invoices listed for the other channels of the same run."""
        groups = self._dunning_message_groups(decisions)
        statements = {} if statements is None else statements
        self._dunning_statements_for(groups, today, statements)
        return [(group, statements[_group_key(group)]) for group in groups]

    @api.model
    def _dunning_statements_for(self, groups, today, statements):
        """Fill ``statements`` with the invoices each message of ``groups`` lists,
        with their pay-link tokens: every overdue open invoice of the customer under
        the same policy and their open charges (consolidated), else the invoice
        itself. One search for all the consolidated customers and one for their
        charges, instead of two per customer."""
        pending = {
            key: self.browse(sorted(key))
            for key in map(_group_key, groups)
            if key not in statements
        }
        if not pending:
            return
        consolidated = {
            key: moves
            for key, moves in pending.items()
            if moves[0].dunning_policy_id.consolidate_per_partner
        }
        listed = defaultdict(list)
        charges = defaultdict(list)
        if consolidated:
            leads = self.browse([moves[0].id for moves in consolidated.values()])
            for move in self.search(
                [
                    *self._dunning_overdue_domain(
                        today,
                        leads.commercial_partner_id,
                        leads.company_id,
                        unblocked=True,
                    ),
                    ("dunning_policy_id", "in", leads.dunning_policy_id.ids),
                ],
                order="invoice_date_due, id",
            ):
                listed[_statement_key(move)].append(move.id)
            for key, moves in consolidated.items():
                overdue = self.browse(listed[_statement_key(moves[0])])
                consolidated[key] = overdue | moves
            for charge in self.search(
                [
                    (
                        "dunning_origin_id",
                        "in",
                        [i for moves in consolidated.values() for i in moves.ids],
                    ),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                ],
                order="id",
            ):
                charges[charge.dunning_origin_id.id].append(charge.id)
        every = []
        for key, moves in pending.items():
            if key in consolidated:
                invoices = consolidated[key]
                statement = invoices | self.browse(
                    [charge for move in invoices.ids for charge in charges[move]]
                )
            else:
                statement = moves[0]
            statements[key] = statement
            every += statement.ids
        self.browse(every)._dunning_ensure_access_tokens()

    def _dunning_recipient(self):
        """Who receives the reminders of this invoice: the customer's dunning contact
        when it names one, else the invoice address."""
        self.ensure_one()
        customer = self.commercial_partner_id.with_company(self.company_id)
        return customer.dunning_contact_id or self.partner_id

    def _dunning_prepare_mail(self, template, partner, statement, level):
        """Render ``template`` on self for ``partner`` listing ``statement``, with its
        author and sender: (QueuedMail, False), or (False, why it cannot be sent)."""
        self.ensure_one()
        _ = self.env._
        if not partner.email:
            return False, _("%s has no email address", partner.display_name)
        if not partner.active:
            # Odoo does not mail archived contacts: the message would go nowhere.
            return False, _(
                "%s is archived and gets no email: restore the contact or give the "
                "customer another dunning contact.",
                partner.display_name,
            )
        try:
            rendered = template.with_context(
                dunning_qweb_cache=self.env.context.get("dunning_qweb_cache"),
                dunning_statement_ids=statement.ids,
                dunning_level_id=level.id,
                dunning_date=self._dunning_today(),
            )._generate_template([self.id], ("subject", "body_html", "email_from"))[
                self.id
            ]
        except Exception as error:
            _logger.warning("dunning: template %s failed: %s", template.name, error)
            return False, _(
                "Template %(name)s failed: %(error)s", name=template.name, error=error
            )
        policy = self.dunning_policy_id
        return (
            QueuedMail(
                move=self,
                partner=partner,
                subject=rendered.get("subject") or template.name,
                body=rendered.get("body_html", ""),
                email_from=policy.email_from
                or rendered.get("email_from")
                or self.company_id.email_formatted,
                author=policy.user_id.partner_id
                or self.invoice_user_id.partner_id
                or self.company_id.partner_id,
                # The mail's button reads "View Invoice", in the customer's language.
                # (For this invoice alone, not the whole batch it was read with.)
                model_description=self.with_context(lang=partner.lang or self.env.lang)
                .with_prefetch()
                .type_name,
            ),
            False,
        )

    def _dunning_open_charges(self):
        """The posted, unpaid charge invoices of self."""
        return self.dunning_fee_move_ids.filtered(
            lambda fee: fee.state == "posted"
            and fee.payment_state in ("not_paid", "partial")
        )

    def dunning_statement_moves(self):
        """Invoices listed in the reminder being rendered for self (templates call
        this): the batch of the run, else every overdue open invoice of the customer.
        """
        ids = self.env.context.get("dunning_statement_ids")
        if ids:
            return self.browse(ids).sorted(lambda m: (m.invoice_date_due, m.id))
        self.ensure_one()
        return self._dunning_overdue_statement(
            self._dunning_today(), self.commercial_partner_id, self.company_id
        ) or (self | self._dunning_open_charges())

    def dunning_statement_total(self):
        """The total due of the invoices listed in the reminder, formatted, one
        amount per currency (templates)."""
        self.ensure_one()
        return self._dunning_format_amounts(
            (move.currency_id, move.amount_residual)
            for move in self.dunning_statement_moves()
        )

    @api.model
    def _dunning_format_amounts(self, amounts):
        """``amounts``, (currency, amount) pairs, added up per currency and written
        out in the language of the context: "€ 1,200.00 + $ 300.00", the
        currencies in the order they first come. Amounts in different currencies
        are never added together."""
        totals = {}
        for currency, amount in amounts:
            totals[currency] = totals.get(currency, 0.0) + amount
        if not totals:
            return self.env.company.currency_id.format(0.0)
        return " + ".join(
            currency.format(amount) for currency, amount in totals.items()
        )

    def dunning_days_late(self):
        """Days between the due date and the date of the run (templates)."""
        self.ensure_one()
        if not self.invoice_date_due:
            return 0
        return max((self._dunning_today() - self.invoice_date_due).days, 0)

    def dunning_pay_url(self):
        """The portal page where the customer sees and pays this invoice."""
        self.ensure_one()
        return self.get_base_url() + self.get_portal_url()

    # ------------------------------------------------------------------
    # Business methods: charges (late fees, compensation, interest)
    # ------------------------------------------------------------------

    def _dunning_legal_profile(self):
        self.ensure_one()
        return self.dunning_policy_id._legal_profile_for(self.commercial_partner_id)

    def _dunning_payments(self):
        """(date, amount in the invoice's currency) of what settled self so far:
        payments, credit notes and other reconciled credits."""
        self.ensure_one()
        partials = self.line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        ).matched_credit_ids
        return [(p.max_date, p.debit_amount_currency) for p in partials]

    def _dunning_charged(self):
        """What was charged on self before, waived or not (a waived charge is
        forgiven, not charged again): whether compensation was, and the last day
        interest was charged for."""
        self.ensure_one()
        lines = self.dunning_fee_move_ids.filtered(
            lambda fee: fee.state == "posted"
        ).invoice_line_ids
        compensated = any(line.dunning_charge_type == "compensation" for line in lines)
        until = max(
            (
                line.dunning_interest_until
                for line in lines
                if line.dunning_charge_type == "interest"
            ),
            default=None,
        )
        return compensated, until

    def _dunning_has_rate(self):
        """Whether self's currency has an exchange rate in its company (or is the
        company's own): without one, Odoo would convert at 1."""
        self.ensure_one()
        company = self.company_id
        return self.currency_id == company.currency_id or bool(
            self.env["res.currency.rate"]
            .sudo()
            .search_count(
                [
                    ("currency_id", "=", self.currency_id.id),
                    ("company_id", "in", [False, company.root_id.id]),
                ],
                limit=1,
            )
        )

    def _dunning_to_currency(self, amount, currency, date):
        """``amount`` (Decimal or float) in ``currency`` converted to self's
        currency at the company's rate on ``date``."""
        self.ensure_one()
        return currency._convert(
            float(amount), self.currency_id, self.company_id, date, round=True
        )

    def _dunning_consumer_wait(self, profile, level, today):
        """Why a consumer may not be charged the legal costs of ``level`` today,
        or False: ``(reason, date)``, the date being the first day they may be
        charged (the legal waiting period after the notice that announced them),
        or None when they may not be charged at all (that notice was never sent:
        jumped over, or no level before ``level`` sends one)."""
        self.ensure_one()
        _ = self.env._
        if profile not in legal.NOTICE_BEFORE_COSTS:
            return False
        notice_level = level._announcing_level()
        if not notice_level:
            return (
                _(
                    "Not charged: a consumer (%(profile)s) may be charged costs only "
                    "after a notice that announces them, and no level before "
                    "%(level)s sends one.",
                    profile=profile,
                    level=level.name,
                ),
                None,
            )
        # The notice of that level itself, not any earlier reminder; a notice sent
        # again by hand is not a level's step (it has no level).
        notices = self.dunning_event_ids.filtered(
            lambda e: e.kind in ("email", "letter")
            and e.state == "done"
            and e.level_id == notice_level
            and e.date <= today
        )
        if not notices:
            return (
                _(
                    "Not charged: a consumer (%(profile)s) may be charged costs only "
                    "after the notice that announces them (%(notice)s), and it was "
                    "never sent to this invoice (the level was jumped over).",
                    profile=profile,
                    notice=notice_level.name,
                ),
                None,
            )
        # The customer is told by the first of the notice's channels to arrive.
        earliest, notice = min(
            (
                legal.earliest_next_step(
                    profile,
                    event.date,
                    "letter" if event.kind == "letter" else "email",
                ),
                event,
            )
            for event in notices
        )
        if earliest > today:
            return (
                _(
                    "Not charged yet: the consumer's waiting period after the notice "
                    "%(notice)s of %(sent)s runs until %(last)s (%(profile)s); "
                    "charged on %(first)s if still unpaid.",
                    notice=notice_level.name,
                    sent=notice.date,
                    last=fields.Date.subtract(earliest, days=1),
                    first=earliest,
                    profile=profile,
                ),
                earliest,
            )
        return False

    def _dunning_no_profile_reason(self):
        """Why no statutory charge applies to self's customer."""
        self.ensure_one()
        _ = self.env._
        customer = self.commercial_partner_id
        return _(
            "No statutory compensation or interest: no late-payment law of the "
            "addon applies to %(customer)s (%(country)s, %(kind)s). Set a legal "
            "profile on the customer or the policy to charge them; the level's "
            "fixed fees still apply.",
            customer=customer.display_name,
            country=customer.country_id.name or _("no country"),
            kind=_("business") if customer.is_company else _("consumer"),
        )

    def _dunning_charge_lines(self, level, today, kinds=CHARGE_KINDS):
        """The charges ``level`` makes on self today, of the event ``kinds``
        ("fee": the fixed and percentage fees and the recovery compensation;
        "interest"). Returns ``(lines, refusals, deferred)``: invoice line values
        in self's currency; ``{kind: reason}`` of what the law or the policy
        refuses for good; ``{kind: (reason, date, state)}`` of the kinds put off
        whole until ``date``, when the run tries again: "waiting" for the
        consumer's waiting period, "failed" for an exchange rate or a statutory
        rate still missing, which a user may add. A kind is charged
        whole or put off whole, never half of it now and half later."""
        self.ensure_one()
        _ = self.env._
        currency = self.currency_id
        profile = self._dunning_legal_profile()
        lines = []
        refusals = {}
        deferred = {}

        def line(kind, label, amount, until=False):
            amount = currency.round(amount)
            if currency.compare_amounts(amount, 0) > 0:
                lines.append(
                    {
                        "dunning_charge_type": kind,
                        "name": label,
                        "price_unit": amount,
                        "dunning_interest_until": until,
                    }
                )

        def refuse(kind, reason):
            refusals[kind] = (
                f"{refusals[kind]}; {reason}" if kind in refusals else reason
            )

        def defer(kind, reason, date, state="failed"):
            if kind not in deferred:
                deferred[kind] = (reason, date, state)

        compensated, interest_until = self._dunning_charged()
        compensate = level.charge_compensation and not compensated
        wants = {
            "fee": compensate,
            "interest": level.apply_interest,
        }
        legal_charges = True
        if any(wants[kind] for kind in kinds) and not profile:
            legal_charges = False
            for kind in kinds:
                if wants[kind]:
                    refuse(kind, self._dunning_no_profile_reason())
        wait = legal_charges and self._dunning_consumer_wait(profile, level, today)
        if wait:
            reason, date = wait
            for kind in kinds:
                if not wants[kind]:
                    continue
                if date:
                    defer(kind, reason, date, state="waiting")
                else:
                    legal_charges = False
                    refuse(kind, reason)
        # Fixed amounts are converted to the invoice's currency: not without a rate,
        # which a user may add before the next run.
        if (
            "fee" in kinds
            and (level.fee_fixed or (compensate and legal_charges))
            and not self._dunning_has_rate()
        ):
            defer(
                "fee",
                _(
                    "Not charged yet: %s has no exchange rate; add one and the next "
                    "run charges the fixed amounts.",
                    currency.name,
                ),
                today + ONE_DAY,
            )
        if "fee" in kinds and "fee" not in deferred:
            self._dunning_fee_lines(
                level, today, line, profile if legal_charges else False, compensate
            )
        if (
            "interest" in kinds
            and "interest" not in deferred
            and legal_charges
            and level.apply_interest
        ):
            try:
                line_vals = self._dunning_interest_line(profile, interest_until, today)
            except ValueError as error:  # no statutory rate known for the period
                defer(
                    "interest",
                    _("Interest not charged yet: %s", error),
                    today + ONE_DAY,
                )
                line_vals = None
            if line_vals:
                line("interest", *line_vals)
        return lines, refusals, deferred

    def _dunning_fee_lines(self, level, today, line, profile, compensate):
        """Add, through ``line``, the fixed and percentage fees of ``level`` and,
        under ``profile`` when ``compensate``, the recovery compensation."""
        _ = self.env._
        currency = self.currency_id
        if level.fee_fixed:
            line(
                "fee",
                _("Late fee (%s)", level.name),
                self._dunning_to_currency(
                    level.fee_fixed, self.company_id.currency_id, today
                ),
            )
        if level.fee_percent:
            line(
                "fee",
                _(
                    "Late fee: %(percent)s%% of %(amount)s due (%(level)s)",
                    percent=level.fee_percent,
                    amount=currency.format(self.amount_residual),
                    level=level.name,
                ),
                self.amount_residual * level.fee_percent / 100,
            )
        if not (profile and compensate):
            return
        law_currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", legal.PROFILE_CURRENCY[profile])], limit=1)
        )
        # The scale applies to what is still unpaid, in the law's currency.
        unpaid = currency._convert(
            self.amount_residual, law_currency, self.company_id, today
        )
        fixed = legal.compensation(profile, round(unpaid, 2))
        line(
            "compensation",
            _(
                "Recovery compensation on %(invoice)s (%(profile)s): "
                "%(amount)s %(currency)s",
                invoice=self.name,
                profile=profile,
                amount=fixed,
                currency=law_currency.name,
            ),
            self._dunning_to_currency(fixed, law_currency, today),
        )

    def _dunning_interest_line(self, profile, charged_until, today):
        """(label, amount, until) of the interest not yet charged, or None."""
        self.ensure_one()
        _ = self.env._
        due = self.invoice_date_due
        start = max(due, charged_until) if charged_until else due
        if today <= start:
            return None
        rates = legal.rates_for(
            profile, self.env["dunning.interest.rate"]._rates(profile), due
        )
        payments = self._dunning_payments()
        compound = profile in legal.COMPOUND_YEARLY

        def interest(until):
            return legal.statutory_interest(
                self.amount_total, due, until, rates, compound, payments
            )

        amount = interest(today) - (interest(start) if start > due else 0)
        used = sorted(
            {str(legal.rate_on(rates, start + ONE_DAY))}
            | {
                str(percent)
                for date_from, percent in rates
                if start < date_from <= today
            }
        )
        label = _(
            "Interest on %(invoice)s (%(principal)s) from %(first)s to %(last)s, "
            "%(days)s days at %(rates)s%% a year (%(profile)s)",
            invoice=self.name,
            principal=self.currency_id.format(self.amount_total),
            first=start + ONE_DAY,
            last=today,
            days=(today - start).days,
            rates=" / ".join(used),
            profile=profile,
        )
        return label, float(amount), today

    def _dunning_charge(self, level, today, kinds=None):
        """Book what ``level`` charges on self as a posted customer invoice linked
        to it, and record fee and interest events: done when charged, cancelled
        when refused for good, waiting (the law's period) or failed (a rate to
        add) when put off, which the run takes again on their retry date.
        ``kinds`` limits it to those event kinds (a retry)."""
        self.ensure_one()
        _ = self.env._
        Event = self.env["dunning.event"].sudo()
        # Charged, refused or waived once per level: a level taken again (its mail
        # came back) charges nothing more; what was put off is taken again.
        previous = {
            event.kind: event
            for event in Event.search(
                [
                    ("move_id", "=", self.id),
                    ("level_id", "=", level.id),
                    ("kind", "in", CHARGE_KINDS),
                ]
            )
        }
        pending = {
            kind
            for kind in (kinds or CHARGE_KINDS)
            if kind not in previous or previous[kind].state in ("waiting", "failed")
        }
        if not pending:
            return self.browse()
        lines, refusals, deferred = self._dunning_charge_lines(
            level, today, tuple(sorted(pending))
        )
        base = {
            "move_id": self.id,
            "partner_id": self.commercial_partner_id.id,
            "level_id": level.id,
            "date": today,
        }

        def record(kind, vals):
            event = previous.get(kind)
            if event:
                event.write({**base, "retry_date": False, **vals})
            else:
                Event.create({**base, "kind": kind, **vals})

        charged_kinds = {
            "interest" if vals["dunning_charge_type"] == "interest" else "fee"
            for vals in lines
        }
        for kind, (reason, date, state) in deferred.items():
            record(kind, {"state": state, "retry_date": date, "reason": reason})
        for kind, reason in refusals.items():
            if kind not in charged_kinds and kind not in deferred:
                record(kind, {"state": "cancelled", "reason": reason})
        # A kind put off before that has nothing left to charge now (charged
        # since at a later level, or nothing more due) is closed.
        for kind in pending - charged_kinds - set(deferred) - set(refusals):
            if kind in previous:
                record(
                    kind,
                    {
                        "state": "cancelled",
                        "reason": _(
                            "%s; nothing left to charge when taken again",
                            previous[kind].reason,
                        ),
                    },
                )
        if not lines:
            return self.browse()
        company = self.company_id
        income = self.journal_id.default_account_id
        fee_account = company.dunning_fee_account_id or income
        interest_account = company.dunning_interest_account_id or fee_account
        taxes = company.dunning_fee_tax_ids
        invoice_lines = [
            Command.create(
                {
                    **vals,
                    "quantity": 1,
                    "account_id": (
                        interest_account
                        if vals["dunning_charge_type"] == "interest"
                        else fee_account
                    ).id,
                    "tax_ids": [
                        Command.set(
                            []
                            if vals["dunning_charge_type"] == "interest"
                            else taxes.ids
                        )
                    ],
                }
            )
            for vals in lines
        ]
        fee_move = (
            self.env["account.move"]
            .sudo()
            .with_company(company)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.partner_id.id,
                    "currency_id": self.currency_id.id,
                    "journal_id": self.journal_id.id,
                    "invoice_date": today,
                    "invoice_date_due": today,
                    "invoice_payment_term_id": False,
                    "dunning_origin_id": self.id,
                    "ref": _("Late-payment charges on %s", self.name),
                    "invoice_line_ids": invoice_lines,
                }
            )
        )
        fee_move.action_post()
        for kind in CHARGE_KINDS:
            types = ("fee", "compensation") if kind == "fee" else ("interest",)
            charged = [vals for vals in lines if vals["dunning_charge_type"] in types]
            if charged:
                record(
                    kind,
                    {
                        "state": "done",
                        "amount": sum(vals["price_unit"] for vals in charged),
                        "fee_move_id": fee_move.id,
                        "reason": "; ".join(
                            [vals["name"] for vals in charged]
                            + ([refusals[kind]] if kind in refusals else [])
                        ),
                    },
                )
        return fee_move

    def _dunning_waive(self, reason, kinds=None):
        """Cancel the charge invoices of self with credit notes; with ``kinds`` (a
        set of charge types), only the lines of those kinds. A credit note never
        credits more than is still open on a charge invoice: what earlier waivers
        credited, line kind by line kind, and what the customer paid stay as
        they are."""
        _ = self.env._
        fees = self.filtered(
            lambda fee: fee.dunning_origin_id
            and fee.state == "posted"
            and fee.payment_state not in ("reversed", "paid", "in_payment")
        )
        today = self._dunning_today()
        kinds = set(kinds or ("fee", "compensation", "interest"))
        credit_notes = self.browse()
        for fee in fees:
            amounts = fee._dunning_waivable(kinds)
            if not amounts:
                continue
            ref = _("Waived: %(fee)s (%(reason)s)", fee=fee.name, reason=reason)
            whole = fee.payment_state == "not_paid" and len(amounts) == len(
                fee.invoice_line_ids
            )
            if whole and all(
                fee.currency_id.compare_amounts(amount, line.price_total) == 0
                for line, amount in amounts.items()
            ):
                credit_notes |= fee._reverse_moves(
                    [{"ref": ref, "invoice_date": today, "date": today}], cancel=True
                )
            else:
                credit_notes |= fee._dunning_partial_credit_note(amounts, ref, today)
        if not credit_notes:
            raise UserError(_("There is no open late-payment charge to waive here."))
        event_kinds = {"interest" if kind == "interest" else "fee" for kind in kinds}
        events = (
            self.env["dunning.event"]
            .sudo()
            .search(
                [
                    ("fee_move_id", "in", fees.ids),
                    ("state", "=", "done"),
                    ("kind", "in", list(event_kinds)),
                ]
            )
        )
        for event in events:
            event.write(
                {
                    "state": "cancelled",
                    "reason": _(
                        "%(reason)s. Waived by %(user)s: %(why)s",
                        reason=event.reason,
                        user=self.env.user.name,
                        why=reason,
                    ),
                }
            )
        return credit_notes

    def _dunning_waivable(self, kinds):
        """{line: amount, taxes included} of the lines of ``kinds`` of the charge
        invoice self that a waiver may still credit: each line less what credit
        notes of earlier waivers credited for its kind, and all of them together
        no more than what is still open on self."""
        self.ensure_one()
        credited = defaultdict(float)
        for note in self.search(
            [
                ("reversed_entry_id", "=", self.id),
                ("move_type", "=", "out_refund"),
                ("state", "=", "posted"),
            ]
        ):
            for line in note.invoice_line_ids:
                credited[line.dunning_charge_type] += line.price_total
        currency = self.currency_id
        left = self.amount_residual
        amounts = {}
        for line in self.invoice_line_ids:
            kind = line.dunning_charge_type
            already = min(credited[kind], line.price_total)
            credited[kind] -= already
            amount = currency.round(min(line.price_total - already, left))
            if kind in kinds and currency.compare_amounts(amount, 0) > 0:
                amounts[line] = amount
                left -= amount
        return amounts

    def _dunning_partial_credit_note(self, amounts, ref, today):
        """A posted credit note of the charge invoice self crediting ``amounts``
        ({line: amount, taxes included}), reconciled with it."""
        self.ensure_one()
        currency = self.currency_id

        def untaxed(line, amount):
            if currency.is_zero(line.price_total):
                return 0.0
            return currency.round(amount * line.price_subtotal / line.price_total)

        credit_note = (
            self.env["account.move"]
            .sudo()
            .create(
                {
                    "move_type": "out_refund",
                    "partner_id": self.partner_id.id,
                    "currency_id": self.currency_id.id,
                    "journal_id": self.journal_id.id,
                    "invoice_date": today,
                    "date": today,
                    "ref": ref,
                    "reversed_entry_id": self.id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": line.name,
                                "quantity": 1,
                                "price_unit": untaxed(line, amount),
                                "account_id": line.account_id.id,
                                "tax_ids": [Command.set(line.tax_ids.ids)],
                                "dunning_charge_type": line.dunning_charge_type,
                            }
                        )
                        for line, amount in amounts.items()
                    ],
                }
            )
        )
        # Taxes computed on an untaxed amount may round a cent above what is open.
        excess = credit_note.amount_total - self.amount_residual
        if currency.compare_amounts(excess, 0) > 0:
            last = credit_note.invoice_line_ids[-1]
            last.price_unit = currency.round(last.price_unit - excess)
        credit_note.action_post()
        (self.line_ids | credit_note.line_ids).filtered(
            lambda line: line.display_type == "payment_term" and not line.reconciled
        ).reconcile()
        return credit_note

    @api.model
    def _dunning_settle_cases(self, company):
        """Move the open collection tasks of ``company`` whose invoices are all
        paid to Settled, whatever level the invoices had (or none: handed over
        by hand or with the whole account)."""
        settled = self.env.ref(
            "dunning_escalation.project_task_stage_settled", raise_if_not_found=False
        )
        if not settled:
            return
        tasks = (
            self.env["project.task"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("dunning_move_ids", "!=", False),
                    ("stage_id.fold", "=", False),
                ]
            )
        )
        for task in tasks:
            if all(move.payment_state in PAID_STATES for move in task.dunning_move_ids):
                task.stage_id = settled

    def _dunning_auto_waive_interest(self):
        """Waive the interest charged on self when the policy forgives it for an
        invoice paid in full within its days after the step that charged it."""
        self.ensure_one()
        days = self.dunning_policy_id.waive_interest_days
        payments = self._dunning_payments()
        if days <= 0 or not payments:
            return
        paid_on = max(date for date, _amount in payments)
        for fee in self.dunning_fee_move_ids:
            if (
                fee.state == "posted"
                and fee.payment_state in ("not_paid", "partial")
                and (paid_on - fee.invoice_date).days <= days
                and fee._dunning_waivable({"interest"})
            ):
                fee._dunning_waive(
                    self.env._("paid in full within %s days of the notice", days),
                    kinds={"interest"},
                )

    @api.model
    def _dunning_schedule_activities(self, decisions, today):
        # A level taken again (its mail came back) does not call twice.
        done = self.browse([d.move.id for d in decisions])._dunning_done_steps()
        decisions = [
            d for d in decisions if (d.move.id, d.level.id, "call") not in done
        ]
        for decision in decisions:
            move = decision.move
            level = decision.level
            user = move._dunning_responsible_user()
            move.activity_schedule(
                activity_type_id=level.activity_type_id.id,
                summary=self.env._(
                    "%(level)s: %(amount)s overdue",
                    level=level.name,
                    amount=move.currency_id.format(move.amount_residual),
                ),
                user_id=user.id,
                date_deadline=today,
            )
            self.env["dunning.event"].sudo().create(
                {
                    "move_id": move.id,
                    "partner_id": move.commercial_partner_id.id,
                    "level_id": level.id,
                    "kind": "call",
                    "date": today,
                    "reason": self.env._("Activity for %s", user.name),
                }
            )

    def _dunning_handoff(self, today, level=None):
        """Hand the invoices of self over to the collection agency: one task per
        customer in the policy's collections project."""
        Event = self.env["dunning.event"].sudo()
        Task = self.env["project.task"].sudo()
        default_project = self.env.ref(
            "dunning_escalation.project_collections", raise_if_not_found=False
        )
        groups = defaultdict(lambda: self.browse())
        for move in self:
            groups[(move.dunning_policy_id, move.commercial_partner_id)] |= move
        for (policy, partner), moves in groups.items():
            if policy.handoff_whole_account:
                # Paused (blocked, disputed, promised) and excluded invoices stay.
                moves |= self.search(
                    self._dunning_overdue_domain(
                        today, partner, moves.company_id, policy=policy, unblocked=True
                    )
                ).filtered(lambda move: not move.no_followup)
            # The case is the agency's business, not the user's: an invoicing user
            # hands it over to a project they need not be invited to.
            project = (policy.handoff_project_id or default_project).sudo()
            if not project:
                raise UserError(
                    self.env._(
                        "Policy %s has no collections project: set one on the policy.",
                        policy.name,
                    )
                )
            stage = self.env.ref(
                "dunning_escalation.project_task_stage_to_hand_over",
                raise_if_not_found=False,
            )
            # A customer's case still open at the agency takes its later invoices;
            # a case is one company's, also in a project shared by the companies.
            company = policy.company_id
            task = Task.search(
                [
                    ("project_id", "=", project.id),
                    ("company_id", "=", company.id),
                    ("dunning_move_ids.commercial_partner_id", "=", partner.id),
                    ("stage_id.fold", "=", False),
                ],
                limit=1,
            )
            if task:
                task.dunning_move_ids = [Command.link(move.id) for move in moves]
            task = task or Task.create(
                {
                    "name": self.env._("Collection: %s", partner.display_name),
                    "project_id": project.id,
                    "stage_id": stage.id if stage in project.type_ids else False,
                    "dunning_move_ids": [Command.set(moves.ids)],
                    "partner_id": (policy.agency_partner_id or partner).id,
                    "company_id": company.id,
                    "date_deadline": fields.Datetime.to_datetime(today),
                    "description": self.env["ir.qweb"]._render(
                        "dunning_escalation.handoff_task_description",
                        {"moves": moves, "partner": partner, "policy": policy},
                    ),
                }
            )
            # The case is private to the people invited: its responsible follows it.
            task.message_subscribe(
                partner_ids=moves[:1]._dunning_responsible_user().partner_id.ids
            )
            Event.create(
                [
                    {
                        "move_id": m.id,
                        "partner_id": partner.id,
                        "level_id": (level or m.dunning_level_id).id,
                        "kind": "handoff",
                        "date": today,
                        "amount": m.amount_residual,
                        "task_id": task.id,
                        "reason": self.env._("Task %s", task.display_name),
                    }
                    for m in moves
                ]
            )
            moves._dunning_write(
                {"dunning_handed_off": True, "dunning_last_date": today}
            )
            try:
                with self.env.cr.savepoint():
                    task.dunning_move_ids._dunning_attach_case_file(task, policy)
            except Exception as error:
                _logger.warning("dunning: case file of %s failed: %s", task.name, error)
                task.message_post(
                    body=self.env._("The case file could not be made: %s", error)
                )

    def _dunning_attach_case_file(self, task, policy):
        """Attach the case file (statement, history, copies of every letter) to the
        handoff task, and mail it to the agency when the policy says so."""
        _ = self.env._
        report = self.env.ref("dunning_escalation.action_report_dunning_case_file")
        content, _kind = (
            report.sudo()
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(report.report_name, self.ids)
        )
        letters = self.dunning_event_ids.filtered(
            lambda e: e.kind == "letter" and e.attachment_id
        ).attachment_id.sudo()
        if letters:
            content = pdf.merge_pdf([content, *letters.mapped("raw")])
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": _("Case file %s.pdf", task.name),
                    "raw": content,
                    "res_model": "project.task",
                    "res_id": task.id,
                    "mimetype": "application/pdf",
                }
            )
        )
        if policy.handoff_mail_agency and policy.agency_partner_id.email:
            # Mailed, not made a follower: the agency gets no access to the case
            # in the project, nor to any other.
            task.with_context(
                mail_notify_force_send=False, mail_post_autofollow=False
            ).message_post(
                body=_("Please find the case file of %s attached.", task.name),
                subject=task.name,
                partner_ids=policy.agency_partner_id.ids,
                attachment_ids=attachment.ids,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        return attachment

    def _dunning_record(self, kind, reason, state="done"):
        """An event of ``kind`` on each invoice of self, at its current level."""
        today = self._dunning_today()
        return (
            self.env["dunning.event"]
            .sudo()
            .create(
                [
                    {
                        "move_id": move.id,
                        "partner_id": move.commercial_partner_id.id,
                        "level_id": move.dunning_level_id.id,
                        "kind": kind,
                        "state": state,
                        "date": today,
                        "reason": reason,
                    }
                    for move in self
                ]
            )
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

    def _dunning_recall(self, reason):
        _ = self.env._
        today = self._dunning_today()
        # The handoff is undone: a new one may be taken, as a new step.
        handoffs = (
            self.env["dunning.event"]
            .sudo()
            .search(
                [
                    ("move_id", "in", self.ids),
                    ("kind", "=", "handoff"),
                    ("state", "=", "done"),
                ]
            )
        )
        for event in handoffs:
            event.write(
                {
                    "state": "cancelled",
                    "reason": _("%(was)s; %(why)s", was=event.reason, why=reason),
                }
            )
        self._dunning_leave_cases(handoffs.task_id, reason)
        for move in self:
            level, until = move._dunning_recall_step(today)
            move._dunning_write(
                {
                    "dunning_handed_off": False,
                    "dunning_level_id": level.id,
                    "dunning_last_date": today,
                }
            )
            move._dunning_record(
                "recall",
                _(
                    "%(why)s; in-house dunning at %(level)s",
                    why=reason,
                    level=level.name or _("no level"),
                ),
            )
            if until:
                move._dunning_block(until, "other", _("Recalled from the agency"))

    def _dunning_recall_step(self, today):
        """(level, pause end) of self recalled on ``today``: the last level of its
        ladder before the handoff (its own level when that is lower), and the
        day the next step is due, the ladder's interval after ``today``."""
        self.ensure_one()
        steps = self.dunning_policy_id._steps()
        level = self.dunning_level_id
        if level.handoff:
            at = ladder.position(steps, level, level.delay_days)
            below = [
                step.key
                for step in steps[: 0 if at is None else at + 1]
                if not step.key.handoff
            ]
            level = below[-1] if below else self.env["dunning.level"]
        following = ladder.next_index(steps, level or None, level.delay_days)
        if following is None:
            return level, False
        gap = steps[following].delay_days - (level.delay_days if level else 0)
        return level, today + datetime.timedelta(days=max(gap, 1))

    def _dunning_leave_cases(self, tasks, reason):
        """Take the invoices of self out of the collection ``tasks``; a task left
        without invoices goes to the Recalled stage."""
        recalled = self.env.ref(
            "dunning_escalation.project_task_stage_recalled", raise_if_not_found=False
        )
        for task in tasks.sudo():
            leaving = task.dunning_move_ids & self
            if not leaving:
                continue
            task.dunning_move_ids = [Command.unlink(move.id) for move in leaving]
            task.message_post(
                body=self.env._(
                    "%(invoices)s taken back: %(why)s",
                    invoices=", ".join(leaving.mapped("name")),
                    why=reason,
                ),
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )
            if not task.dunning_move_ids and recalled in task.project_id.type_ids:
                task.stage_id = recalled

    def _dunning_block(self, until, reason, note=False):
        kind = {"dispute": "dispute", "promise": "promise"}.get(reason, "block")
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

    def _dunning_unblock(self, reason):
        self._dunning_record("unblock", reason)
        self._dunning_write(
            {
                "dunning_blocked_until": False,
                "dunning_block_reason": False,
                "dunning_block_note": False,
            }
        )

    # ------------------------------------------------------------------
    # Scheduled job
    # ------------------------------------------------------------------

    @api.model
    def _cron_dunning_run(self):
        """The daily run, for every company: expire blocks, record payments, then
        escalate every invoice whose age warrants a new level."""
        today = self._dunning_today()
        companies = self.env["res.company"].sudo().search([])
        for company in companies:
            moves = (
                self.sudo()
                .with_company(company)
                .with_context(allowed_company_ids=company.ids, dunning_date=today)
            )
            moves._dunning_expire_blocks(company, today)
            moves._dunning_record_payments(company, today)
            moves._dunning_settle_cases(company)
            # Charges put off on earlier days come before today's steps.
            moves._dunning_retry_charges(company, today)
            moves._dunning_escalate_company(company, today)

    @api.model
    def _dunning_retry_charges(self, company, today):
        """Take again the charges put off until today or earlier: the consumer's
        waiting period over, an exchange or statutory rate added since. Whatever
        level the invoice stands at now, with the agency included; an invoice
        paid in the meantime is not charged, and a paused one waits for the end
        of its pause."""
        _ = self.env._
        events = (
            self.env["dunning.event"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("kind", "in", CHARGE_KINDS),
                    ("state", "in", ("waiting", "failed")),
                    ("retry_date", "<=", today),
                    ("level_id", "!=", False),
                ]
            )
        )
        for (move, level), group in events.grouped(
            lambda event: (event.move_id, event.level_id)
        ).items():
            if move.state != "posted" or move.payment_state not in (
                "not_paid",
                "partial",
            ):
                group.write(
                    {
                        "state": "cancelled",
                        "retry_date": False,
                        "reason": _(
                            "%s; not charged: the invoice was settled first",
                            group[0].reason,
                        ),
                    }
                )
            elif move.dunning_blocked_until and move.dunning_blocked_until > today:
                group.write({"retry_date": move.dunning_blocked_until})
            else:
                move = move.with_context(dunning_date=today)
                try:
                    with self.env.cr.savepoint():
                        move._dunning_charge(
                            level, today, kinds=set(group.mapped("kind"))
                        )
                except Exception as error:  # recorded, retried by the next run
                    _logger.exception("dunning: charges on %s failed", move.name)
                    group.write(
                        {
                            "state": "failed",
                            "retry_date": today + ONE_DAY,
                            "reason": _("Charge failed, retried tomorrow: %s", error),
                        }
                    )

    @api.model
    def _dunning_expire_blocks(self, company, today):
        expired = self.search(
            [
                ("company_id", "=", company.id),
                ("dunning_blocked_until", "!=", False),
                ("dunning_blocked_until", "<=", today),
            ]
        )
        for reason, moves in expired.grouped("dunning_block_reason").items():
            if reason == "promise":
                open_moves = moves.filtered(
                    lambda m: m.payment_state in ("not_paid", "partial")
                )
                open_moves._dunning_unblock(
                    self.env._("Promise to pay broken: still unpaid, dunning resumes")
                )
                (moves - open_moves)._dunning_unblock(self.env._("Promise kept"))
            else:
                moves._dunning_unblock(self.env._("Block expired"))

    @api.model
    def _dunning_record_payments(self, company, today):
        """Invoices that had a reminder and are now paid: event, thank-you once."""
        paid = self.search(
            [
                ("company_id", "=", company.id),
                ("move_type", "in", DUNNED_MOVE_TYPES),
                ("dunning_level_id", "!=", False),
                ("payment_state", "in", ("paid", "in_payment")),
            ]
        )
        if not paid:
            return
        already = set(
            self.env["dunning.event"]
            .sudo()
            .search([("move_id", "in", paid.ids), ("kind", "=", "paid")])
            .move_id.ids
        )
        newly_paid = paid.filtered(lambda m: m.id not in already)
        # The thank-you mails are rendered, then queued together.
        qweb_cache = {}
        thanks = {
            move.id: move.with_context(
                dunning_qweb_cache=qweb_cache
            )._dunning_prepare_mail(
                template, move._dunning_recipient(), move, move.dunning_level_id
            )
            for move in newly_paid
            if (template := move.dunning_policy_id.thankyou_template_id)
        }
        mails = [mail for mail, _error in thanks.values() if mail]
        messages = dict(
            zip(
                [mail.move.id for mail in mails],
                self._dunning_queue_mails(mails).ids,
                strict=True,
            )
        )
        events = []
        for move in newly_paid:
            reason = self.env._("Paid in full after %s", move.dunning_level_id.name)
            _mail, error = thanks.get(move.id, (False, False))
            if error:
                reason = f"{reason}; {error}"
            move._dunning_auto_waive_interest()
            events.append(
                {
                    "move_id": move.id,
                    "partner_id": move.commercial_partner_id.id,
                    "level_id": False,
                    "kind": "paid",
                    "date": today,
                    "amount": move.amount_total,
                    "mail_message_id": messages.get(move.id, False),
                    "reason": reason,
                }
            )
        self.env["dunning.event"].sudo().create(events)

    @api.model
    def _dunning_escalate_company(self, company, today):
        domain = [
            *self._dunning_candidate_domain(company),
            ("dunning_next_date", "<=", today),
        ]
        partner_ids = [
            partner.id
            for [partner] in self._read_group(domain, ["commercial_partner_id"])
        ]
        in_cron = (
            bool(self.env.context.get("cron_id")) and not modules.module.current_test
        )
        for start in range(0, len(partner_ids), PARTNER_BATCH):
            batch = partner_ids[start : start + PARTNER_BATCH]
            moves = self.search(
                [*domain, ("commercial_partner_id", "in", batch)],
                order="commercial_partner_id, invoice_date_due, id",
            )
            if in_cron:
                moves = moves.try_lock_for_update()
            decisions = moves._dunning_decide(today)
            self._dunning_execute_isolated(decisions, today)
            if in_cron:
                self.env["ir.cron"]._commit_progress(
                    len(batch), remaining=max(len(partner_ids) - start - len(batch), 0)
                )

    @api.model
    def _dunning_execute_isolated(self, decisions, today):
        """Execute the decisions of a batch so that one customer's failure stops
        only that customer: the batch runs in one savepoint and, when a step fails,
        again customer by customer. A customer whose steps fail keeps its levels,
        gets a failed event with the error on each of its invoices and is retried
        by the next run."""
        try:
            with self.env.cr.savepoint():
                self._dunning_execute(decisions, today)
            return
        except Exception:  # retried below, customer by customer
            _logger.info("dunning: a step failed, the batch is retried per customer")
        by_partner = defaultdict(list)
        for decision in decisions:
            by_partner[decision.move.commercial_partner_id].append(decision)
        for partner, group in by_partner.items():
            try:
                with self.env.cr.savepoint():
                    self._dunning_execute(group, today)
            except Exception as error:  # recorded on the invoices
                _logger.exception("dunning: the steps of %s failed", partner.name)
                self._dunning_record_failure(group, today, error)

    @api.model
    def _dunning_record_failure(self, decisions, today, error):
        """A failed event, with the error, on the invoices whose level the run
        could not take. Without a level, so that the retry is not the same step."""
        self.env["dunning.event"].sudo().create(
            [
                {
                    "move_id": decision.move.id,
                    "partner_id": decision.move.commercial_partner_id.id,
                    "level_id": False,
                    "kind": "skipped",
                    "state": "failed",
                    "date": today,
                    "reason": self.env._(
                        "%(level)s not taken, retried by the next run: %(error)s",
                        level=decision.level.name,
                        error=error,
                    ),
                }
                for decision in decisions
                if decision.level
            ]
        )

    @api.model
    def _dunning_mail_failed(self, events, reason):
        """Called when a reminder could not be delivered: the event is marked failed
        and the invoices go back to the level of their last delivered step."""
        events.write({"state": "failed", "reason": reason})
        for move in events.move_id:
            # The level of the failed mail is taken again, whatever else it did
            # (an SMS, a call, a fee): the next run redoes only the mail.
            failed_levels = events.filtered(lambda e, m=move: e.move_id == m).level_id
            delivered = move.dunning_event_ids.filtered(
                lambda e, failed=failed_levels: e.state == "done"
                and e.level_id
                and e.kind != "skipped"
                and e.level_id not in failed
            )
            top = delivered.sorted(
                lambda e: (e.level_id.sequence, e.level_id.delay_days, e.date)
            )[-1:]
            move._dunning_write(
                {
                    "dunning_level_id": top.level_id.id,
                    "dunning_last_date": top.date or False,
                }
            )


def _needs_mail(decision):
    """Whether the decision's level speaks by email: it has a template, or nothing
    else to do (its template was deleted), which fails its email step."""
    level = decision.level
    return bool(level.mail_template_id) or not level._has_action()


def _group_key(group):
    """What identifies a message's decisions: the invoices they are about."""
    return frozenset(decision.move.id for decision in group)


def _statement_key(move):
    """The customer statement an invoice belongs to: its customer, company and
    policy."""
    return (
        move.commercial_partner_id.id,
        move.company_id.id,
        move.dunning_policy_id.id,
    )


def _lead(group):
    """The decision whose level speaks for a message: the highest level, then the
    oldest invoice."""
    return max(group, key=lambda d: (d.level.sequence, d.level.delay_days, -d.move.id))
