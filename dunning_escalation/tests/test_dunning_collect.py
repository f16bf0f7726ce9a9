from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import D
from .common import DunningCase


@tagged("post_install", "-at_install")
class TestDunningCollect(DunningCase):
    """A level charges the payment method the customer saved (Odoo's demo
    provider, whose tokens pay, refuse or stay pending as told) before its
    messages: paid, nothing is sent; refused, the reminder goes out with the
    reason and the link to update the method, and the retry days charge again."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider = (
            cls.env["payment.provider"]
            .sudo()
            .search(
                [("code", "=", "demo"), ("company_id", "=", cls.env.company.id)],
                limit=1,
            )
        )
        cls.provider.state = "test"
        cls.level_1.collect_token = True
        cls.invoice = cls._invoice("2026-03-01", 300.0)

    def _token(self, outcome, partner=None):
        return (
            self.env["payment.token"]
            .sudo()
            .create(
                {
                    "provider_id": self.provider.id,
                    "payment_method_id": self.env.ref(
                        "payment_demo.payment_method_demo"
                    ).id,
                    "partner_id": (partner or self.customer).id,
                    "payment_details": "4242",
                    "provider_ref": "demo reference",
                    "demo_simulated_state": outcome,
                }
            )
        )

    def _charges(self, move=None):
        return self._events(move or self.invoice, "collect")

    def test_a_saved_method_that_pays_settles_the_invoice_and_sends_nothing(self):
        self._token("done")
        self._run("2026-03-04")
        charge = self._charges()
        self.assertRecordValues(
            charge, [{"state": "done", "amount": 300.0, "date": D(2026, 3, 4)}]
        )
        transaction = charge.transaction_id
        self.assertRecordValues(
            transaction,
            [
                {
                    "state": "done",
                    "amount": 300.0,
                    "operation": "offline",
                    "invoice_ids": self.invoice.ids,
                }
            ],
        )
        # Paid through Odoo's payment flow: a posted payment, reconciled.
        self.assertEqual(transaction.payment_id.amount, 300.0)
        self.assertNotEqual(transaction.payment_id.state, "draft")
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))
        self.assertTrue(self.invoice.currency_id.is_zero(self.invoice.amount_residual))
        # No reminder: the level has nothing left to say.
        self.assertFalse(self._events(self.invoice, "email"))
        self._run("2026-03-09")
        self.assertEqual(len(self._charges()), 1)
        self.assertFalse(self._events(self.invoice, "email"))

    def test_a_refusal_lets_the_reminder_go_out_with_the_reason(self):
        self._token("error")
        self._run("2026-03-04")
        charge = self._charges()
        self.assertRecordValues(charge, [{"state": "failed", "amount": 300.0}])
        self.assertIn("refused", charge.reason)
        self.assertIn("demo payment status: error", charge.reason)
        self.assertEqual(charge.transaction_id.state, "error")
        self.assertEqual(self.invoice.payment_state, "not_paid")
        # The reminder goes out, saying so, with the link to update the method.
        self.assertEqual(self.invoice.dunning_level_id, self.level_1)
        mail = self._mails_of(self._events(self.invoice, "email"))
        self.assertEqual(len(mail), 1)
        body = " ".join(mail.body_html.split())
        self.assertIn("We could not charge your saved payment method.", body)
        self.assertIn("demo payment status: error", body)
        self.assertIn("/my/payment_method", body)

    def test_the_retry_days_charge_again_once_a_day(self):
        self.level_1.collect_retry_days = "5, 9"
        token = self._token("error")
        self._run("2026-03-04")
        self._run("2026-03-05")  # day 4: no retry day
        self.assertEqual(len(self._charges()), 1)
        # The customer updates the method; day 5 charges again, once.
        token.demo_simulated_state = "done"
        self._run("2026-03-06")
        self._run("2026-03-06")
        charges = self._charges()
        self.assertEqual(charges.mapped("state"), ["failed", "done"])
        self.assertEqual(charges.mapped("date"), [D(2026, 3, 4), D(2026, 3, 6)])
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))
        # Paid: day 9 charges nothing; the reminder went out once.
        self._run("2026-03-10")
        self.assertEqual(len(self._charges()), 2)
        self.assertEqual(len(self._events(self.invoice, "email")), 1)

    def test_a_retry_waits_for_a_pause_and_a_run_missed_is_made_up(self):
        self.level_1.collect_retry_days = "5"
        self._token("error")
        self._run("2026-03-04")
        with freeze_time("2026-03-05"):
            self.invoice._dunning_block(D(2026, 3, 8), "dispute", "Line 2")
        self._run("2026-03-06")  # the retry day, under the dispute
        self.assertEqual(len(self._charges()), 1)
        # The dispute ends on the 8th; the run of that day makes up the retry.
        self._run("2026-03-08")
        self.assertEqual(len(self._charges()), 2)
        self._run("2026-03-09")
        self.assertEqual(len(self._charges()), 2)

    def test_a_charge_in_flight_is_not_repeated_and_holds_the_level(self):
        self._token("pending")
        self._run("2026-03-04")
        charge = self._charges()
        self.assertRecordValues(charge, [{"state": "waiting"}])
        self.assertEqual(charge.transaction_id.state, "pending")
        self.assertFalse(self._events(self.invoice, "email"))
        self.assertFalse(self.invoice.dunning_level_id)
        self._run("2026-03-05")
        self.assertEqual(len(self._charges()), 1)
        self.assertFalse(self._events(self.invoice, "email"))

    def test_never_without_the_customer_s_own_method(self):
        self._token("done", partner=self.customer_2)
        self._run("2026-03-04")
        self.assertFalse(self._charges())
        self.assertEqual(self.invoice.payment_state, "not_paid")
        self.assertEqual(len(self._events(self.invoice, "email")), 1)
        # A method of a provider switched off is not charged either.
        self.level_2.collect_token = True
        self._token("done")
        self.provider.state = "disabled"
        self._run("2026-03-09")
        self.assertFalse(self._charges())

    def test_retry_days_must_be_days(self):
        with self.assertRaisesRegex(UserError, "whole days separated by commas"):
            self.level_1.collect_retry_days = "5, next week"
