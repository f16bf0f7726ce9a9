from odoo import models


class SmsSms(models.Model):
    _inherit = "sms.sms"

    def _send(self, unlink_failed=False, unlink_sent=True, raise_exception=False):
        """The SMS of a batch of several companies (reminders of two companies
        queued the same day), each company's through its own provider: the SMS
        queue's job hands its whole batch over at once, where the mail module
        expects one company, and would fail on every run, leaving them queued."""
        if not self.env.context.get("sms_api") and len(self) > 1:
            by_company = self.grouped(lambda sms: sms._get_sms_company())
            if len(by_company) > 1:
                for records in by_company.values():
                    records._send(
                        unlink_failed=unlink_failed,
                        unlink_sent=unlink_sent,
                        raise_exception=raise_exception,
                    )
                return None
        return super()._send(
            unlink_failed=unlink_failed,
            unlink_sent=unlink_sent,
            raise_exception=raise_exception,
        )

    def write(self, vals):
        """An SMS reminder the provider refused or could not take is a failed step:
        it shows in Failed Sends with the reason instead of counting as sent."""
        result = super().write(vals)
        if vals.get("state") == "error" and self.mail_message_id:
            events = self.env["dunning.event"]._delivered_steps(
                self.mail_message_id, "sms"
            )
            if events:
                labels = dict(
                    self._fields["failure_type"]._description_selection(self.env)
                )
                failure = labels.get(vals.get("failure_type"), vals.get("failure_type"))
                events.write(
                    {
                        "state": "failed",
                        "reason": self.env._(
                            "SMS not delivered: %s", failure or self.env._("error")
                        ),
                    }
                )
        return result
