"""The letter channel: the level's letter (report ``dunning_letter``) rendered to
PDF for each message, stored on the invoice and in its history, for the list of
letters to print (and the registered letter's tracking number). The letters of a
batch are rendered together (models/ir_actions_report.py), each naming its
invoices and level in the ``dunning_letters`` context."""

from odoo import api, models


class DunningChannelLetter(models.AbstractModel):
    _name = "dunning.channel.letter"
    _inherit = "dunning.channel"
    _description = "Dunning Channel: Letter"

    _channel_kind = "letter"
    _channel_sequence = 30

    @api.model
    def _channel_wants(self, level):
        return level.send_letter

    @api.model
    def _channel_send(self, decisions, today, statements):
        _ = self.env._
        messages = self._messages(self._pending(decisions), today, statements)
        pdfs = self._render_letters(
            {lead.move: (statement, lead.level) for _g, lead, statement in messages},
            today,
        )
        steps = []
        for group, lead, _statement in messages:
            partner = lead.move._dunning_recipient()
            content, error = pdfs[lead.move.id]
            attachment = self.env["ir.attachment"]
            if content:
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
            registered = lead.level.letter_registered
            if registered:
                reason = _("Registered letter to print for %s", partner.display_name)
            else:
                reason = _("Letter to print for %s", partner.display_name)
            steps += [
                self._step_values(
                    decision,
                    partner,
                    today,
                    state="failed" if error else "done",
                    attachment_id=attachment.id or False,
                    letter_registered=registered,
                    reason=error or reason,
                )
                for decision in group
            ]
        self._save_steps(steps)
        return self._out(decisions, steps)

    @api.model
    def _render_letters(self, letters, today):
        """The PDF of each letter of ``letters`` ({invoice: (the invoices it lists,
        its level)}), rendered in batches: {invoice id: (PDF, False)}, or (False,
        why) for a letter that could not be made."""
        if not letters:
            return {}
        # As the job: a billing user's button renders what the job would.
        report = self.env.ref("dunning_escalation.action_report_dunning_letter").sudo()
        pdfs = report.with_context(
            dunning_letters={
                move.id: (statement.ids, level.id)
                for move, (statement, level) in letters.items()
            },
            dunning_date=today,
        )._dunning_render_pdfs([move.id for move in letters])
        return {
            move_id: (content, error and self.env._("Letter failed: %s", error))
            for move_id, (content, error) in pdfs.items()
        }
