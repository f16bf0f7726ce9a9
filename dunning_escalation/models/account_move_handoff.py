"""The handoff to a collection agency: a case (a task of the policy's collections
project) per customer with its invoices and case file; the recall of an invoice
into in-house dunning; cases settled once their invoices are paid."""

import datetime
from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..tools import ladder
from .account_move import SETTLED_STATES


class AccountMove(models.Model):
    _inherit = "account.move"

    def _dunning_handoff(self, today, level=None):
        """Hand the invoices of self over to the collection agency: one task per
        customer in the policy's collections project, the customer's case still
        open there if it has one. The cases of a batch are found, created,
        recorded and their case files rendered together."""
        Event = self.env["dunning.event"].sudo()
        Task = self.env["project.task"].sudo()
        default_project = self.env.ref(
            "dunning_escalation.project_collections", raise_if_not_found=False
        )
        groups = defaultdict(lambda: self.browse())
        for move in self:
            groups[(move.dunning_policy_id, move.commercial_partner_id)] |= move
        cases = {}  # (policy, partner): (project, invoices)
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
            cases[policy, partner] = (project, moves)
        # A customer's case still open at the agency takes its later invoices;
        # the first of a customer's groups opens the case the others join.
        open_cases = self._dunning_open_cases(cases)
        case_of = {
            key: (project.id, key[0].company_id.id, key[1].id)
            for key, (project, _moves) in cases.items()
        }
        new = {}
        for key, case in case_of.items():
            if case not in open_cases:
                new.setdefault(case, key)
        # Their "task created" messages are posted together, as creating posts
        # them one by one.
        created = Task.with_context(mail_create_nolog=True).create(
            [
                self._dunning_case_values(
                    policy, partner, *cases[policy, partner], today
                )
                for policy, partner in new.values()
            ]
        )
        created = Task.browse(created.ids)
        created._dunning_log_creation()
        open_cases.update(zip(new, created, strict=True))
        tasks = {}
        for key, case in case_of.items():
            tasks[key] = open_cases[case]
            if new.get(case) != key:
                tasks[key].dunning_move_ids = [
                    Command.link(move.id) for move in cases[key][1]
                ]
        # A case is private to the people invited: its responsible follows it.
        followers = defaultdict(lambda: Task.browse())
        for key, task in tasks.items():
            responsible = cases[key][1][:1]._dunning_responsible_user().partner_id
            followers[responsible] |= task
        for partner, followed in followers.items():
            followed.message_subscribe(partner_ids=partner.ids)
        Event.create(
            [
                Event._prepare_values(
                    move,
                    "handoff",
                    today,
                    level=level or move.dunning_level_id,
                    amount=move.amount_residual,
                    task_id=task.id,
                    reason=self.env._("Task %s", task.display_name),
                )
                for key, task in tasks.items()
                for move in cases[key][1]
            ]
        )
        handed = self.browse(
            {move.id for _p, moves in cases.values() for move in moves}
        )
        handed._dunning_write({"dunning_handed_off": True, "dunning_last_date": today})
        # The case files of every case of the batch, rendered together.
        policies = {task: policy for (policy, _partner), task in tasks.items()}
        Task.concat(*policies)._dunning_attach_case_files(policies)

    def _dunning_case_values(self, policy, partner, project, moves, today):
        """The values of the new case of ``partner``'s invoices ``moves``."""
        stage = self.env.ref(
            "dunning_escalation.project_task_stage_to_hand_over",
            raise_if_not_found=False,
        )
        return {
            "name": self.env._("Collection: %s", partner.display_name),
            "project_id": project.id,
            "stage_id": stage.id if stage in project.type_ids else False,
            "dunning_move_ids": [Command.set(moves.ids)],
            "partner_id": (policy.agency_partner_id or partner).id,
            "company_id": policy.company_id.id,
            "date_deadline": fields.Datetime.to_datetime(today),
            "description": self.env["ir.qweb"]._render(
                "dunning_escalation.handoff_task_description",
                {"moves": moves, "partner": partner, "policy": policy},
            ),
        }

    def _dunning_open_cases(self, cases):
        """The customers' cases still open at the agency, for ``cases`` ({(policy,
        partner): (project, invoices)}): {(project id, company id, partner id):
        task}. A case is one company's, also in a project shared by companies."""
        if not cases:
            return {}
        found = (
            self.env["project.task"]
            .sudo()
            .search(
                [
                    ("project_id", "in", [p.id for p, _m in cases.values()]),
                    (
                        "company_id",
                        "in",
                        [policy.company_id.id for policy, _p in cases],
                    ),
                    (
                        "dunning_move_ids.commercial_partner_id",
                        "in",
                        [partner.id for _p, partner in cases],
                    ),
                    ("stage_id.fold", "=", False),
                ]
            )
        )
        open_cases = {}
        for task in found:
            for partner in task.dunning_move_ids.commercial_partner_id:
                key = (task.project_id.id, task.company_id.id, partner.id)
                open_cases.setdefault(key, task)
        return open_cases

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
            paused = move.dunning_blocked_until
            if paused and paused > today:
                # A dispute or a promise already pauses it: it keeps its reason,
                # until the later of the two dates.
                if until and until > paused:
                    move._dunning_block(
                        until, move.dunning_block_reason, move.dunning_block_note
                    )
            elif until:
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

    @api.model
    def _dunning_settle_cases(self, company):
        """Move the open collection tasks of ``company`` whose invoices and the
        charges on them are all paid to Settled, whatever level the invoices had
        (or none: handed over by hand or with the whole account)."""
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
            # The charges on the invoices are part of the claim.
            if all(
                move.payment_state in SETTLED_STATES and not move.dunning_charges_open
                for move in task.dunning_move_ids
            ):
                task.stage_id = settled
