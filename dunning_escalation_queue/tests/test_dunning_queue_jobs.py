from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.dunning_escalation.models import dunning_run as dunning_run_module
from odoo.addons.dunning_escalation.tests.common import DunningCase
from odoo.addons.dunning_escalation.tests.common import customers
from odoo.addons.queue_job.tests.common import trap_jobs


@tagged("post_install", "-at_install")
class TestDunningQueueJobs(DunningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cron = cls.env.ref("dunning_escalation.ir_cron_dunning_run")
        cls.others = customers(cls.env, 4, prefix="Queued")
        cls.invoices = cls.Move.browse(
            [
                cls._invoice("2026-03-10", 100.0 + n, partner=partner).id
                for n, partner in enumerate(cls.customer | cls.others)
            ]
        )

    def _scheduled_run(self, day):
        with (
            freeze_time(day),
            patch.object(dunning_run_module, "PARTNER_BATCH", 2),
        ):
            self.Move.with_context(cron_id=self.cron.id)._cron_dunning_run()
        self.env.invalidate_all()

    def test_the_scheduled_run_posts_a_job_per_batch_of_customers(self):
        """Five customers in batches of two: three jobs in the dunning channel,
        each naming its company, day and customers, every customer in one of
        them; nothing is sent until they run, then each invoice has its reminder
        once, and a second run that day posts no job."""
        with trap_jobs() as trap:
            self._scheduled_run("2026-03-13")
            trap.assert_jobs_count(3)
            self.assertEqual(self._events(self.invoices, "email"), self.Event)
            batches = []
            for job in trap.enqueued_jobs:
                self.assertEqual(job.channel, "root.dunning")
                self.assertTrue(job.identity_key)
                self.assertEqual(job.method_name, "_dunning_escalate_job")
                company_id, day, partner_ids = job.args
                self.assertEqual((company_id, day), (self.env.company.id, "2026-03-13"))
                batches.append(partner_ids)
            self.assertEqual(sorted(len(batch) for batch in batches), [1, 2, 2])
            self.assertCountEqual(
                [partner for batch in batches for partner in batch],
                self.invoices.commercial_partner_id.ids,
            )
            with freeze_time("2026-03-13"):
                trap.perform_enqueued_jobs()
        self.env.invalidate_all()
        emails = self._events(self.invoices, "email")
        self.assertEqual(len(emails), 5)
        self.assertEqual(emails.move_id, self.invoices)
        self.assertEqual(set(self.invoices.mapped("dunning_level_id")), {self.level_1})
        with trap_jobs() as trap:
            self._scheduled_run("2026-03-13")
            trap.assert_jobs_count(0)

    def test_a_batch_done_again_takes_no_step_twice(self):
        """A job the runner puts back in the queue (its worker died after the
        batch was committed by another attempt) does nothing the second time."""
        Run = self.env["dunning.run"]
        partner_ids = self.invoices.commercial_partner_id.ids
        with freeze_time("2026-03-13"):
            Run._dunning_escalate_job(self.env.company.id, "2026-03-13", partner_ids)
            Run._dunning_escalate_job(self.env.company.id, "2026-03-13", partner_ids)
        self.env.invalidate_all()
        self.assertEqual(len(self._events(self.invoices, "email")), 5)

    def test_buttons_and_no_delay_act_at_once(self):
        """Outside the scheduler, and with queue_job told to run jobs at once,
        the run takes its batches itself: no job."""
        with trap_jobs() as trap:
            self._run("2026-03-13")
            trap.assert_jobs_count(0)
            self.assertEqual(len(self._events(self.invoices, "email")), 5)
            with freeze_time("2026-03-17"):
                self.Move.with_context(
                    cron_id=self.cron.id, queue_job__no_delay=True
                )._cron_dunning_run()
            trap.assert_jobs_count(0)
        self.env.invalidate_all()
        self.assertEqual(set(self.invoices.mapped("dunning_level_id")), {self.level_2})
