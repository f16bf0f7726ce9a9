from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools.safe_eval import datetime as safe_datetime
from odoo.tools.safe_eval import dateutil
from odoo.tools.safe_eval import safe_eval

from .common import D
from .common import DunningCase


@tagged("post_install", "-at_install")
class TestDunningActions(DunningCase):
    def test_server_actions_are_bound_to_invoices(self):
        for name in ("escalate", "send", "block", "handoff"):
            action = self.env.ref(f"dunning_escalation.action_server_dunning_{name}")
            with self.subTest(action=name):
                self.assertEqual(action.binding_model_id.model, "account.move")
                self.assertEqual(action.binding_view_types, "list,form")

    def test_escalate_now_on_many_invoices(self):
        first = self._invoice("2026-03-10")
        second = self._invoice("2026-03-12", partner=self.customer_2)
        action = self.env.ref("dunning_escalation.action_server_dunning_escalate")
        with freeze_time("2026-03-11"):
            result = action.with_context(
                active_model="account.move", active_ids=(first | second).ids
            ).run()
        self.assertEqual(result["params"]["message"], "2 of 2 invoice(s) handled.")
        self.assertEqual((first | second).dunning_level_id, self.level_1)
        with freeze_time("2026-03-12"):
            (first | second).action_dunning_escalate()
        self.assertEqual((first | second).dunning_level_id, self.level_2)

    def test_send_again_writes_a_new_event_and_mail(self):
        invoice = self._invoice("2026-03-10")
        self._run("2026-03-13")
        with freeze_time("2026-03-14"):
            invoice.action_dunning_send_again()
        emails = self._events(invoice, "email")
        self.assertEqual(len(emails), 2)
        self.assertEqual(len(self._mails_of(emails)), 2)
        self.assertIn("Sent again at level Reminder", emails[1].reason)
        self.assertEqual(invoice.dunning_level_id, self.level_1)

    def test_send_again_needs_a_level(self):
        invoice = self._invoice("2026-03-10")
        with self.assertRaisesRegex(UserError, "has reached a dunning level"):
            invoice.action_dunning_send_again()

    def test_actions_refuse_what_dunning_does_not_handle(self):
        bill = self._invoice("2026-03-10", move_type="in_invoice")
        with self.assertRaisesRegex(UserError, "posted customer invoices only"):
            bill.action_dunning_escalate()

    def test_manual_handoff_creates_one_task_per_customer(self):
        invoices = self._invoice("2026-03-01") | self._invoice("2026-03-05", 42.0)
        self._run("2026-03-13")
        agency = self.env["res.partner"].create({"name": "Incasso Noord B.V."})
        self.policy.agency_partner_id = agency
        with freeze_time("2026-03-14"):
            invoices.action_dunning_handoff()
        task = self.env["project.task"].search([("partner_id", "=", agency.id)])
        self.assertEqual(len(task), 1)
        self.assertEqual(
            task.project_id, self.env.ref("dunning_escalation.project_collections")
        )
        for invoice in invoices:
            self.assertIn(invoice.name, str(task.description))
        self.assertTrue(all(invoices.mapped("dunning_handed_off")))
        self.assertEqual(len(self._events(invoices, "handoff")), 2)
        # No more reminders once with the agency, from the job or by hand.
        self._run("2026-03-30")
        self.assertEqual(len(self._events(invoices, "email")), 2)
        with (
            freeze_time("2026-03-31"),
            self.assertRaisesRegex(UserError, "with the collection agency"),
        ):
            invoices[0].action_dunning_escalate()
        with self.assertRaisesRegex(UserError, "with the collection agency"):
            invoices[0].action_dunning_send_again()
        self.assertEqual(len(self._events(invoices, "handoff")), 2)
        self.assertEqual(len(self._events(invoices, "email")), 2)

    def test_dry_run_shows_the_decision_and_changes_nothing(self):
        late = self._invoice("2026-03-01")
        blocked = self._invoice("2026-03-01", partner=self.customer_2)
        blocked.sudo().write(
            {"dunning_blocked_until": D(2026, 4, 1), "dunning_block_reason": "dispute"}
        )
        not_due = self._invoice("2026-04-01")
        wizard = self.env["dunning.run.wizard"].create(
            {"date": D(2026, 3, 14), "move_ids": (late | blocked | not_due).ids}
        )
        wizard.action_preview()
        lines = {line.move_id: line for line in wizard.line_ids}
        self.assertRecordValues(
            lines[late],
            [
                {
                    "code": "escalate",
                    "target_level_id": self.level_2.id,
                    "skipped": "Reminder",
                    "reason": "13 days overdue",
                }
            ],
        )
        self.assertEqual(lines[blocked].code, "blocked")
        self.assertIn("Blocked until 2026-04-01 (Disputed)", lines[blocked].reason)
        self.assertEqual(lines[not_due].code, "not_due")
        self.assertFalse(self._events(late | blocked | not_due))
        self.assertFalse(late.dunning_level_id)
        with freeze_time("2026-03-14"):
            wizard.action_run()
        self.assertEqual(late.dunning_level_id, self.level_2)
        self.assertFalse(blocked.dunning_level_id)


@tagged("post_install", "-at_install")
class TestDunningCron(DunningCase):
    def test_cron_is_daily_and_runs_every_company(self):
        cron = self.env.ref("dunning_escalation.ir_cron_dunning_run")
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "days"))
        company_b = self.setup_other_company(name="Company B")["company"]
        invoice_a = self._invoice("2026-03-10")
        invoice_b = self._invoice("2026-03-10", company=company_b)
        # The job's own server action, as the scheduler calls it.
        with freeze_time("2026-03-13"):
            cron.sudo().ir_actions_server_id.run()
        self.env.invalidate_all()
        self.assertEqual(invoice_a.dunning_level_id, self.level_1)
        self.assertEqual(
            invoice_b.dunning_level_id, company_b.dunning_policy_id.level_ids[0]
        )

    def test_run_reads_in_bulk(self):
        """The run's queries grow with the customers written to, not the invoices:
        120 invoices of 3 customers take about 45 queries per customer (one
        message each) and nothing per invoice; a query per invoice would pass 240."""
        partners = self.env["res.partner"].create(
            [{"name": f"Customer {i}", "email": f"c{i}@example.com"} for i in range(3)]
        )
        for partner in partners:
            for day in range(1, 41):
                # 13 to 27 days late: firm reminder or final notice, both mailed.
                self._invoice(f"2026-02-{14 + day % 15}", 10.0 + day, partner=partner)
        self.env.flush_all()
        self.env.invalidate_all()
        with freeze_time("2026-03-13"), self.assertQueryCount(150):
            self.Move._cron_dunning_run()
        self.assertEqual(
            len(
                self._events(
                    self.Move.search([("partner_id", "in", partners.ids)]), "email"
                )
            ),
            120,
        )


@tagged("post_install", "-at_install")
class TestDunningTodayFilters(DunningCase):
    def test_todays_work_filters(self):
        """The filters behind Dunning: Today's Work, evaluated as the web client
        evaluates them."""
        due = self._invoice("2026-03-10")
        later = self._invoice("2026-03-20")
        promised = self._invoice("2026-03-01", partner=self.customer_2)
        promised.sudo().write(
            {"dunning_blocked_until": D(2026, 3, 14), "dunning_block_reason": "promise"}
        )
        view = self.env.ref("dunning_escalation.view_account_invoice_filter_dunning")
        filters = {
            node.get("name"): node.get("domain")
            for node in etree.fromstring(view.arch).iter("filter")
            if node.get("domain")
        }
        context = {
            "context_today": lambda: safe_datetime.date(2026, 3, 13),
            "relativedelta": dateutil.relativedelta.relativedelta,
        }
        ours = due | later | promised

        def matching(name):
            return self.Move.search(safe_eval(filters[name], context)) & ours

        # The promise pushes its invoice's next step to the end of the block.
        self.assertEqual(matching("dunning_due_step"), due)
        self.assertEqual(matching("dunning_promise_due"), promised)
        self.assertEqual(matching("dunning_block_ending"), promised)
        self.assertTrue(self.env.ref("dunning_escalation.action_dunning_today"))
