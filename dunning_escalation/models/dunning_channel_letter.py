"""The letter channel: the level's letter (report ``dunning_letter``) rendered to
PDF for each message, stored on the invoice and in its history, for the list of
letters to print (and the registered letter's tracking number)."""

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
        report = self.env.ref("dunning_escalation.action_report_dunning_letter")
        steps = []
        for group, lead, statement in self._messages(
            self._pending(decisions), today, statements
        ):
            partner = lead.move._dunning_recipient()
            attachment = self.env["ir.attachment"]
            error = False
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
            except Exception as exc:  # recorded as the step's failure
                error = _("Letter failed: %s", exc)
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
        return set()
