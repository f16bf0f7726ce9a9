"""The channels of a dunning level, and what they share.

A channel is an AbstractModel that inherits ``dunning.channel`` (one file each:
``dunning_channel_mail.py``, ``_sms``, ``_letter``, ``_call``). The run
(``dunning.run._execute``) takes every channel in ``_channel_sequence`` order and
hands it the decisions whose level wants it (``_channel_wants``); the channel sends
what it sends and records one ``dunning.event`` of its ``_channel_kind`` per invoice
and level (``_channel_send``). A channel whose message must be out before the level
counts as taken (the email) says so with ``_channel_gates_level``. A new channel
(WhatsApp, registered email) is a new file of the same shape.

What every channel needs is here: the decisions not done yet, grouped into messages
(one per customer when the policy consolidates, else one per invoice), each with the
invoices it lists, read once per run for all channels; and the recording of steps,
where a step that failed before gets the new outcome on its event.
"""

from collections import defaultdict

from odoo import api, models


class DunningChannel(models.AbstractModel):
    _name = "dunning.channel"
    _description = "Dunning Channel"

    # The kind of dunning.event a step of the channel is recorded as.
    _channel_kind = None
    # Order of the channels within a step.
    _channel_sequence = 100
    # Whether a level is taken only once the channel's message is out.
    _channel_gates_level = False

    @api.model
    def _channels(self):
        """Every channel, in the order they speak."""
        names = self.env.registry.descendants([self._name], "_inherit")
        channels = [self.env[name] for name in names if name != self._name]
        return sorted(channels, key=lambda channel: channel._channel_sequence)

    # ------------------------------------------------------------------
    # The interface
    # ------------------------------------------------------------------

    @api.model
    def _channel_wants(self, level):
        """Whether ``level`` speaks through this channel."""
        raise NotImplementedError

    @api.model
    def _channel_send(self, decisions, today, statements):
        """Send the messages of ``decisions`` (all wanted by this channel) and
        record their steps. ``statements`` holds the invoices each message lists,
        shared by the channels of the run. Returns the ids of the invoices whose
        message is out."""
        raise NotImplementedError

    @api.model
    def _channel_takes_over(self, decisions, delivered):
        """The ids of the invoices of ``decisions`` this channel dealt with for
        the level (a charge that paid them): the later channels skip them and
        the level waits. ``delivered`` is what ``_channel_send`` returned."""
        return set()

    # ------------------------------------------------------------------
    # Shared by the channels
    # ------------------------------------------------------------------

    @api.model
    def _out(self, decisions, steps):
        """The ids of the invoices of ``decisions`` whose message is out: sent now
        (a done step among ``steps``) or before (no pending step)."""
        sent = {
            vals["move_id"] for vals in steps if vals.get("state", "done") == "done"
        }
        pending = {vals["move_id"] for vals in steps}
        return sent | ({d.move.id for d in decisions} - pending)

    @api.model
    def _pending(self, decisions):
        """The decisions whose step of this channel is not done yet (a level
        taken again after its mail came back does not repeat the others)."""
        moves = self.env["account.move"].browse([d.move.id for d in decisions])
        done = self.env["dunning.run"]._done_steps(moves)
        return [
            d
            for d in decisions
            if (d.move.id, d.level.id, self._channel_kind) not in done
        ]

    @api.model
    def _messages(self, decisions, today, statements):
        """The messages of ``decisions``, each as (its decisions, the decision that
        speaks for it, the invoices it lists)."""
        groups = self._message_groups(decisions)
        self._statements_for(groups, today, statements)
        return [
            (group, _lead(group), statements[_group_key(group)]) for group in groups
        ]

    @api.model
    def _message_groups(self, decisions):
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
    def _statements_for(self, groups, today, statements):
        """Fill ``statements`` with the invoices each message of ``groups`` lists,
        with their pay-link tokens: every overdue open invoice of the customer under
        the same policy and their open charges (consolidated), else the invoice
        itself. One search for all the consolidated customers and one for their
        charges, instead of two per customer."""
        Move = self.env["account.move"]
        pending = {
            key: Move.browse(sorted(key))
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
            leads = Move.browse([moves[0].id for moves in consolidated.values()])
            for move in Move.search(
                [
                    *Move._dunning_overdue_domain(
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
                consolidated[key] = (
                    Move.browse(listed[_statement_key(moves[0])]) | moves
                )
            for charge in Move.search(
                Move._dunning_open_charges_domain(
                    "in", [i for moves in consolidated.values() for i in moves.ids]
                ),
                order="id",
            ):
                charges[charge.dunning_origin_id.id].append(charge.id)
        every = []
        for key, moves in pending.items():
            if key in consolidated:
                invoices = consolidated[key]
                statement = invoices | Move.browse(
                    [charge for move in invoices.ids for charge in charges[move]]
                )
            elif moves[0]._dunning_charges_only():
                # Paid, dunned for its charges: they are what the message lists.
                statement = moves[0] | moves[0]._dunning_open_charges()
            else:
                statement = moves[0]
            statements[key] = statement
            every += statement.ids
        Move.browse(every)._dunning_ensure_access_tokens()

    @api.model
    def _step_values(self, decision, partner, today, **values):
        """The values of the event recording this channel's step for
        ``decision``, sent to ``partner``."""
        return self.env["dunning.event"]._prepare_values(
            decision.move,
            self._channel_kind,
            today,
            level=decision.level,
            partner=partner,
            **values,
        )

    @api.model
    def _save_steps(self, vals_list):
        """Record the steps of ``vals_list``; a step that failed before (a level
        taken again) gets the new outcome on its event instead of a second one."""
        Event = self.env["dunning.event"].sudo()
        if not vals_list:
            return Event
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
