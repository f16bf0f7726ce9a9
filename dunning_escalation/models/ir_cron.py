"""The SMS queue's scheduler woken once for a batch of SMS reminders. Odoo wakes it
for every SMS it queues: a trigger written, and at the commit a new database
connection to notify the scheduler, 2 to 3 ms an SMS. The SMS channel queues its
batch with ``SMS_WAKE_LATER`` in the context and wakes the scheduler once."""

from odoo import models

SMS_WAKE_LATER = "dunning_sms_wake_later"
SMS_SCHEDULER = "sms.ir_cron_sms_scheduler_action"


class IrCron(models.Model):
    _inherit = "ir.cron"

    def _trigger(self, at=None):
        if (
            at is None
            and self.env.context.get(SMS_WAKE_LATER)
            and self == self.env.ref(SMS_SCHEDULER, raise_if_not_found=False)
        ):
            return self.env["ir.cron.trigger"]
        return super()._trigger(at)
