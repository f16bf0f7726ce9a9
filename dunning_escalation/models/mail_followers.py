from odoo import models

# The context key under which a run's queueing of reminders hands over the data of
# each reminder's recipients, read for its whole batch (account_move_mail.py).
RECIPIENTS_KEY = "dunning_recipient_data"


class MailFollowers(models.Model):
    _inherit = "mail.followers"

    def _get_recipient_data(self, records, message_type, subtype_id, pids=None):
        """The recipients of one reminder, from what was read for its batch: the
        mail module asks once per message, with a query of over a millisecond."""
        known = self.env.context.get(RECIPIENTS_KEY)
        if known and records and len(records) == 1 and records._name == "account.move":
            key = (records.id, message_type, subtype_id, tuple(sorted(pids or ())))
            if key in known:
                return {
                    records.id: {
                        pid: {**data, "groups": set(data["groups"])}
                        for pid, data in known[key].items()
                    }
                }
        return super()._get_recipient_data(records, message_type, subtype_id, pids)
