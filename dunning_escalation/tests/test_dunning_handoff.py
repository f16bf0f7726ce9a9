import io
from unittest.mock import patch

from freezegun import freeze_time
from PyPDF2 import PdfReader

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import DunningCase


@tagged("post_install", "-at_install")
class TestDunningHandoff(DunningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agency = cls.env["res.partner"].create(
            {"name": "Incasso Noord B.V.", "email": "dossiers@incasso-noord.example"}
        )
        cls.policy.write(
            {"agency_partner_id": cls.agency.id, "handoff_mail_agency": True}
        )
        cls.level_3.send_letter = True
        cls.stage = {
            name: cls.env.ref(f"dunning_escalation.project_task_stage_{name}")
            for name in ("to_hand_over", "with_agency", "settled", "written_off")
        }

    def _handed_over(self):
        first = self._invoice("2026-02-01", 400.0)
        second = self._invoice("2026-02-05", 100.0)
        for day in ("2026-02-15", "2026-03-03", "2026-03-07"):
            self._run(day)
        task = self.env["project.task"].search([("dunning_move_ids", "in", first.ids)])
        return first | second, task

    def test_case_files_of_a_run_are_rendered_together(self):
        """Two customers handed over in one run: their two case files come from
        one wkhtmltopdf run, each with its own customer's invoices only, and each
        followed by the copies of its own letters."""
        first = self._invoice("2026-02-01", 400.0)
        second = self._invoice("2026-02-01", 250.0, partner=self.customer_2)
        for day in ("2026-02-15",):
            self._run(day)
        Report = type(self.env["ir.actions.report"])
        run = Report._run_wkhtmltopdf
        calls = []

        def counting(report, bodies, *args, **kwargs):
            calls.append(report.env.context.get("dunning_letters") is None)
            return run(report, bodies, *args, **kwargs)

        with patch.object(Report, "_run_wkhtmltopdf", counting):
            self._run("2026-03-03")
        self.assertEqual(calls.count(True), 1, "one run for both case files")
        for invoice, other in ((first, second), (second, first)):
            task = self.env["project.task"].search(
                [("dunning_move_ids", "in", invoice.ids)]
            )
            case_file = self.env["ir.attachment"].search(
                [("res_model", "=", "project.task"), ("res_id", "=", task.id)]
            )
            self.assertEqual(len(case_file), 1)
            text = " ".join(
                " ".join(
                    page.extract_text()
                    for page in PdfReader(io.BytesIO(case_file.raw)).pages
                ).split()
            )
            with self.subTest(customer=invoice.partner_id.name):
                self.assertIn("Collection case file", text)
                self.assertIn(invoice.name, text)
                self.assertIn(f"Debtor: {invoice.partner_id.name}", text)
                self.assertNotIn(other.name, text)
                self.assertNotIn(other.partner_id.name, text)
                self.assertIn(f"Dear {invoice.partner_id.name},", text)

    def test_case_creation_message_is_what_creating_a_task_posts(self):
        """The cases of a run get their "task created" messages together; each is
        the message creating a task in the project posts, notified alike to a
        collections manager following the project's new tasks."""
        project = self.env.ref("dunning_escalation.project_collections")
        manager = new_test_user(
            self.env,
            login="dunning_collections_lead",
            groups="project.group_project_user",
            notification_type="inbox",
        )
        project.sudo().message_subscribe(
            partner_ids=manager.partner_id.ids,
            subtype_ids=self.env.ref("project.mt_project_task_new").ids,
        )
        # Messages on creation, as outside tests.
        logged = {"tracking_disable": False, "mail_create_nolog": False}
        self.Move = self.Move.with_context(**logged)
        _invoices, case = self._handed_over()
        self.assertEqual(len(case), 1)
        by_hand = (
            self.env["project.task"]
            .with_context(**logged)
            .sudo()
            .create({"name": "Called the customer", "project_id": project.id})
        )

        def created(task):
            message = task.message_ids.filtered(
                lambda m: m.subtype_id == self.env.ref("project.mt_task_new")
            )
            self.assertEqual(len(message), 1)
            return {
                "message_type": message.message_type,
                "body": message.body,
                "author_id": message.author_id,
                "email_from": message.email_from,
                "reply_to": message.reply_to,
                "record_company_id": message.record_company_id,
                "record_alias_domain_id": message.record_alias_domain_id,
                "notified": sorted(
                    (n.res_partner_id.name, n.notification_type)
                    for n in message.notification_ids
                ),
            }

        self.assertEqual(created(case), created(by_hand))
        self.assertEqual(
            created(case)["notified"], [(manager.name, "inbox")], "the manager is told"
        )

    def test_handoff_task_with_case_file(self):
        invoices, task = self._handed_over()
        self.assertEqual(len(task), 1, "one task for the customer")
        self.assertRecordValues(
            task,
            [
                {
                    "project_id": self.env.ref(
                        "dunning_escalation.project_collections"
                    ).id,
                    "partner_id": self.agency.id,
                    "stage_id": self.stage["to_hand_over"].id,
                }
            ],
        )
        self.assertEqual(task.dunning_move_ids, invoices)
        self.assertTrue(all(invoices.mapped("dunning_handed_off")))
        # One case file per handoff: the second invoice joined the open case.
        case_file = self.env["ir.attachment"].search(
            [("res_model", "=", "project.task"), ("res_id", "=", task.id)],
            order="id desc",
        )
        self.assertEqual(len(case_file), 2)
        case_file = case_file[0]
        reader = PdfReader(io.BytesIO(case_file.raw))
        text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
        self.assertIn("Collection case file", text)
        for invoice in invoices:
            self.assertIn(invoice.name, text)
        self.assertIn("Final notice", text, "the letter copies follow the statement")
        self.assertGreaterEqual(len(reader.pages), 2)
        # Mailed to the agency with the case file.
        messages = task.message_ids.filtered(lambda m: self.agency in m.partner_ids)
        self.assertEqual(len(messages), 2)
        self.assertEqual(messages[0].attachment_ids, case_file)
        # The customer still owes them: its overview counts them, at the agency.
        self.customer.invalidate_recordset()
        with freeze_time("2026-03-07"):
            self.assertEqual(self.customer.dunning_overdue_amount, 500.0)
            self.assertEqual(self.customer.dunning_max_level_id, self.level_handoff)
            self.assertEqual(
                self.customer._dunning_statement_moves(),
                invoices | invoices.dunning_fee_move_ids,
                "with the charges booked at the handoff",
            )
        # No more reminders from the addon.
        emails = len(self._events(invoices, "email"))
        self._run("2026-04-30")
        self.assertEqual(len(self._events(invoices, "email")), emails)

    def test_task_settled_when_invoices_are_paid(self):
        invoices, task = self._handed_over()
        self._register_payment(invoices[0], payment_date="2026-03-10")
        self._run("2026-03-11")
        self.assertEqual(task.stage_id, self.stage["to_hand_over"], "one still unpaid")
        self._register_payment(invoices[1], payment_date="2026-03-12")
        self._run("2026-03-13")
        self.assertEqual(task.stage_id, self.stage["settled"])

    def test_write_off_and_recall_are_recorded_for_managers_only(self):
        invoices, task = self._handed_over()
        billing = new_test_user(
            self.env,
            login="dunning_handoff_billing",
            groups="account.group_account_invoice,project.group_project_user",
        )
        with self.assertRaises(AccessError):
            task.with_user(billing).action_dunning_write_off()
        with self.assertRaises(AccessError):
            invoices.with_user(billing).action_dunning_recall()
        task.action_dunning_write_off()
        self.assertEqual(task.stage_id, self.stage["written_off"])
        self.assertEqual(len(self._events(invoices, "write_off")), 2)
        invoices[0].action_dunning_recall()
        self.assertFalse(invoices[0].dunning_handed_off)
        self.assertTrue(invoices[1].dunning_handed_off)
        self.assertIn(
            "Recalled from the agency", self._events(invoices[0], "recall").reason
        )

    def test_whole_account_goes_with_the_first_invoice(self):
        self.policy.handoff_whole_account = True
        old = self._invoice("2026-02-01", 400.0)
        recent = self._invoice("2026-02-25", 50.0)  # only 5 days late at handoff
        not_due = self._invoice("2026-03-31", 70.0)
        self._run("2026-03-03")
        task = self.env["project.task"].search([("dunning_move_ids", "in", old.ids)])
        self.assertEqual(task.dunning_move_ids, old | recent)
        self.assertTrue(recent.dunning_handed_off)
        self.assertFalse(not_due.dunning_handed_off)
        self.assertEqual(len(self._events(recent, "handoff")), 1)
