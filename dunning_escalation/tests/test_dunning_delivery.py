import smtplib

from odoo import fields
from odoo.tests import tagged

from .common import DunningCase
from .common import SmtpCase


@tagged("post_install", "-at_install")
class TestDunningDelivery(DunningCase, SmtpCase):
    """The mail queue really sends; only the SMTP server is replaced."""

    def _send_queue(self, smtp_error=None, server_down=False):
        mails = self.env["mail.mail"].search([("state", "=", "outgoing")])
        self._deliver(mails.send, smtp_error=smtp_error, server_down=server_down)
        return mails

    def test_delivered_mail_keeps_the_level(self):
        invoice = self._invoice("2026-03-10")
        self._run("2026-03-13")
        mails = self._send_queue()
        self.assertEqual(mails.mapped("state"), ["sent"])
        self.assertEqual(len(self.emails), 1)
        self.assertIn("ap@devries.example", self.emails[0]["msg_to"])
        self.assertEqual(invoice.dunning_level_id, self.level_1)
        self.assertEqual(self._events(invoice, "email").state, "done")

    def test_rejected_mail_does_not_advance_and_is_retried(self):
        invoice = self._invoice("2026-03-10")
        self._run("2026-03-13")
        self.assertEqual(invoice.dunning_level_id, self.level_1)
        mails = self._send_queue(
            smtp_error=smtplib.SMTPDataError(554, b"mailbox unavailable")
        )
        self.assertEqual(mails.mapped("state"), ["exception"])
        event = self._events(invoice, "email")
        self.assertEqual(event.state, "failed")
        self.assertIn("mailbox unavailable", event.reason)
        self.assertFalse(invoice.dunning_level_id, "the level goes back")
        self.assertEqual(invoice.dunning_next_date, self.level_1_date(invoice))
        # Next run: the same step again, on the same event, with a new mail.
        self._run("2026-03-14")
        self.assertEqual(invoice.dunning_level_id, self.level_1)
        self.assertRecordValues(
            self._events(invoice, "email"), [{"id": event.id, "state": "done"}]
        )
        self.assertEqual(self._send_queue().mapped("state"), ["sent"])

    def test_server_down_then_back(self):
        first = self._invoice("2026-03-10")
        second = self._invoice("2026-03-10", partner=self.customer_2)
        self._run("2026-03-13")
        self._send_queue(server_down=True)
        self.assertFalse((first | second).dunning_level_id)
        self.assertEqual(
            set(self._events(first | second, "email").mapped("state")), {"failed"}
        )
        self._run("2026-03-14")
        self.assertEqual(self._send_queue().mapped("state"), ["sent", "sent"])
        self.assertEqual((first | second).dunning_level_id, self.level_1)

    def level_1_date(self, invoice):
        return fields.Date.add(invoice.invoice_date_due, days=self.level_1.delay_days)
