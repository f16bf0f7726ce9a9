from odoo import models


class SmsSms(models.Model):
    _inherit = "sms.sms"

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
