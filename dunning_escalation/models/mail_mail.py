from odoo import models


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(
        self, success_pids, success_emails, failure_reason=False, failure_type=None
    ):
        """A reminder that could not be delivered does not count: its dunning event
        is marked failed and the invoice goes back a level, to be retried."""
        if failure_type:
            events = self.env["dunning.event"]._delivered_steps(
                self.mail_message_id, "email"
            )
            if events:
                # When the server cannot be reached, the error is on the mails only.
                why = failure_reason or "; ".join(
                    dict.fromkeys(
                        self.filtered("failure_reason").mapped("failure_reason")
                    )
                )
                reason = self.env._(
                    "Not delivered (%(type)s): %(reason)s",
                    type=failure_type,
                    reason=why,
                )
                self.env["dunning.channel.mail"].sudo()._delivery_failed(events, reason)
        return super()._postprocess_sent_message(
            success_pids,
            success_emails,
            failure_reason=failure_reason,
            failure_type=failure_type,
        )
