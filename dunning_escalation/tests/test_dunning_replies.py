import re
from datetime import date
from unittest.mock import patch
from urllib.parse import urlsplit

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from ..tools import replies as replies_tool
from .common import DunningCase

CUSTOMER = "Bakkerij De Vries <ap@devries.example>"


@tagged("post_install", "-at_install")
class TestDunningReplies(DunningCase, HttpCase):
    """A customer's email reply to a reminder, as Odoo's mail gateway receives it
    (raw RFC 822 text answering the queued reminder's Message-Id), pauses the
    invoices of that reminder as it reads and asks the responsible user to check
    the reading."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = cls.env["res.users"].create(
            {
                "name": "Anna Accountant",
                "login": "dunning_reply_accountant",
                "password": "dunning_reply_accountant",
                "group_ids": [
                    (6, 0, [cls.env.ref("account.group_account_invoice").id])
                ],
            }
        )
        cls.policy.user_id = cls.accountant
        # The reminders' replies come back to the company's catchall address.
        cls.env.company.alias_domain_id = cls.env["mail.alias.domain"].create(
            {"name": "dunning.example", "catchall_alias": "catchall"}
        )
        cls.invoice = cls._invoice("2026-03-02", 250.0)
        cls.invoice_2 = cls._invoice("2026-03-01", 80.0)

    def setUp(self):
        super().setUp()
        self._run("2026-03-05")  # the first reminder: both invoices, one message
        self.reminder = self._mails_of(self._events(self.invoice, "email"))
        self.assertEqual(len(self.reminder), 1)

    def _reply(
        self,
        body,
        sender=CUSTOMER,
        subject=None,
        headers="",
        message_id="<reply-1@devries.example>",
        day="2026-03-06 09:30:00",
        answers=None,
        references=None,
        html=None,
    ):
        """Deliver a reply to ``answers`` (the reminder's mail by default) through
        the mail gateway on ``day``, as the mail fetcher does."""
        answers = answers or self.reminder
        references = " ".join(references or answers.mapped("message_id"))
        raw = (
            f"From: {sender}\r\n"
            f"To: {answers.reply_to}\r\n"
            f"Subject: {subject or 'Re: ' + answers.subject}\r\n"
            f"Message-ID: {message_id}\r\n"
            f"In-Reply-To: {answers.message_id}\r\n"
            f"References: {references}\r\n"
            "Date: Fri, 06 Mar 2026 09:30:00 +0100\r\n"
            f"{headers}"
            "MIME-Version: 1.0\r\n"
            f'Content-Type: text/{"html" if html else "plain"}; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: 8bit\r\n"
            "\r\n"
            + (
                html
                or f"{body}\r\n"
                "\r\n"
                "On Thu, 5 Mar 2026 at 08:00, Company wrote:\r\n"
                "> Dear customer, we have not received payment of 330.00.\r\n"
                "> Please pay by 15 March.\r\n"
            )
        ).encode()
        with freeze_time(day):
            self.env["mail.thread"].message_process(False, raw)
        self.env.invalidate_all()
        return self.env["mail.message"].search(
            [("message_id", "=", message_id)], order="id desc", limit=1
        )

    def _replies(self, moves=None):
        return self._events(moves or (self.invoice | self.invoice_2), "reply")

    def _to_dos(self):
        return (self.invoice | self.invoice_2).activity_ids.filtered(
            lambda a: a.user_id == self.accountant
        )

    def test_promise_with_a_date_pauses_until_that_day(self):
        message = self._reply("Sorry for the delay: we will pay on 20 March.")
        # The reply is on the invoice the reminder was posted on, below it.
        self.assertEqual(message.model, "account.move")
        self.assertEqual(message.message_type, "email")
        self.assertEqual(message.parent_id, self.reminder.mail_message_id)
        replies = self._replies()
        self.assertRecordValues(
            replies.sorted("move_id"),
            [
                {
                    "move_id": move.id,
                    "reply_reading": "promise",
                    "reply_date": date(2026, 3, 20),
                    "reply_status": "to_check",
                    "reply_known_sender": True,
                    "reply_paused_until": date(2026, 3, 21),
                    "mail_message_id": message.id,
                    "date": date(2026, 3, 6),
                }
                for move in (self.invoice | self.invoice_2).sorted("id")
            ],
        )
        for move in self.invoice | self.invoice_2:
            self.assertRecordValues(
                move,
                [
                    {
                        "dunning_blocked_until": date(2026, 3, 21),
                        "dunning_block_reason": "promise",
                    }
                ],
            )
        self.assertEqual(len(self._events(self.invoice, "promise")), 1)
        todo = self._to_dos()
        self.assertEqual(len(todo), 1)
        self.assertEqual(todo.res_id, message.res_id)
        self.assertEqual(
            todo.summary, "Bakkerij De Vries replied: Promise to Pay on 03/20/2026"
        )
        self.assertIn("we will pay on 20 March", todo.note)
        self.assertNotIn("we have not received payment", todo.note)
        self.assertIn(f"/dunning/reply/{replies[0].id}/dispute?token=", todo.note)
        # Paused: the firm reminder due on 9 March does not go out on the 12th,
        # nor on the promised day itself.
        self._run("2026-03-12")
        self._run("2026-03-20")
        self.assertEqual(len(self._events(self.invoice, "email")), 1)
        # Once the promised day has passed unpaid, the chase resumes.
        self._run("2026-03-21")
        self.assertEqual(len(self._events(self.invoice, "email")), 2)

    def test_each_language_read(self):
        cases = [
            # Dutch: a dispute pauses for the policy's 14 days.
            ("Wij betwisten deze factuur: regel 3 is niet geleverd.", "dispute"),
            # French: already paid.
            ("Cette facture a déjà été payée le 2 mars.", "paid"),
            # German: a question.
            ("Können Sie uns bitte eine Kopie der Rechnung schicken?", "question"),
            # Swedish: a promise without a day pauses for the policy's days.
            ("Vi kommer att betala så snart vi kan.", "promise"),
        ]
        reasons = {
            "dispute": "dispute",
            "paid": "other",
            "question": "other",
            "promise": "promise",
        }
        for number, (body, reading) in enumerate(cases):
            with self.subTest(reading=reading):
                if number:
                    self.invoice._dunning_unblock("next case")
                    self.invoice_2._dunning_unblock("next case")
                message = self._reply(
                    body, message_id=f"<lang-{number}@devries.example>"
                )
                event = self._replies(self.invoice).filtered(
                    lambda e, m=message: e.mail_message_id == m
                )
                self.assertRecordValues(
                    event,
                    [
                        {
                            "reply_reading": reading,
                            "reply_date": False,
                            "reply_paused_until": date(2026, 3, 20),
                        }
                    ],
                )
                self.assertEqual(self.invoice.dunning_blocked_until, date(2026, 3, 20))
                self.assertEqual(self.invoice.dunning_block_reason, reasons[reading])
        self.assertEqual(len(self._to_dos()), 4)

    def test_html_reply_read_without_the_quoted_reminder(self):
        # As a webmail writes it: the reminder quoted below, where "already paid"
        # is the reminder's words, not the customer's.
        self._reply(
            None,
            html=(
                '<div dir="ltr">Wir werden am 20.03.2026 überweisen.</div>'
                '<div class="gmail_quote"><div>Am Do., 5. März 2026 schrieb '
                "Company:</div><blockquote>Falls Sie bereits bezahlt haben, "
                "betrachten Sie diese Erinnerung als gegenstandslos.</blockquote>"
                "</div>"
            ),
        )
        self.assertRecordValues(
            self._replies(self.invoice),
            [{"reply_reading": "promise", "reply_date": date(2026, 3, 20)}],
        )
        self.assertNotIn("bereits bezahlt", self._to_dos().note)

    def test_out_of_office_pauses_nothing_and_asks_nothing(self):
        self._reply(
            "I am out of the office until 16 March with limited access to email.",
            subject="Automatic reply: Payment reminder",
            headers="Auto-Submitted: auto-replied\r\n",
        )
        self.assertRecordValues(
            self._replies(self.invoice),
            [
                {
                    "reply_reading": "auto_reply",
                    "reply_status": False,
                    "reply_paused_until": False,
                    "reply_cue": "Auto-Submitted: auto-replied",
                }
            ],
        )
        self.assertFalse(self.invoice.dunning_blocked_until)
        self.assertFalse(self._to_dos())
        # The chase goes on: the firm reminder goes out on the 12th.
        self._run("2026-03-12")
        self.assertEqual(len(self._events(self.invoice, "email")), 2)

    def test_read_receipt_known_by_its_headers(self):
        self._reply(
            "Your message was read on 6 March.",
            subject="Read: Payment reminder",
            headers="X-Autoreply: yes\r\n",
        )
        self.assertEqual(self._replies(self.invoice).reply_reading, "auto_reply")
        self.assertFalse(self.invoice.dunning_blocked_until)

    def test_unknown_sender_pauses_nothing_until_confirmed(self):
        self._reply(
            "We will pay on 20 March.",
            sender="Someone <someone@elsewhere.example>",
        )
        replies = self._replies()
        self.assertRecordValues(
            replies,
            [
                {"reply_known_sender": False, "reply_paused_until": False}
                for _reply in replies
            ],
        )
        self.assertFalse(self.invoice.dunning_blocked_until)
        todo = self._to_dos()
        self.assertIn(
            "an address that is not the customer's", " ".join(todo.note.split())
        )
        # Confirmed by the accountant: the pause is set, the to-do done.
        with freeze_time("2026-03-07"):
            replies[0].with_user(self.accountant)._reply_set_reading("promise")
        self.env.invalidate_all()
        self.assertEqual(self.invoice.dunning_blocked_until, date(2026, 3, 21))
        self.assertEqual(self.invoice_2.dunning_blocked_until, date(2026, 3, 21))
        self.assertEqual(set(replies.mapped("reply_status")), {"confirmed"})
        self.assertFalse(todo.active)
        # Confirmed again: nothing more.
        with freeze_time("2026-03-08"):
            replies[0].with_user(self.accountant)._reply_set_reading("promise")
        self.assertEqual(len(self._events(self.invoice, "promise")), 1)

    def test_correction_moves_the_pause_and_restores_the_one_before(self):
        # The accountant had paused the invoice until the 10th.
        with freeze_time("2026-03-05"):
            self.invoice._dunning_block(date(2026, 3, 10), "other", "Call back")
        self._reply("We will pay on 20 March.")
        event = self._replies(self.invoice)
        self.assertEqual(self.invoice.dunning_blocked_until, date(2026, 3, 21))
        # Read again as a dispute: 14 days from the day it is corrected.
        with freeze_time("2026-03-07"):
            event.with_user(self.accountant)._reply_set_reading("dispute")
        self.env.invalidate_all()
        self.assertRecordValues(
            self.invoice,
            [
                {
                    "dunning_blocked_until": date(2026, 3, 21),
                    "dunning_block_reason": "dispute",
                }
            ],
        )
        self.assertRecordValues(
            event,
            [
                {
                    "reply_reading": "dispute",
                    "reply_status": "corrected",
                    # The day the reply named stays, for a correction back.
                    "reply_date": date(2026, 3, 20),
                }
            ],
        )
        # Read again as an automatic reply: the accountant's pause comes back.
        with freeze_time("2026-03-08"):
            event.with_user(self.accountant)._reply_set_reading("auto_reply")
        self.env.invalidate_all()
        self.assertRecordValues(
            self.invoice,
            [
                {
                    "dunning_blocked_until": date(2026, 3, 10),
                    "dunning_block_reason": "other",
                    "dunning_block_note": "Call back",
                }
            ],
        )
        # The other invoice had no pause before: it resumes.
        self.assertFalse(self.invoice_2.dunning_blocked_until)
        self.assertEqual(
            self._events(self.invoice_2, "unblock").reason,
            "The reply of 03/06/2026 was read again: Automatic Reply",
        )

    def test_a_longer_pause_is_kept(self):
        with freeze_time("2026-03-05"):
            self.invoice._dunning_block(date(2026, 4, 30), "dispute", "Line 3")
        self._reply("Can you send us a copy of the delivery note?")
        self.assertRecordValues(
            self.invoice,
            [
                {
                    "dunning_blocked_until": date(2026, 4, 30),
                    "dunning_block_reason": "dispute",
                }
            ],
        )
        self.assertFalse(self._replies(self.invoice).reply_paused_until)
        # Corrected to nothing: the dispute stays as it was.
        self._replies(self.invoice).with_user(self.accountant)._reply_set_reading(
            "auto_reply"
        )
        self.assertEqual(self.invoice.dunning_blocked_until, date(2026, 4, 30))

    def test_the_same_email_delivered_twice_is_read_once(self):
        self._reply("We will pay on 20 March.")
        with mute_logger("odoo.addons.mail.models.mail_thread"):
            self._reply("We will pay on 20 March.")
        self.assertEqual(len(self._replies()), 2)  # one per invoice
        self.assertEqual(len(self._to_dos()), 1)

    def test_a_second_reply_to_a_reply_follows_the_thread(self):
        first = self._reply("We will pay on 20 March.")
        # The accountant answers; the customer replies to that answer.
        answer = self.invoice.message_post(
            body="Thank you, noted.",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            parent_id=first.id,
        )
        raw_parent = self.env["mail.mail"].create(
            {"mail_message_id": answer.id, "reply_to": self.reminder.reply_to}
        )
        # Its References name the whole conversation, the reminder first.
        self._reply(
            "Sorry, we dispute line 3 after all.",
            message_id="<reply-2@devries.example>",
            answers=raw_parent,
            references=[
                self.reminder.message_id,
                first.message_id,
                raw_parent.message_id,
            ],
        )
        self.assertEqual(
            self._replies(self.invoice).mapped("reply_reading"), ["promise", "dispute"]
        )
        self.assertEqual(self.invoice.dunning_block_reason, "promise")
        self.assertEqual(self.invoice.dunning_blocked_until, date(2026, 3, 21))

    def test_a_reply_to_another_message_pauses_nothing(self):
        other = self.invoice.message_post(
            body="Your invoice is attached.",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=self.customer.ids,
        )
        mail = self.env["mail.mail"].create(
            {"mail_message_id": other.id, "reply_to": self.reminder.reply_to}
        )
        self._reply("We will pay on 20 March.", answers=mail)
        self.assertFalse(self._replies())
        self.assertFalse(self.invoice.dunning_blocked_until)

    def test_no_pause_days_leaves_the_to_do_only(self):
        self.policy.reply_pause_days = 0
        self._reply("Can you send us a copy of the invoice?")
        self.assertFalse(self.invoice.dunning_blocked_until)
        self.assertEqual(self._replies(self.invoice).reply_reading, "question")
        self.assertEqual(len(self._to_dos()), 1)

    def test_settled_or_handed_over_invoices_are_not_paused(self):
        self.invoice_2._dunning_write({"dunning_handed_off": True})
        self._reply("We will pay on 20 March.")
        self.assertEqual(self.invoice.dunning_blocked_until, date(2026, 3, 21))
        self.assertFalse(self.invoice_2.dunning_blocked_until)
        self.assertFalse(self._replies(self.invoice_2).reply_paused_until)

    def _links(self):
        """The links of the reply's to-do, by reading, as its note shows them."""
        note = self._to_dos().note
        return {
            reading: href.replace("&amp;", "&")
            for href, reading in re.findall(
                r'href="(/dunning/reply/\d+/(\w+)\?token=\w+)"', note
            )
        }

    def test_link_of_the_to_do_corrects_in_one_click(self):
        self._reply("We will pay on 20 March.")
        event = self._replies(self.invoice)
        links = self._links()
        self.assertEqual(
            set(links), {"promise", "dispute", "paid", "question", "auto_reply"}
        )
        self.authenticate("dunning_reply_accountant", "dunning_reply_accountant")
        # A link without its signature does nothing.
        forged = links["dispute"].split("?")[0] + "?token=forged"
        self.assertEqual(self.url_open(forged).status_code, 404)
        self.assertEqual(event.reply_reading, "promise")
        with freeze_time("2026-03-07"):
            response = self.url_open(links["dispute"])
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            urlsplit(response.history[0].headers["Location"]).path,
            f"/odoo/account.move/{self.invoice.id}",
        )
        self.env.invalidate_all()
        self.assertRecordValues(
            event, [{"reply_reading": "dispute", "reply_status": "corrected"}]
        )
        self.assertEqual(self.invoice.dunning_block_reason, "dispute")
        self.assertEqual(self.invoice.dunning_blocked_until, date(2026, 3, 21))
        self.assertFalse(self._to_dos().filtered("active"))
        # Decided: the to-do's other links are spent, whoever clicks them later.
        with freeze_time("2026-03-08"):
            response = self.url_open(links["auto_reply"])
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        self.assertEqual(event.reply_reading, "dispute")
        self.assertEqual(self.invoice.dunning_block_reason, "dispute")

    def test_only_invoicing_users_read_a_reply_again(self):
        self._reply("We will pay on 20 March.")
        auditor = self.env["res.users"].create(
            {
                "name": "Ada Auditor",
                "login": "dunning_reply_auditor",
                "group_ids": [
                    (6, 0, [self.env.ref("account.group_account_readonly").id])
                ],
            }
        )
        event = self._replies(self.invoice)
        self.assertEqual(event.with_user(auditor).reply_reading, "promise")
        for whole in (True, False):
            with self.subTest(whole=whole), self.assertRaises(AccessError):
                event.with_user(auditor)._reply_set_reading("auto_reply", whole)
        self.assertEqual(event.reply_reading, "promise")
        self.assertEqual(self.invoice.dunning_blocked_until, date(2026, 3, 21))

    def test_a_far_promise_waits_for_a_person(self):
        self._reply("We will pay on 15 June.")
        event = self._replies(self.invoice)
        self.assertEqual(event.reply_date, date(2026, 6, 15))
        # Read alone, it pauses up to the policy's 30 days.
        self.assertEqual(self.invoice.dunning_blocked_until, date(2026, 4, 5))
        with freeze_time("2026-03-07"):
            event.with_user(self.accountant)._reply_set_reading("promise")
        self.env.invalidate_all()
        self.assertEqual(self.invoice.dunning_blocked_until, date(2026, 6, 16))
        self.assertEqual(event.reply_status, "confirmed")

    def test_no_pause_days_means_no_pause_even_for_a_promise(self):
        self.policy.reply_pause_days = 0
        self._reply("We will pay on 20 March.")
        self.assertFalse(self.invoice.dunning_blocked_until)
        self.assertEqual(len(self._to_dos()), 1)

    def test_a_correction_keeps_the_date_the_reply_named(self):
        self._reply("We will pay on 20 March.")
        event = self._replies(self.invoice)
        with freeze_time("2026-03-07"):
            event.with_user(self.accountant)._reply_set_reading("dispute", False)
            event.with_user(self.accountant)._reply_set_reading("promise", False)
        self.env.invalidate_all()
        self.assertRecordValues(
            self.invoice,
            [
                {
                    "dunning_blocked_until": date(2026, 3, 21),
                    "dunning_block_reason": "promise",
                }
            ],
        )
        # Corrected for this invoice only: the other keeps the first reading.
        self.assertEqual(self._replies(self.invoice_2).reply_status, "to_check")

    def test_a_question_naming_a_day_corrected_to_a_promise(self):
        self._reply("Could you tell us whether 25 March works for you?")
        event = self._replies(self.invoice)
        self.assertRecordValues(
            event, [{"reply_reading": "question", "reply_date": date(2026, 3, 25)}]
        )
        with freeze_time("2026-03-07"):
            event.with_user(self.accountant)._reply_set_reading("promise")
        self.env.invalidate_all()
        self.assertEqual(self.invoice.dunning_blocked_until, date(2026, 3, 26))

    def test_two_replies_corrected_away_leave_no_pause_behind(self):
        self._reply("Can you send us a copy?", message_id="<q@devries.example>")
        with freeze_time("2026-03-10"):
            self._reply(
                "We dispute line 3.",
                message_id="<d@devries.example>",
                day="2026-03-10 09:00:00",
            )
        first, second = self._replies(self.invoice)
        self.assertEqual(self.invoice.dunning_blocked_until, date(2026, 3, 24))
        with freeze_time("2026-03-11"):
            first.with_user(self.accountant)._reply_set_reading("auto_reply", False)
            self.env.invalidate_all()
            # The dispute holds; the question's pause is gone from under it.
            self.assertEqual(self.invoice.dunning_blocked_until, date(2026, 3, 24))
            second.with_user(self.accountant)._reply_set_reading("auto_reply", False)
        self.env.invalidate_all()
        self.assertFalse(self.invoice.dunning_blocked_until)

    def test_a_pause_the_user_set_since_is_the_user_s(self):
        self._reply("Can you send us a copy?")
        event = self._replies(self.invoice)
        # The accountant blocks it again, to the same day, for another reason.
        with freeze_time("2026-03-07"):
            self.invoice._dunning_block(date(2026, 3, 20), "dispute", "Line 3")
            event.with_user(self.accountant)._reply_set_reading("auto_reply", False)
        self.env.invalidate_all()
        self.assertRecordValues(
            self.invoice,
            [
                {
                    "dunning_blocked_until": date(2026, 3, 20),
                    "dunning_block_reason": "dispute",
                }
            ],
        )

    def test_a_colleague_answering_from_their_mailbox_is_no_customer(self):
        colleague = self.env["res.users"].create(
            {
                "name": "Carl Colleague",
                "login": "dunning_reply_colleague",
                "email": "carl@company.example",
                "group_ids": [(6, 0, [self.env.ref("base.group_user").id])],
            }
        )
        self._reply("We will pay on 20 March.", sender=f"Carl <{colleague.email}>")
        self.assertFalse(self._replies())
        self.assertFalse(self.invoice.dunning_blocked_until)

    def test_a_reply_that_cannot_be_read_still_reaches_a_person(self):
        with (
            patch.object(
                replies_tool, "read_reply", side_effect=ValueError("unreadable")
            ),
            mute_logger("odoo.addons.dunning_escalation.models.account_move_reply"),
        ):
            message = self._reply("We will pay on 20 March.")
        self.assertEqual(message.res_id, self.invoice.id)
        self.assertFalse(self._replies())
        self.assertEqual(
            self._to_dos().summary,
            "Bakkerij De Vries replied to a reminder: read the reply",
        )
