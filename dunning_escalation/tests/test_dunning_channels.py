from unittest.mock import patch

from odoo.tests import new_test_user, tagged

from odoo.addons.sms.tests.common import MockSMS

from .common import DunningCase


@tagged("post_install", "-at_install")
class TestDunningChannels(DunningCase, MockSMS):
    """SMS through Odoo's sms queue, only the provider's endpoint mocked."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.write(
            {"country_id": cls.env.ref("base.nl").id, "phone": "06 12345678"}
        )

    def _send_sms_queue(self):
        sms = self.env["sms.sms"].search([("state", "=", "outgoing")])
        with self.mockSMSGateway():
            sms._send()
        return sms

    def test_sms_of_two_companies_leave_in_one_run_of_the_queue(self):
        """Firm reminders of two companies on the same day: the SMS queue's job
        sends both SMS, each through its company, instead of failing on the mixed
        batch and leaving them queued."""
        company_b = self.setup_other_company(name="Company B SMS")["company"]
        ours = self._invoice("2026-03-10", 321.0)
        theirs = self._invoice("2026-03-10", 123.0, company=company_b)
        self._run("2026-03-17")
        events = self._events(ours | theirs, "sms")
        self.assertEqual(len(events), 2)
        queued = self.env["sms.sms"].search([("state", "=", "outgoing")])
        self.assertEqual(
            set(queued.mail_message_id.record_company_id.ids),
            {self.env.company.id, company_b.id},
        )
        # The queue's job commits its progress: not in a test.
        with (
            self.mockSMSGateway(),
            patch.object(
                type(self.env["ir.cron"]), "_commit_progress", lambda *a, **k: 1.0
            ),
        ):
            self.env["sms.sms"]._process_queue()
        self.assertFalse(self.env["sms.sms"].search([("state", "=", "outgoing")]))
        self.assertEqual(set(events.mapped("state")), {"done"})
        self.assertEqual(len(self._sms), 2, "both SMS went to the provider")

    def test_sms_the_provider_refuses_is_a_failed_step(self):
        invoice = self._invoice("2026-03-10", 321.0)
        self._run("2026-03-17")
        event = self._events(invoice, "sms")
        self.assertEqual(event.state, "done")
        sms = self.env["sms.sms"].search([("state", "=", "outgoing")])
        with self.mockSMSGateway(sim_error="jsonrpc_exception"):
            sms._send()
        self.assertEqual(sms.state, "error")
        self.assertRecordValues(
            event, [{"state": "failed", "reason": "SMS not delivered: Server Error"}]
        )
        # Listed with the failed sends; the email of the same step is untouched.
        self.assertEqual(self._events(invoice, "email").state, "done")
        self.assertEqual(invoice.dunning_level_id, self.level_2)

    def test_sms_at_the_firm_reminder_in_e164(self):
        invoice = self._invoice("2026-03-10", 321.0)
        self._run("2026-03-17")  # 7 days: firm reminder, email and SMS
        event = self._events(invoice, "sms")
        self.assertRecordValues(
            event,
            [
                {
                    "state": "done",
                    "level_id": self.level_2.id,
                    "reason": "SMS to +31612345678",
                }
            ],
        )
        sms = self.env["sms.sms"].search(
            [("mail_message_id", "=", event.mail_message_id.id)]
        )
        self.assertEqual(sms.number, "+31612345678")
        self.assertIn("321.00", sms.body)
        self.assertIn("/my/invoices/", sms.body)
        self.assertEqual(sms.state, "outgoing", "queued, sent by the SMS job")
        self._send_sms_queue()
        self.assertEqual(sms.state, "pending", "handed to the provider")
        self.assertEqual(len(self._sms), 1)
        self.assertEqual(self._sms[0]["number"], "+31612345678")
        self.assertEqual(self._events(invoice, "email").state, "done")

    def test_sms_reminder_is_what_posting_it_makes(self):
        """An SMS reminder of the run (queued with the batch's others) and the same
        SMS posted with the sms module's ``_message_sms`` on an invoice like it:
        same message, SMS, notifications and followers."""
        batched = self._invoice("2026-03-10", 321.0)
        posted = self._invoice("2026-03-10", 321.0, partner=self.customer_2)
        # An accountant following both invoices' notes is told of each SMS.
        clerk = new_test_user(
            self.env,
            login="dunning_sms_clerk",
            groups="account.group_account_invoice",
            notification_type="inbox",
        )
        note = self.env.ref("mail.mt_note")
        for invoice in batched | posted:
            invoice.message_subscribe(
                partner_ids=clerk.partner_id.ids, subtype_ids=note.ids
            )
        before_run = [invoice.message_partner_ids for invoice in (batched, posted)]
        self._run("2026-03-17")
        # The other customer has no number: the run sent them no SMS.
        self.assertFalse(self._events(posted, "sms", "done"))
        message = self._events(batched, "sms").mail_message_id
        self.assertEqual(len(message), 1)
        sms = self.env["sms.sms"].search([("mail_message_id", "=", message.id)])
        self.assertEqual(len(sms), 1)
        reference = posted._message_sms(
            sms.body,
            partner_ids=self.customer_2.ids,
            sms_pid_to_number={self.customer_2.id: "+31612345679"},
            put_in_queue=True,
        )
        reference_sms = self.env["sms.sms"].search(
            [("mail_message_id", "=", reference.id)]
        )

        def message_fields(msg, invoice):
            return {
                "model": msg.model,
                "res_id": msg.res_id == invoice.id,
                "message_type": msg.message_type,
                "subtype_id": msg.subtype_id,
                "author_id": msg.author_id,
                "email_from": msg.email_from,
                "reply_to": msg.reply_to,
                "body": msg.body,
                "subject": msg.subject,
                "parent_id": bool(msg.parent_id),
                "record_company_id": msg.record_company_id,
                "record_alias_domain_id": msg.record_alias_domain_id,
                "email_add_signature": msg.email_add_signature,
                "partner_ids": msg.partner_ids == invoice.partner_id,
            }

        def notified(msg, invoice):
            return sorted(
                (
                    n.notification_type,
                    n.notification_status,
                    n.is_read,
                    "customer"
                    if n.res_partner_id == invoice.partner_id
                    else n.res_partner_id.name,
                )
                for n in msg.notification_ids
            )

        self.assertEqual(
            message_fields(message, batched), message_fields(reference, posted)
        )
        self.assertEqual(notified(message, batched), notified(reference, posted))
        self.assertIn(("inbox", "sent", False, clerk.name), notified(message, batched))
        self.assertEqual(
            [
                (s.number[:-1], s.body, s.state, s.partner_id == batched.partner_id)
                for s in sms
            ],
            [
                (s.number[:-1], s.body, s.state, s.partner_id == posted.partner_id)
                for s in reference_sms
            ],
        )

        # Who came to follow each invoice: with its reminders in the run (an email
        # to both, an SMS to the first), and with the SMS posted on the second.
        def names(partners, invoice):
            return sorted(
                "customer" if p == invoice.partner_id else p.name for p in partners
            )

        self.assertEqual(
            names(batched.message_partner_ids - before_run[0], batched),
            names(posted.message_partner_ids - before_run[1], posted),
        )

    def test_sms_of_a_run_wake_the_sms_queue_once(self):
        """Three customers' SMS reminders in one run: three SMS queued, and the SMS
        queue's scheduler woken by one trigger, not one per SMS."""
        self.customer_2.write(
            {"country_id": self.env.ref("base.nl").id, "phone": "06 12345679"}
        )
        third = self.customer_2.copy(
            {"name": "Drukkerij Jansen", "phone": "0612345670"}
        )
        invoices = self.env["account.move"].union(
            *(
                self._invoice("2026-03-10", partner=partner)
                for partner in (self.customer, self.customer_2, third)
            )
        )
        scheduler = self.env.ref("sms.ir_cron_sms_scheduler_action")
        Trigger = self.env["ir.cron.trigger"].sudo()
        before = Trigger.search([("cron_id", "=", scheduler.id)])
        self._run("2026-03-17")
        self.assertEqual(
            sorted(self._events(invoices, "sms").mapped("reason")),
            ["SMS to +31612345670", "SMS to +31612345678", "SMS to +31612345679"],
        )
        self.assertEqual(
            len(self.env["sms.sms"].search([("state", "=", "outgoing")])), 3
        )
        triggers = Trigger.search([("cron_id", "=", scheduler.id)]) - before
        self.assertEqual(len(triggers), 1, "the SMS queue woken once")
        # Each step's message is on its own invoice, to its own customer.
        for event in self._events(invoices, "sms"):
            self.assertEqual(event.mail_message_id.res_id, event.move_id.id)
            self.assertEqual(event.mail_message_id.partner_ids, event.partner_id)
        # Odoo's own SMS still wake it each time.
        invoices[0]._message_sms(
            body="Odoo's own SMS", partner_ids=self.customer.ids, put_in_queue=True
        )
        self.assertEqual(
            len(Trigger.search([("cron_id", "=", scheduler.id)]) - before), 2
        )

    def test_sms_that_cannot_be_posted_fails_alone(self):
        """An SMS the batch cannot post (the notification raises for one invoice):
        the batch is posted again SMS by SMS; that step fails with the reason,
        the other customer's SMS and both emails go."""
        self.customer_2.write(
            {"country_id": self.env.ref("base.nl").id, "phone": "06 12345679"}
        )
        broken = self._invoice("2026-03-10")
        fine = self._invoice("2026-03-10", partner=self.customer_2)
        Move = type(self.env["account.move"])
        notify = Move._notify_thread

        def failing(move, message, msg_vals=False, **kwargs):
            if message.message_type == "sms" and move.id == broken.id:
                raise ValueError("gateway settings unreadable")
            return notify(move, message, msg_vals, **kwargs)

        with patch.object(Move, "_notify_thread", failing):
            self._run("2026-03-17")
        failed = self._events(broken, "sms")
        self.assertEqual(failed.state, "failed")
        self.assertEqual(failed.reason, "SMS not queued: gateway settings unreadable")
        self.assertFalse(failed.mail_message_id)
        self.assertEqual(self._events(fine, "sms").state, "done")
        self.assertEqual(
            self.env["sms.sms"].search([("state", "=", "outgoing")]).number,
            "+31612345679",
        )
        self.assertEqual(
            set(self._events(broken | fine, "email").mapped("state")), {"done"}
        )

    def test_sms_recipient_follows_when_posting_would_subscribe_them(self):
        """With ``mail_post_autofollow`` in the context, posting an SMS subscribes
        its recipient to the invoice: so does the run's batch."""
        invoice = self._invoice("2026-03-10")
        self.assertNotIn(self.customer, invoice.message_partner_ids)
        self.Move = self.Move.with_context(mail_post_autofollow=True)
        self._run("2026-03-17")
        self.assertEqual(self._events(invoice, "sms").state, "done")
        self.assertIn(self.customer, invoice.message_partner_ids)

    def test_foreign_number_keeps_its_country(self):
        self.customer.phone = "+44 7911 123456"
        invoice = self._invoice("2026-03-10")
        self._run("2026-03-17")
        self.assertEqual(self._events(invoice, "sms").reason, "SMS to +447911123456")

    def test_invalid_or_missing_number_fails_alone(self):
        self.customer.phone = "12345"
        self.customer_2.phone = False
        first = self._invoice("2026-03-10")
        second = self._invoice("2026-03-10", partner=self.customer_2)
        self._run("2026-03-17")
        bad = self._events(first, "sms")
        self.assertEqual(bad.state, "failed")
        self.assertIn(
            "The number 12345 of Bakkerij De Vries cannot take an SMS: Invalid "
            "number 12345: probably incorrect prefix.",
            bad.reason,
        )
        missing = self._events(second, "sms")
        self.assertEqual(missing.state, "failed")
        self.assertIn("has no mobile or phone number", missing.reason)
        self.assertFalse(self.env["sms.sms"].search([]))
        # The email still went, and the level moved.
        self.assertEqual(
            set(self._events(first | second, "email").mapped("state")), {"done"}
        )
        self.assertEqual((first | second).dunning_level_id, self.level_2)

    def test_dunning_contact_receives_the_reminders(self):
        accounts = self.env["res.partner"].create(
            {
                "name": "Crediteurenadministratie",
                "parent_id": self.customer.id,
                "email": "crediteuren@devries.example",
                "type": "invoice",
            }
        )
        self.customer.dunning_contact_id = accounts
        invoice = self._invoice("2026-03-10")
        self._run("2026-03-13")
        mail = self._mails_of(self._events(invoice, "email"))
        self.assertEqual(mail.recipient_ids, accounts)
        self.assertEqual(self._events(invoice, "email").partner_id, accounts)

    def test_phone_call_activity(self):
        call = self.env.ref("mail.mail_activity_data_call")
        self.level_2.activity_type_id = call
        self.policy.user_id = self.env.user
        invoice = self._invoice("2026-03-10", 250.0)
        self._run("2026-03-17")
        activity = invoice.activity_ids
        self.assertRecordValues(
            activity,
            [
                {
                    "activity_type_id": call.id,
                    "user_id": self.env.user.id,
                    "summary": "Firm reminder: $\xa0250.00 overdue",
                }
            ],
        )
        self.assertEqual(self._events(invoice, "call").state, "done")
