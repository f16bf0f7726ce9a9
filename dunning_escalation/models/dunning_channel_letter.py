"""The letter channel: the level's letter (report ``dunning_letter``) rendered to
PDF for each message, stored on the invoice and in its history, for the list of
letters to print (and the registered letter's tracking number). The letters of a
batch are rendered together, in one call of the report (one wkhtmltopdf run, split
per letter, where wkhtmltopdf is built with Odoo's patched Qt), each naming its
invoices and level in the ``dunning_letters`` context; otherwise one by one."""

import logging

from odoo import api, models

from odoo.addons.base.models.ir_actions_report import _wkhtml

_logger = logging.getLogger(__name__)


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
        its level)}), in one rendering of the report: {invoice id: (PDF, False)},
        or (False, why) for a letter that could not be made. When the batch cannot
        be rendered or split, each letter is rendered on its own."""
        _ = self.env._
        if not letters:
            return {}
        report = self.env.ref("dunning_escalation.action_report_dunning_letter").sudo()
        context = {
            "dunning_letters": {
                move.id: (statement.ids, level.id)
                for move, (statement, level) in letters.items()
            },
            "dunning_date": today,
            # Always a PDF, never the HTML Odoo falls back to in tests.
            "force_report_rendering": True,
        }
        ids = [move.id for move in letters]
        # Odoo renders several documents in one wkhtmltopdf run only with its
        # patched Qt (it refuses otherwise, after running it).
        if len(ids) > 1 and "(with patched qt)" in _wkhtml().version:
            try:
                with self.env.cr.savepoint():
                    streams = report.with_context(
                        **context
                    )._render_qweb_pdf_prepare_streams(report.report_name, None, ids)
                if set(streams) == set(ids):
                    return {
                        move_id: (stream["stream"].getvalue(), False)
                        for move_id, stream in streams.items()
                    }
            except Exception:  # each letter again on its own, to find the one at fault
                _logger.info("dunning: letters rendered one by one after a failure")
        pdfs = {}
        for move_id in ids:
            try:
                content, _kind = report.with_context(**context)._render_qweb_pdf(
                    report.report_name, [move_id]
                )
                pdfs[move_id] = (content, False)
            except Exception as error:  # recorded as the step's failure
                pdfs[move_id] = (False, _("Letter failed: %s", error))
        return pdfs
