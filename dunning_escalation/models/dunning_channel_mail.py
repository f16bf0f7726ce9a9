"""The email channel: the level's mail template, rendered in the customer's
language, listing the invoices of the message, queued in the invoice's chatter
through the batched queue of ``account_move_mail.py``. The level counts as taken
once its mail is queued; a mail the server refuses later sends the invoice back
(``_delivery_failed``, called by ``mail.mail``). Also the thank-you mail of a paid
invoice, and a level's mail sent again by hand."""

import logging

from odoo import api, models

from .account_move_mail import QueuedMail

_logger = logging.getLogger(__name__)


class DunningChannelMail(models.AbstractModel):
    _name = "dunning.channel.mail"
    _inherit = "dunning.channel"
    _description = "Dunning Channel: Email"

    _channel_kind = "email"
    _channel_sequence = 10
    _channel_gates_level = True

    @api.model
    def _channel_wants(self, level):
        # A level left with nothing to do (its template deleted) fails its email.
        return (
            bool(level.mail_template_id or level.variant_ids.mail_template_id)
            or not level._has_action()
        )

    @api.model
    def _channel_send(self, decisions, today, statements):
        return self._send(decisions, today, statements)

    @api.model
    def _send_again(self, decisions, today):
        """Send the current level's mail of ``decisions`` again: a new message,
        recorded as a step of its own outside the level's history."""
        decisions = [d for d in decisions if self._channel_wants(d.level)]
        return self._send(decisions, today, {}, resend=True)

    @api.model
    def _send(self, decisions, today, statements, resend=False):
        """Send the level emails of the decisions: one per message (customer or
        invoice). Returns the ids of the invoices whose mail is queued, now or
        before."""
        _ = self.env._
        if resend:
            queued = set()
        else:
            # A step already delivered is never sent again, but counts as out.
            pending = self._pending(decisions)
            queued = {d.move.id for d in decisions} - {d.move.id for d in pending}
            decisions = pending
        # Each template's body is compiled once for all the customers of the batch,
        # and their messages are queued together.
        qweb_cache = {}
        prepared = []
        for group, lead, statement in self._messages(decisions, today, statements):
            template, variant = lead.level._message_template(
                "mail", lead.move.commercial_partner_id
            )
            partner = lead.move._dunning_recipient()
            if template:
                mail, error = self.with_context(
                    dunning_qweb_cache=qweb_cache
                )._prepare_mail(lead.move, template, partner, statement, lead.level)
            else:
                mail, error = (
                    False,
                    _(
                        "Level %s has no email template (it was deleted) and nothing "
                        "else to do: set a template on the level.",
                        lead.level.name,
                    ),
                )
            prepared.append((group, template, variant, partner, mail, error))
        messages = iter(
            self.env["account.move"]._dunning_queue_mails(
                [mail for _g, _t, _v, _p, mail, _e in prepared if mail]
            )
        )
        steps = []
        for group, template, variant, partner, mail, error in prepared:
            message = next(messages) if mail else False
            reason = error or _(
                "%(template)s sent to %(email)s",
                template=template.name,
                email=partner.email,
            )
            for decision in group:
                vals = self._step_values(
                    decision,
                    partner,
                    today,
                    template_name=template.name,
                    variant_id=variant.id,
                    state="failed" if error else "done",
                    mail_message_id=message.id if message else False,
                    reason=reason,
                )
                if resend:
                    vals["level_id"] = False
                    vals["reason"] = _(
                        "Sent again at level %(level)s: %(reason)s",
                        level=decision.level.name,
                        reason=reason,
                    )
                steps.append(vals)
                if not error:
                    queued.add(decision.move.id)
        # A level taken again after a failed mail reuses that failed event.
        self._save_steps(steps)
        return queued

    @api.model
    def _prepare_mail(self, move, template, partner, statement, level):
        """Render ``template`` on ``move`` for ``partner`` listing ``statement``,
        with its author and sender: (QueuedMail, False), or (False, why it cannot
        be sent)."""
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
                dunning_date=move._dunning_today(),
            )._generate_template([move.id], ("subject", "body_html", "email_from"))[
                move.id
            ]
        except Exception as error:
            _logger.warning("dunning: template %s failed: %s", template.name, error)
            return False, _(
                "Template %(name)s failed: %(error)s", name=template.name, error=error
            )
        policy = move.dunning_policy_id
        return (
            QueuedMail(
                move=move,
                partner=partner,
                subject=rendered.get("subject") or template.name,
                body=rendered.get("body_html", ""),
                email_from=policy.email_from
                or rendered.get("email_from")
                or move.company_id.email_formatted,
                author=policy.user_id.partner_id
                or move.invoice_user_id.partner_id
                or move.company_id.partner_id,
                # The mail's button reads "View Invoice", in the customer's language.
                # (For this invoice alone, not the whole batch it was read with.)
                model_description=move.with_context(lang=partner.lang or self.env.lang)
                .with_prefetch()
                .type_name,
            ),
            False,
        )

    @api.model
    def _send_thanks(self, moves):
        """Queue the policy's thank-you mail of each paid invoice of ``moves``,
        together. Returns {move id: (message, error)}."""
        qweb_cache = {}
        prepared = {
            move.id: self.with_context(dunning_qweb_cache=qweb_cache)._prepare_mail(
                move, template, move._dunning_recipient(), move, move.dunning_level_id
            )
            for move in moves
            if (template := move.dunning_policy_id.thankyou_template_id)
        }
        mails = [mail for mail, _error in prepared.values() if mail]
        messages = dict(
            zip(
                [mail.move.id for mail in mails],
                self.env["account.move"]._dunning_queue_mails(mails),
                strict=True,
            )
        )
        return {
            move_id: (messages.get(move_id, False), error)
            for move_id, (_mail, error) in prepared.items()
        }

    @api.model
    def _delivery_failed(self, events, reason):
        """A reminder could not be delivered: its step is marked failed and the
        invoices go back to the level of their last delivered step, to take the
        level again on the next run."""
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
