"""The nightly run's escalation, spread over queue_job's workers: the scheduler's
run still expires pauses, records payments, settles cases and retries charges, then
posts one job per batch of customers instead of taking the batches itself. Any
number of Odoo servers sharing the database run the jobs at once; a job locks its
customers' invoices (rows another job holds are skipped) and each step is taken
once per invoice and level, so no customer is done twice. A job whose worker dies
is put back in the queue by the job runner and done again from the start: its
transaction was never committed."""

from odoo import api, fields, models

from odoo.addons.queue_job.job import identity_exact

# The queue_job channel the batches go to (data/queue_job_data.xml); its capacity,
# set in the job runner's configuration, is how many run at once.
CHANNEL = "root.dunning"


class DunningRun(models.AbstractModel):
    _inherit = "dunning.run"

    @api.model
    def _process_escalation_batches(self, company, today, batches):
        if not self._dunning_use_jobs():
            return super()._process_escalation_batches(company, today, batches)
        for number, batch in enumerate(batches, start=1):
            self.with_delay(
                channel=CHANNEL,
                identity_key=identity_exact,
                description=self.env._(
                    "Dunning run of %(company)s on %(date)s: customers, batch "
                    "%(number)s of %(count)s",
                    company=company.name,
                    date=today,
                    number=number,
                    count=len(batches),
                ),
            )._dunning_escalate_job(company.id, fields.Date.to_string(today), batch)
        return True

    @api.model
    def _dunning_use_jobs(self):
        """Whether the escalation goes to the job queue: when the scheduler runs
        the job (a button or the dialog acts at once), unless queue_job is told to
        run jobs at once (``queue_job__no_delay``)."""
        context = self.env.context
        return bool(context.get("cron_id")) and not context.get("queue_job__no_delay")

    @api.model
    def _dunning_escalate_job(self, company_id, day, partner_ids):
        """One batch of customers of the run of ``company_id`` on ``day`` (ISO
        date), as the run takes it: as superuser in that company, the invoices no
        other transaction holds."""
        company = self.env["res.company"].browse(company_id)
        today = fields.Date.to_date(day)
        run = (
            self.sudo()
            .with_company(company)
            .with_context(allowed_company_ids=company.ids, dunning_date=today)
        )
        run._escalate_batch(company, today, partner_ids, lock=True)
