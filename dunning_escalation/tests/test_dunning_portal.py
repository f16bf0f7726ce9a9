import re

from freezegun import freeze_time

from odoo.tests import HttpCase, tagged

from .common import D
from .common import DunningCase


@tagged("post_install", "-at_install")
class TestDunningPortal(DunningCase, HttpCase):
    """The customer answers a reminder from the invoice page, without an account:
    the link in the reminder carries the invoice's access token."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = cls.env["res.users"].create(
            {
                "name": "Anna Accountant",
                "login": "dunning_portal_accountant",
                "group_ids": [
                    (6, 0, [cls.env.ref("account.group_account_invoice").id])
                ],
            }
        )
        cls.policy.user_id = cls.accountant

    def setUp(self):
        super().setUp()
        self.invoice = self._invoice("2026-03-01", 250.0)
        self._run("2026-03-05")  # the first reminder
        self.invoice._portal_ensure_token()

    def _page(self):
        response = self.url_open(
            f"/my/invoices/{self.invoice.id}?access_token={self.invoice.access_token}"
        )
        self.assertEqual(response.status_code, 200)
        return response.text

    def _answer(self, answer, **fields):
        page = self._page()
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = self.url_open(
            f"/my/invoices/{self.invoice.id}/dunning/{answer}",
            data={
                "csrf_token": csrf,
                "access_token": self.invoice.access_token,
                **fields,
            },
        )
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        return response.text

    def _activities(self):
        return self.invoice.activity_ids.filtered(
            lambda a: a.user_id == self.accountant
        )

    def test_invoice_page_offers_the_three_answers(self):
        with freeze_time("2026-03-06"):
            page = self._page()
        for name in ("dunning_pay", "dunning_paid", "dunning_dispute"):
            self.assertIn(f'name="{name}"', page)
        self.assertIn(f'action="/my/invoices/{self.invoice.id}/dunning/dispute"', page)

    def test_dispute_blocks_for_30_days_with_an_activity(self):
        with freeze_time("2026-03-06"):
            page = self._answer("dispute", note="Two pallets were never delivered")
        self.assertIn("We have received your question", page)
        self.assertRecordValues(
            self.invoice,
            [
                {
                    "dunning_block_reason": "dispute",
                    "dunning_blocked_until": D(2026, 4, 5),
                }
            ],
        )
        self.assertIn(
            "Two pallets were never delivered", self.invoice.dunning_block_note
        )
        activity = self._activities()
        self.assertEqual(len(activity), 1)
        self.assertEqual(
            activity.summary, f"Resolve the dispute on {self.invoice.name}"
        )
        self.assertEqual(activity.date_deadline, D(2026, 3, 6))
        self.assertEqual(len(self._events(self.invoice, "dispute")), 1)
        note = self.invoice.message_ids[0]
        self.assertEqual(note.author_id, self.customer)
        self.assertIn("disputes the invoice", note.body)
        # Paused: no reminder while the dispute is open.
        emails = len(self._events(self.invoice, "email"))
        self._run("2026-03-20")
        self.assertEqual(len(self._events(self.invoice, "email")), emails)

    def test_already_paid_blocks_for_a_week(self):
        with freeze_time("2026-03-06"):
            page = self._answer("paid", paid_on="2026-03-04", note="NL91 ref 4471")
        self.assertIn("We will look for your payment", page)
        self.assertEqual(self.invoice.dunning_block_reason, "other")
        self.assertEqual(self.invoice.dunning_blocked_until, D(2026, 3, 13))
        self.assertIn(
            "was paid on 2026-03-04 (reference NL91 ref 4471)",
            self.invoice.dunning_block_note,
        )
        self.assertEqual(
            self._activities().summary,
            f"Find the payment the customer reports for {self.invoice.name}",
        )

    def test_pay_now_is_a_promise_of_three_days(self):
        with freeze_time("2026-03-06"):
            page = self._answer("pay")
        self.assertIn("Please transfer", page)
        self.assertIn(self.invoice.payment_reference or self.invoice.name, page)
        self.assertEqual(self.invoice.dunning_block_reason, "promise")
        self.assertEqual(self.invoice.dunning_blocked_until, D(2026, 3, 9))
        self.assertEqual(len(self._events(self.invoice, "promise")), 1)
        self.assertEqual(
            self._activities().summary, f"Check the payment of {self.invoice.name}"
        )

    def test_bad_answers_are_refused_and_keep_what_was_typed(self):
        with freeze_time("2026-03-06"):
            page = self._answer("dispute", note="   ")
            self.assertIn("Tell us what is wrong with the invoice.", page)
            page = self._answer("paid", paid_on="2026-03-09", note="ref 77")
            self.assertIn("Give the date you paid, today or earlier.", page)
            self.assertIn('value="ref 77"', page, "the reference is kept")
            self.assertIn('value="2026-03-09"', page, "the date is kept")
        self.assertFalse(self.invoice.dunning_blocked_until)
        self.assertFalse(self._activities())

    def test_no_answer_without_the_token_or_once_paid(self):
        with freeze_time("2026-03-06"):
            response = self.url_open(f"/my/invoices/{self.invoice.id}")
            self.assertNotIn('name="dunning_dispute"', response.text)
            self._register_payment(self.invoice, payment_date="2026-03-06")
            page = self._page()
        self.assertNotIn('name="dunning_dispute"', page)

    def test_a_first_answer_is_not_replaced_by_a_second(self):
        with freeze_time("2026-03-06"):
            self._answer("dispute", note="Wrong unit price on line 2")
            page = self._page()
            self.assertIn("reminders are paused until", page)
            self.assertNotIn('name="dunning_pay"', page)
            # A form still open in another tab: refused, the dispute stays.
            login_page = self.url_open("/web/login").text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
            page = self.url_open(
                f"/my/invoices/{self.invoice.id}/dunning/pay",
                data={"csrf_token": csrf, "access_token": self.invoice.access_token},
            ).text
        self.env.invalidate_all()
        self.assertIn("This invoice no longer needs an answer", page)
        self.assertEqual(self.invoice.dunning_block_reason, "dispute")
        self.assertEqual(self.invoice.dunning_blocked_until, D(2026, 4, 5))
        self.assertEqual(len(self._activities()), 1)
