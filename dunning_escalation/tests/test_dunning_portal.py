import re
from urllib.parse import parse_qs
from urllib.parse import urlencode
from urllib.parse import urlsplit

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

    def _page(self, **params):
        """The invoice page as the customer opens it from the reminder's link,
        with ``params`` added to the link's query string."""
        query = urlencode({"access_token": self.invoice.access_token, **params})
        response = self.url_open(f"/my/invoices/{self.invoice.id}?{query}")
        self.assertEqual(response.status_code, 200)
        return response.text

    def _csrf(self, page=None):
        """A CSRF token of this browser's session, from ``page`` or the login
        page (which any visitor can open)."""
        page = page or self.url_open("/web/login").text
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def _answer(self, answer, **fields):
        """Send ``answer`` from the invoice page; the page it redirects to."""
        response = self.url_open(
            f"/my/invoices/{self.invoice.id}/dunning/{answer}",
            data={
                "csrf_token": self._csrf(self._page()),
                "access_token": self.invoice.access_token,
                **fields,
            },
        )
        self.assertEqual(response.status_code, 200)
        # Back on the invoice page; the outcome waits in the session, never in
        # the link (which anyone could craft).
        self.assertTrue(response.history, "the answer redirects")
        url = urlsplit(response.url)
        self.assertEqual(url.path, f"/my/invoices/{self.invoice.id}")
        self.assertEqual(
            parse_qs(url.query), {"access_token": [self.invoice.access_token]}
        )
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
            page = self.url_open(
                f"/my/invoices/{self.invoice.id}/dunning/pay",
                data={
                    "csrf_token": self._csrf(),
                    "access_token": self.invoice.access_token,
                },
            ).text
        self.env.invalidate_all()
        self.assertIn("This invoice no longer needs an answer", page)
        self.assertEqual(self.invoice.dunning_block_reason, "dispute")
        self.assertEqual(self.invoice.dunning_blocked_until, D(2026, 4, 5))
        self.assertEqual(len(self._activities()), 1)

    def _assert_not_paused(self, invoice):
        """No pause, no answer recorded and no to-do from the portal on
        ``invoice``."""
        self.env.invalidate_all()
        self.assertFalse(invoice.dunning_blocked_until)
        self.assertFalse(invoice.dunning_block_reason)
        self.assertFalse(
            self.Event.search(
                [
                    ("move_id", "=", invoice.id),
                    "|",
                    ("kind", "in", ("dispute", "promise", "block")),
                    ("portal_answer", "!=", False),
                ]
            )
        )
        self.assertFalse(invoice.activity_ids)

    def test_a_crafted_link_puts_no_text_on_the_page(self):
        with freeze_time("2026-03-06"):
            page = self._page(
                dunning_error="<b>Pay to IBAN XX</b>",
                dunning_answer="pay",
                dunning_form="dispute",
                dunning_note="Injected note",
            )
        self.assertNotIn("IBAN XX", page)
        self.assertNotIn("Injected note", page)
        self.assertNotIn("Please transfer", page, "no success message")
        self.assertNotIn("alert-danger", page, "no error message")
        self.assertNotIn("alert-success", page, "no success message")
        # The page is the ordinary one: all three answers offered.
        self.assertIn('name="dunning_pay"', page)
        self._assert_not_paused(self.invoice)

    def test_the_outcome_of_an_answer_shows_once(self):
        with freeze_time("2026-03-06"):
            page = self._answer("paid", paid_on="2026-03-09", note="ref 77")
            self.assertIn("Give the date you paid, today or earlier.", page)
            page = self._page()
            self.assertNotIn("Give the date you paid", page)
            self.assertNotIn('value="ref 77"', page)
            self.assertNotIn('value="2026-03-09"', page)
            page = self._answer("dispute", note="Wrong unit price on line 2")
            self.assertIn("We have received your question", page)
            page = self._page()
        self.assertNotIn("We have received your question", page)
        self.assertNotIn("alert-success", page)
        # What stays is the pause itself, read from the invoice.
        self.assertIn("reminders are paused until", page)

    def test_no_answer_without_the_invoice_token(self):
        other = self._invoice("2026-03-01", 80.0, partner=self.customer_2)
        other._portal_ensure_token()
        url = f"/my/invoices/{self.invoice.id}/dunning/dispute"
        with freeze_time("2026-03-06"):
            # As the public user, without any token.
            response = self.url_open(
                url, data={"csrf_token": self._csrf(), "note": "Not ours"}
            )
            self.assertNotIn("We have received your question", response.text)
            # With the token of another invoice (the customer's own or not).
            response = self.url_open(
                url,
                data={
                    "csrf_token": self._csrf(),
                    "access_token": other.access_token,
                    "note": "Not ours",
                },
            )
            self.assertNotIn("We have received your question", response.text)
        self._assert_not_paused(self.invoice)
        self._assert_not_paused(other)
        self.assertFalse(
            self.invoice.message_ids.filtered(lambda m: "Not ours" in m.body)
        )

    def test_each_answer_pauses_dunning_once(self):
        with freeze_time("2026-03-06"):
            self._answer("dispute", note="Wrong unit price on line 2")
        with freeze_time("2026-03-10"):
            # The accountant settles the dispute and lifts the pause.
            self.invoice._dunning_unblock("Credit note agreed with the customer")
            page = self._page()
            self.assertNotIn('name="dunning_dispute"', page, "dispute was used")
            self.assertIn('name="dunning_pay"', page)
            self.assertIn('name="dunning_paid"', page)
            # The dispute form still open in another tab: refused.
            response = self.url_open(
                f"/my/invoices/{self.invoice.id}/dunning/dispute",
                data={
                    "csrf_token": self._csrf(),
                    "access_token": self.invoice.access_token,
                    "note": "Still wrong",
                },
            )
            self.env.invalidate_all()
            self.assertIn(
                "You gave this answer for this invoice before. To pause the "
                "reminders again, please contact us.",
                response.text,
            )
            self.assertFalse(self.invoice.dunning_blocked_until)
            self.assertEqual(len(self._events(self.invoice, "dispute")), 1)
            self.assertEqual(len(self._activities()), 1)
            # Another answer is still taken.
            page = self._answer("pay")
        self.assertIn("Please transfer", page)
        self.assertRecordValues(
            self.invoice,
            [
                {
                    "dunning_block_reason": "promise",
                    "dunning_blocked_until": D(2026, 3, 13),
                }
            ],
        )
        self.assertEqual(
            self._events(self.invoice)
            .filtered("portal_answer")
            .mapped("portal_answer"),
            ["dispute", "pay"],
        )
        self.assertEqual(len(self._activities()), 2)

    def test_a_malformed_payment_date_is_refused(self):
        with freeze_time("2026-03-06"):
            for typed in ("31/02/2026", "2026-02-31", "abc"):
                page = self._answer("paid", paid_on=typed, note="ref 77")
                self.assertIn("Give the date you paid, today or earlier.", page)
                self.assertIn(f'value="{typed}"', page, "the date is kept")
                self.assertIn('value="ref 77"', page, "the reference is kept")
        self._assert_not_paused(self.invoice)

    def test_the_customer_text_is_never_markup(self):
        with freeze_time("2026-03-06"):
            self._answer("dispute", note="<b>x</b><script>alert(1)</script>")
        escaped = "&lt;b&gt;x&lt;/b&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
        note = str(self._activities().note)
        self.assertIn(escaped, note)
        self.assertNotIn("<b>", note)
        self.assertNotIn("<script", note)
        body = str(self.invoice.message_ids[0].body)
        self.assertIn(escaped, body)
        self.assertNotIn("<script", body)
        self.assertIn(
            "<b>x</b><script>alert(1)</script>", self.invoice.dunning_block_note
        )

    def test_the_invoice_page_lists_what_each_payment_settled(self):
        # A fee of 15.00 at the firm reminder, then 100.00 paid on the invoice (no
        # law of ours for this customer: as registered, on the invoice).
        self.level_2.fee_fixed = 15.0
        self._run("2026-03-09")
        self.assertEqual(self.invoice.dunning_fee_move_ids.amount_total, 15.0)
        self._register_payment(self.invoice, amount=100.0, payment_date="2026-03-10")
        page = self._page()
        self.assertIn("Payments received", page)
        self.assertIn(
            f"received on 03/10/2026: $\xa0100.00 invoice {self.invoice.name}",
            page.replace("&nbsp;", "\xa0"),
        )

    def test_the_invoice_page_says_a_payment_settles_the_charges_first(self):
        # A Dutch business: its 15.00 fee at the firm reminder is settled first.
        self.customer.write(
            {"is_company": True, "country_id": self.env.ref("base.nl").id}
        )
        self.level_2.fee_fixed = 15.0
        self._run("2026-03-09")
        page = self._page().replace("&nbsp;", "\xa0")
        self.assertIn("Late-payment charges of", page)
        self.assertIn("$\xa015.00", page)
        self.assertIn("a payment settles them", page)
        # Nothing of the kind where payments stay as registered.
        self.policy.payment_in_law_order = False
        self.assertNotIn("Late-payment charges of", self._page())
