import re
from urllib.parse import urlencode

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, tagged

from .common import D
from .common import DunningCase
from .test_dunning_letters import pdf_text


@tagged("post_install", "-at_install")
class TestDunningPlans(DunningCase):
    """A customer pays overdue invoices in instalments agreed with a user: no
    dunning while the plan is kept, each instalment reminded before and after its
    date, a missed one breaks the plan, the last one closes it with thanks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.first = cls._invoice("2026-03-01", 300.0)
        cls.second = cls._invoice("2026-03-02", 150.0)

    def setUp(self):
        super().setUp()
        self._run("2026-03-05")  # the first reminder
        self.assertEqual(self.first.dunning_level_id, self.level_1)

    def _agree(
        self, moves=None, count=3, first_date="2026-03-15", day="2026-03-06", pdf=False
    ):
        """A plan for ``moves`` agreed on ``day``: ``count`` instalments a month
        apart from ``first_date``, split evenly."""
        moves = moves or (self.first | self.second)
        with freeze_time(day):
            action = moves.action_dunning_payment_plan()
            plan = self.env["dunning.plan"].browse(action["res_id"])
            plan.write({"instalment_count": count, "first_date": first_date})
            plan.action_compute_schedule()
            # Odoo's tests render reports as HTML unless told to make the PDF.
            plan.with_context(force_report_rendering=pdf).action_agree()
        self.env.invalidate_all()
        return plan

    def _plan_mails(self, plan):
        return self.env["mail.mail"].search(
            [("model", "=", "dunning.plan"), ("res_id", "=", plan.id)], order="id"
        )

    def _pay(self, move, amount, day):
        with freeze_time(day):
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=move.ids
            ).create({"amount": amount, "payment_date": day})._create_payments()
        self.env.invalidate_all()

    def test_agreed_plan_pauses_its_invoices(self):
        plan = self._agree()
        self.assertRecordValues(
            plan,
            [
                {
                    "name": "PLAN/2026/0001",
                    "state": "running",
                    "partner_id": self.customer.id,
                    "amount_total": 450.0,
                    "amount_paid": 0.0,
                    "amount_open": 450.0,
                    "date_start": D(2026, 3, 6),
                    "date_end": D(2026, 5, 15),
                }
            ],
        )
        self.assertRecordValues(
            plan.instalment_ids,
            [
                {"date": D(2026, 3, 15), "amount": 150.0, "state": "open"},
                {"date": D(2026, 4, 15), "amount": 150.0, "state": "open"},
                {"date": D(2026, 5, 15), "amount": 150.0, "state": "open"},
            ],
        )
        for move in self.first | self.second:
            self.assertRecordValues(
                move,
                [
                    {
                        # The last instalment's date and the policy's 7 days to
                        # pay it: paused through the 22nd.
                        "dunning_blocked_until": D(2026, 5, 23),
                        "dunning_block_reason": "plan",
                    }
                ],
            )
        self.assertEqual(len(self._events(self.first, "plan")), 1)
        # The invoice's Dunning tab names it.
        self.assertEqual(self.first.dunning_plan_id, plan)
        # The customer receives the schedule.
        agreed = self._plan_mails(plan)
        self.assertEqual(len(agreed), 1)
        self.assertEqual(agreed.subject, "Payment plan PLAN/2026/0001: company_1_data")
        self.assertEqual(agreed.recipient_ids, self.customer)
        body = " ".join(agreed.body_html.split())
        for expected in (
            "450.00",
            "150.00",
            "03/15/2026",
            "05/15/2026",
            self.first.name,
        ):
            with self.subTest(expected=expected):
                self.assertIn(expected, body)
        # The firm reminder due on the 8th and 9th does not go out.
        sent = self._events(self.first | self.second, "email")
        self.assertEqual(len(sent), 2)
        self._run("2026-03-12")
        self.assertEqual(self._events(self.first | self.second, "email"), sent)

    def test_the_plan_to_sign_goes_with_the_agreement(self):
        plan = self._agree(pdf=True)
        agreed = self._plan_mails(plan)
        self.assertEqual(len(agreed.attachment_ids), 1)
        pdf = agreed.attachment_ids
        self.assertEqual(pdf.mimetype, "application/pdf")
        self.assertTrue(pdf.name.startswith("Payment plan - PLAN"), pdf.name)
        text = pdf_text(pdf.raw)
        for expected in (
            "Payment plan PLAN/2026/0001",
            "Bakkerij De Vries",
            self.first.name,
            self.second.name,
            "450.00",
            "03/15/2026",
            "04/15/2026",
            "05/15/2026",
            "7 days after its date ends this plan",
            "Name, date and signature",
        ):
            with self.subTest(expected=expected):
                self.assertIn(expected, text)

    def test_even_split_puts_the_cents_on_the_last_instalment(self):
        small = self._invoice("2026-03-01", 100.0, partner=self.customer_2)
        self._run("2026-03-05")
        plan = self._agree(small, count=3)
        self.assertEqual(plan.instalment_ids.mapped("amount"), [33.33, 33.33, 33.34])

    def test_each_instalment_reminded_before_and_once_after(self):
        plan = self._agree()
        self._run("2026-03-11")  # four days before: nothing yet
        self.assertEqual(len(self._plan_mails(plan)), 1)
        self._run("2026-03-12")  # three days before
        self._run("2026-03-13")
        mails = self._plan_mails(plan)
        self.assertEqual(len(mails), 2)
        self.assertEqual(
            mails[1].subject, "Instalment due: payment plan PLAN/2026/0001"
        )
        self.assertIn("150.00", mails[1].body_html)
        self._run("2026-03-16")  # the day after, unpaid
        self._run("2026-03-17")
        mails = self._plan_mails(plan)
        self.assertEqual(len(mails), 3)
        self.assertEqual(
            mails[2].subject, "Instalment not received: payment plan PLAN/2026/0001"
        )
        self.assertEqual(plan.state, "running")

    def test_payments_go_to_the_instalments_in_date_order(self):
        plan = self._agree()
        self._pay(self.first, 200.0, "2026-03-14")
        self.assertRecordValues(
            plan, [{"amount_paid": 200.0, "amount_open": 250.0, "state": "running"}]
        )
        self.assertRecordValues(
            plan.instalment_ids,
            [
                {"amount_paid": 150.0, "state": "paid"},
                {"amount_paid": 50.0, "state": "partial"},
                {"amount_paid": 0.0, "state": "open"},
            ],
        )
        # The first instalment is paid: no reminder for it.
        self._run("2026-03-13")
        self._run("2026-03-16")
        self.assertEqual(len(self._plan_mails(plan)), 1)

    def test_missed_instalment_breaks_the_plan_and_dunning_resumes(self):
        plan = self._agree()
        self._pay(self.first, 100.0, "2026-03-14")
        self._run("2026-03-22")  # seven days after the 15th: still in time
        self.assertEqual(plan.state, "running")
        self._run("2026-03-23")
        self.assertRecordValues(
            plan, [{"state": "broken", "date_closed": D(2026, 3, 23)}]
        )
        self.assertIn("the instalment of 03/15/2026", plan.close_reason)
        self.assertIn("50.00) was not paid", plan.close_reason)
        self.assertFalse(self.first.dunning_blocked_until)
        self.assertEqual(self._events(self.first, "unblock").reason, plan.close_reason)
        broken = self._plan_mails(plan)[-1]
        self.assertEqual(broken.subject, "Payment plan PLAN/2026/0001 ended")
        # Dunning resumes where it stood: the 17 days under the plan (6th to
        # 23rd) do not count, so the invoice, 5 days late on its ladder, stays
        # at the reminder; the firm one (7 days) comes on the 25th, not the
        # final notice its 22 days would warrant today.
        self.assertRecordValues(
            self.first | self.second,
            [
                {
                    "dunning_level_id": self.level_1.id,
                    "dunning_clock_days": 17,
                    "dunning_next_date": D(2026, 3, 25),
                },
                {
                    "dunning_level_id": self.level_1.id,
                    "dunning_clock_days": 17,
                    "dunning_next_date": D(2026, 3, 26),
                },
            ],
        )
        self.assertEqual(len(self._events(self.first, "email")), 1)
        self._run("2026-03-24")
        self.assertEqual(self.first.dunning_level_id, self.level_1)
        self._run("2026-03-25")
        self.assertEqual(self.first.dunning_level_id, self.level_2)
        self.assertFalse(self._events(self.first, "skipped"))
        self.assertEqual(len(self._events(self.first, "email")), 2)
        # Then one level at a time: the final notice 7 days later (14 - 7).
        self._run("2026-03-31")
        self.assertEqual(self.first.dunning_level_id, self.level_2)
        self._run("2026-04-01")
        self.assertEqual(self.first.dunning_level_id, self.level_3)
        # What the plan brought in stays as it stood when it broke: a payment
        # made since is not the plan's.
        self._pay(self.second, 150.0, "2026-04-02")
        self.assertRecordValues(
            plan, [{"amount_paid": 100.0, "amount_open": 350.0, "state": "broken"}]
        )

    def test_plan_paid_to_the_end_closes_with_thanks(self):
        self.policy.thankyou_template_id = self.env.ref(
            "dunning_escalation.mail_template_dunning_thankyou"
        )
        plan = self._agree()
        self._pay(self.first, 300.0, "2026-04-10")
        self._pay(self.second, 150.0, "2026-05-10")
        self._run("2026-05-11")
        self.assertRecordValues(
            plan,
            [
                {
                    "state": "kept",
                    "date_closed": D(2026, 5, 11),
                    "amount_paid": 450.0,
                    "amount_open": 0.0,
                }
            ],
        )
        mails = self._plan_mails(plan)
        self.assertEqual(
            mails[-1].subject, "Thank you: payment plan PLAN/2026/0001 paid"
        )
        # One thank-you: the plan's, not the policy's for each invoice too.
        thanks = self.env["mail.mail"].search(
            [
                ("model", "=", "account.move"),
                ("res_id", "in", (self.first | self.second).ids),
                ("subject", "ilike", "thank"),
            ]
        )
        self.assertFalse(thanks)
        self.assertEqual(len(self._events(self.first, "paid")), 1)
        self.assertFalse(self.first.dunning_block_reason)

    def test_interest_that_keeps_running_is_invoiced_when_kept(self):
        # A Dutch business: commercial interest (art. 6:119a BW), 10.15% a year
        # in the first half of 2026.
        self.customer.write(
            {"country_id": self.env.ref("base.nl").id, "is_company": True}
        )
        self.policy.legal_profile = "by_customer"
        with freeze_time("2026-03-06"):
            action = (self.first | self.second).action_dunning_payment_plan()
            plan = self.env["dunning.plan"].browse(action["res_id"])
            plan.write({"instalment_count": 2, "first_date": "2026-04-10"})
            plan.interest = "running"
            plan.action_compute_schedule()
            plan.action_agree()
        self._pay(self.first, 300.0, "2026-04-10")
        self._pay(self.second, 150.0, "2026-05-10")
        self._run("2026-05-11")
        self.assertEqual(plan.state, "kept")
        # 300.00 from 2 March to 10 April, 40 days: 300 x 10.15% x 40/365 = 3.34;
        # 150.00 from 3 March to 10 May, 69 days: 150 x 10.15% x 69/365 = 2.88.
        charged = self._events(self.first | self.second, "interest")
        self.assertEqual(sorted(charged.mapped("amount")), [2.88, 3.34])
        self.assertEqual(plan.interest_amount, 6.22)
        self.assertEqual(
            sorted(charged.fee_move_id.mapped("amount_total")), [2.88, 3.34]
        )
        self.assertTrue(all(m.state == "posted" for m in charged.fee_move_id))
        kept = self._plan_mails(plan)[-1]
        self.assertIn("6.22", kept.body_html)

    def test_waived_interest_is_not_charged_when_kept(self):
        self.customer.write(
            {"country_id": self.env.ref("base.nl").id, "is_company": True}
        )
        self.policy.legal_profile = "by_customer"
        plan = self._agree(count=1, first_date="2026-04-10")
        self.assertEqual(plan.interest, "waived")
        self._pay(self.first, 300.0, "2026-04-09")
        self._pay(self.second, 150.0, "2026-04-09")
        self._run("2026-04-10")
        self.assertEqual(plan.state, "kept")
        self.assertFalse(self._events(self.first | self.second, "interest"))
        self.assertFalse(plan.interest_amount)

    def test_the_last_day_to_pay_is_still_the_plan_s(self):
        plan = self._agree(count=1, first_date="2026-03-15")
        self.assertEqual(plan.missed_days, 7)
        # The last day to pay is the 22nd: no reminder that day, nor a break.
        self._run("2026-03-22")
        self.assertEqual(plan.state, "running")
        self.assertEqual(len(self._events(self.first, "email")), 1)
        self._run("2026-03-23")
        self.assertEqual(plan.state, "broken")

    def test_the_agreed_terms_stay_when_the_policy_changes(self):
        plan = self._agree(count=1, first_date="2026-03-15")
        self.policy.plan_missed_days = 1
        self._run("2026-03-20")
        self.assertEqual(plan.state, "running")

    def test_a_plan_invoice_is_not_reset_cancelled_or_credited(self):
        self._agree()
        with self.assertRaisesRegex(UserError, "under a running payment plan"):
            self.first.button_draft()
        with self.assertRaisesRegex(UserError, "under a running payment plan"):
            self.first._reverse_moves(cancel=True)
        self.assertEqual(self.first.state, "posted")
        self.assertEqual(self.first.payment_state, "not_paid")

    def test_a_plan_changes_through_its_buttons_only(self):
        plan = self._agree()
        user = self.env["res.users"].create(
            {
                "name": "Bill Billing",
                "login": "dunning_plan_billing",
                "group_ids": [
                    (6, 0, [self.env.ref("account.group_account_invoice").id])
                ],
            }
        )
        for vals in ({"state": "kept"}, {"amount_total": 1.0}, {"move_ids": [(5,)]}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                plan.with_user(user).write(vals)
        with self.assertRaisesRegex(UserError, "does not change"):
            plan.instalment_ids[0].with_user(user).unlink()
        with self.assertRaisesRegex(UserError, "does not change"):
            self.env["dunning.plan.instalment"].with_user(user).create(
                {"plan_id": plan.id, "date": "2026-06-15", "amount": 1.0}
            )
        self.assertEqual(plan.state, "running")
        self.assertEqual(len(plan.instalment_ids), 3)

    def test_invoices_under_two_policies_are_not_one_plan(self):
        gentle = self.policy.copy({"name": "Gentle"})
        # The policy an invoice was dunned under is its own, set by the run.
        self.second.sudo().with_context(skip_invoice_sync=True).write(
            {"dunning_policy_id": gentle.id}
        )
        with self.assertRaisesRegex(UserError, "under one dunning policy"):
            (self.first | self.second).action_dunning_payment_plan()

    def test_interest_kept_running_is_not_forgiven_again(self):
        self.customer.write(
            {"country_id": self.env.ref("base.nl").id, "is_company": True}
        )
        self.policy.write({"legal_profile": "by_customer", "waive_interest_days": 14})
        with freeze_time("2026-03-06"):
            action = (self.first | self.second).action_dunning_payment_plan()
            plan = self.env["dunning.plan"].browse(action["res_id"])
            plan.write({"instalment_count": 1, "first_date": "2026-04-10"})
            plan.interest = "running"
            plan.action_compute_schedule()
            plan.action_agree()
        self._pay(self.first, 300.0, "2026-04-10")
        self._pay(self.second, 150.0, "2026-04-10")
        self._run("2026-04-11")
        charged = self._events(self.first | self.second, "interest")
        self.assertEqual(len(charged), 2)
        self.assertEqual(set(charged.mapped("state")), {"done"})
        self.assertEqual(
            charged.fee_move_id.mapped("payment_state"), ["not_paid", "not_paid"]
        )

    def test_invoices_under_a_plan_are_the_plan_s_alone(self):
        self._agree()
        for action in (
            "action_dunning_escalate",
            "action_dunning_block",
            "action_dunning_unblock",
            "action_dunning_handoff",
            "action_dunning_payment_plan",
        ):
            with (
                self.subTest(action=action),
                self.assertRaisesRegex(UserError, "under a running payment plan"),
            ):
                getattr(self.first, action)()
        self.assertEqual(self.first.dunning_block_reason, "plan")

    def test_cancelled_plan_gives_the_invoices_back(self):
        plan = self._agree()
        with freeze_time("2026-03-08"):
            plan.action_cancel()
        self.env.invalidate_all()
        self.assertEqual(plan.state, "cancelled")
        self.assertFalse(self.first.dunning_blocked_until)
        self.assertEqual(len(self._events(self.first, "unblock")), 1)
        # The two days under the plan do not count toward the next level.
        self.assertEqual(self.first.dunning_clock_days, 2)
        self.assertEqual(self.first.dunning_next_date, D(2026, 3, 10))
        # Cancelled twice: nothing more.
        plan.action_cancel()
        self.assertEqual(len(self._events(self.first, "unblock")), 1)
        # A new plan for the same invoices may be agreed.
        second_plan = self._agree(day="2026-03-09")
        self.assertEqual(second_plan.name, "PLAN/2026/0002")
        self.assertEqual(self.first.dunning_block_reason, "plan")

    def test_bad_schedules_are_refused_with_what_to_correct(self):
        with freeze_time("2026-03-06"):
            action = (self.first | self.second).action_dunning_payment_plan()
            plan = self.env["dunning.plan"].browse(action["res_id"])
            with Form(plan) as form:
                form.instalment_count = 2
                form.first_date = D(2026, 3, 20)
            self.assertEqual(plan.instalment_ids.mapped("amount"), [225.0, 225.0])
            plan.instalment_ids[1].amount = 200.0
            with self.assertRaisesRegex(UserError, "add up to"):
                plan.action_agree()
            plan.instalment_ids[1].amount = 225.0
            plan.instalment_ids[0].date = D(2026, 3, 1)
            with self.assertRaisesRegex(UserError, "in the past"):
                plan.action_agree()
            plan.instalment_ids[0].date = D(2026, 3, 20)
            plan.action_agree()
        self.assertEqual(plan.state, "running")
        # Agreed, the schedule stays as it is.
        with self.assertRaisesRegex(UserError, "does not change"):
            plan.instalment_ids[0].amount = 1.0
        with self.assertRaisesRegex(UserError, "draft"):
            plan.unlink()

    def test_one_customer_and_currency_per_plan(self):
        other = self._invoice("2026-03-01", 80.0, partner=self.customer_2)
        with self.assertRaisesRegex(UserError, "one customer"):
            (self.first | other).action_dunning_payment_plan()

    def test_plans_by_outcome(self):
        # A customer paying in euros, at 2 euros to the company's unit.
        euro = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0)])
        customer_3 = self.env["res.partner"].create({"name": "Dupont SA"})
        euros = self._invoice("2026-03-01", 500.0, partner=customer_3, currency=euro)
        small = self._invoice("2026-03-01", 100.0, partner=self.customer_2)
        self._run("2026-03-05")
        self._agree()
        self._agree(euros, count=2, first_date="2026-03-20")
        kept = self._agree(small, count=1, first_date="2026-03-20")
        self._pay(small, 100.0, "2026-03-19")
        self._run("2026-03-20")
        self.assertEqual(kept.state, "kept")
        groups = self.env["dunning.plan"]._read_group(
            [("state", "!=", "draft")],
            ["state"],
            ["amount_total_company:sum", "__count"],
        )
        # Running: 450.00 and 500.00 euros (250.00); kept: 100.00.
        self.assertEqual(sorted(groups), [("kept", 100.0, 1), ("running", 700.0, 2)])


@tagged("post_install", "-at_install")
class TestDunningPlanPortal(DunningCase, HttpCase):
    """The customer asks for a payment plan from the invoice page, within the
    policy's limits; a user approves or refuses it, unless the policy approves
    within the limits by itself."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = cls.env["res.users"].create(
            {
                "name": "Anna Accountant",
                "login": "dunning_plan_accountant",
                "group_ids": [
                    (6, 0, [cls.env.ref("account.group_account_invoice").id])
                ],
            }
        )
        cls.policy.write(
            {
                "user_id": cls.accountant.id,
                "plan_max_instalments": 4,
                "plan_min_instalment": 100.0,
            }
        )
        cls.first = cls._invoice("2026-03-01", 300.0)
        cls.second = cls._invoice("2026-03-02", 150.0)

    def setUp(self):
        super().setUp()
        self._run("2026-03-05")
        self.first._portal_ensure_token()

    def _page(self):
        query = urlencode({"access_token": self.first.access_token})
        response = self.url_open(f"/my/invoices/{self.first.id}?{query}")
        self.assertEqual(response.status_code, 200)
        return response.text

    def _ask(self, **fields):
        page = self._page()
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = self.url_open(
            f"/my/invoices/{self.first.id}/dunning/plan",
            data={
                "csrf_token": csrf,
                "access_token": self.first.access_token,
                **fields,
            },
        )
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        return response.text

    def _to_customer(self, plan):
        """The mails of ``plan`` to the customer (its users are told of their
        to-dos and assignments too)."""
        return self.env["mail.mail"].search(
            [
                ("model", "=", "dunning.plan"),
                ("res_id", "=", plan.id),
                ("recipient_ids", "in", self.customer.ids),
            ]
        )

    def _plan(self):
        return self.env["dunning.plan"].search(
            [("move_ids", "in", self.first.ids), ("state", "!=", "cancelled")]
        )

    def test_the_page_offers_instalments_within_the_limits(self):
        with freeze_time("2026-03-06"):
            page = self._page()
        self.assertIn("Pay in instalments", page)
        # 450.00 in instalments of at least 100.00: four at most (the policy's).
        options = re.findall(r'<option value="(\d+)"', page)
        self.assertEqual(options, ["2", "3", "4"])
        self.assertIn(self.second.name, page)

    def test_a_request_waits_for_a_user(self):
        with freeze_time("2026-03-06"):
            page = self._ask(instalments="3", first_date="2026-03-20")
        self.assertIn("We have your request for a payment plan", page)
        plan = self._plan()
        self.assertRecordValues(
            plan,
            [
                {
                    "state": "requested",
                    "origin": "portal",
                    "amount_total": 450.0,
                    "user_id": self.accountant.id,
                }
            ],
        )
        self.assertEqual(plan.instalment_ids.mapped("amount"), [150.0, 150.0, 150.0])
        self.assertEqual(
            plan.instalment_ids.mapped("date"),
            [D(2026, 3, 20), D(2026, 4, 20), D(2026, 5, 20)],
        )
        # Paused for a week while it waits; the user has a to-do.
        self.assertEqual(self.first.dunning_blocked_until, D(2026, 3, 13))
        self.assertEqual(self.second.dunning_blocked_until, D(2026, 3, 13))
        self.assertEqual(plan.activity_ids.user_id, self.accountant)
        with freeze_time("2026-03-07"):
            self.assertIn("waits for our answer", self._page())
        # Approved: the plan runs, the customer gets the schedule.
        with freeze_time("2026-03-07"):
            plan.with_user(self.accountant).action_agree()
        self.env.invalidate_all()
        self.assertEqual(plan.state, "running")
        self.assertEqual(self.first.dunning_block_reason, "plan")
        self.assertFalse(plan.activity_ids)
        with freeze_time("2026-03-08"):
            page = self._page()
            pdf = self.url_open(
                f"/my/invoices/{self.first.id}/payment_plan?"
                + urlencode({"access_token": self.first.access_token})
            )
            stranger = self.url_open(
                f"/my/invoices/{self.first.id}/payment_plan?access_token=wrong",
                allow_redirects=False,
            )
        self.assertIn("/payment_plan?access_token=", page)
        # The plan to sign, as the report renders it (HTML under Odoo's tests).
        self.assertEqual(pdf.status_code, 200)
        self.assertIn(
            "attachment; filename*=UTF-8''PLAN_2026_0001.pdf",
            pdf.headers["Content-Disposition"],
        )
        self.assertIn(plan.name, pdf.text)
        self.assertIn("150.00", pdf.text)
        self.assertEqual(stranger.status_code, 303)
        self.assertIn("You pay this invoice in instalments", page)
        self.assertIn(plan.name, page)
        self.assertIn("Next instalment", page)
        self.assertNotIn("Pay in instalments", page)

    def test_a_refused_request_resumes_dunning_and_tells_the_customer(self):
        with freeze_time("2026-03-06"):
            self._ask(instalments="2", first_date="2026-03-20")
        plan = self._plan()
        with freeze_time("2026-03-07"):
            plan.with_user(self.accountant).action_cancel()
        self.env.invalidate_all()
        self.assertEqual(plan.state, "refused")
        self.assertFalse(self.first.dunning_blocked_until)
        refused = self._to_customer(plan)
        self.assertEqual(
            refused.subject, "Your request for a payment plan: company_1_data"
        )
        # The customer had an answer: the page does not offer it again for
        # these invoices, and a second request is refused.
        with freeze_time("2026-03-08"):
            self.assertNotIn("Pay in instalments", self._page())
            page = self._ask(instalments="2", first_date="2026-03-20")
        self.assertIn("cannot be requested", page)
        self.assertEqual(
            self.env["dunning.plan"].search_count(
                [("partner_id", "=", self.customer.id)]
            ),
            1,
        )
        # A new invoice may still be asked about.
        later = self._invoice("2026-03-04", 400.0)
        with freeze_time("2026-03-08"):
            offer = later._dunning_portal_plan_offer()
        self.assertEqual(offer["moves"], later)

    def test_an_unanswered_request_holds_and_goes_to_an_administrator(self):
        with freeze_time("2026-03-06"):
            self._ask(instalments="3", first_date="2026-03-20")
        plan = self._plan()
        todo = plan.activity_ids
        self.assertEqual(todo.date_deadline, D(2026, 3, 13))
        self._run("2026-03-12")
        self.assertEqual(plan.activity_ids, todo)
        # The answer's day passes: the invoices stay paused (no firm reminder,
        # due on the 8th and 9th), and an accounting administrator is told once.
        for day in ("2026-03-13", "2026-03-14", "2026-03-20"):
            self._run(day)
        self.assertEqual(self.first.dunning_level_id, self.level_1)
        self.assertEqual(self.first.dunning_block_reason, "plan")
        escalated = plan.activity_ids - todo
        self.assertEqual(len(escalated), 1)
        self.assertTrue(escalated.user_id.has_group("account.group_account_manager"))
        self.assertNotEqual(escalated.user_id, self.accountant)
        self.assertEqual(escalated.date_deadline, D(2026, 3, 13))
        # Answered at last: both to-dos are done, dunning resumes.
        with freeze_time("2026-03-21"):
            plan.with_user(self.accountant).action_cancel()
        self.env.invalidate_all()
        self.assertFalse(plan.activity_ids)
        self.assertFalse(self.first.dunning_blocked_until)

    def test_an_invoice_paid_before_the_answer_leaves_the_request(self):
        with freeze_time("2026-03-06"):
            self._ask(instalments="3", first_date="2026-03-20")
        plan = self._plan()
        with freeze_time("2026-03-08"):
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=self.second.ids
            ).create({"payment_date": "2026-03-08"})._create_payments()
        self.env.invalidate_all()
        # Approving as it stands is refused, with what to do.
        with (
            freeze_time("2026-03-09"),
            self.assertRaisesRegex(UserError, "Click Split Evenly"),
        ):
            plan.with_user(self.accountant).action_agree()
        with freeze_time("2026-03-09"):
            plan.with_user(self.accountant).action_compute_schedule()
            plan.with_user(self.accountant).action_agree()
        self.env.invalidate_all()
        # 300.00 left of 450.00: three instalments of 100.00 on the dates asked.
        self.assertRecordValues(plan, [{"state": "running", "amount_total": 300.0}])
        self.assertEqual(plan.move_ids, self.first)
        self.assertEqual(plan.instalment_ids.mapped("amount"), [100.0, 100.0, 100.0])
        self.assertEqual(
            plan.instalment_ids.mapped("date"),
            [D(2026, 3, 20), D(2026, 4, 20), D(2026, 5, 20)],
        )
        notes = " ".join(plan.message_ids.mapped("body"))
        self.assertIn(f"Paid since the request, taken out: {self.second.name}", notes)
        # The invoice taken out is no longer held by the request.
        self.assertFalse(self.second.dunning_block_reason)

    def test_a_request_paid_in_full_before_the_answer_is_closed(self):
        with freeze_time("2026-03-06"):
            self._ask(instalments="2", first_date="2026-03-20")
        plan = self._plan()
        with freeze_time("2026-03-08"):
            self.env["account.payment.register"].with_context(
                active_model="account.move",
                active_ids=(self.first | self.second).ids,
            ).create({"payment_date": "2026-03-08"})._create_payments()
        self.env.invalidate_all()
        with self.assertRaisesRegex(UserError, "paid since it was made"):
            plan.with_user(self.accountant).action_agree()
        self._run("2026-03-09")
        self.assertRecordValues(
            plan,
            [
                {
                    "state": "cancelled",
                    "close_reason": "Paid before it was answered",
                    "date_closed": D(2026, 3, 9),
                }
            ],
        )
        self.assertFalse(plan.activity_ids)
        self.assertFalse(self.first.dunning_blocked_until)
        # Nothing is sent to the customer about it.
        self.assertFalse(self._to_customer(plan))

    def test_requests_outside_the_limits_are_refused_and_kept(self):
        with freeze_time("2026-03-06"):
            page = self._ask(instalments="5", first_date="2026-03-20")
        self.assertIn("Choose between 2 and 4 instalments", page)
        self.assertIn(
            '<option value="4">4</option>', page.replace(' selected="selected"', "")
        )
        with freeze_time("2026-03-06"):
            page = self._ask(instalments="3", first_date="2026-05-20")
        self.assertIn("Choose the date of the first instalment", page)
        self.assertFalse(self._plan())
        self.assertFalse(self.first.dunning_blocked_until)

    def test_approved_at_once_when_the_policy_says_so(self):
        self.policy.plan_auto_approve = True
        with freeze_time("2026-03-06"):
            page = self._ask(instalments="2", first_date="2026-03-20")
        self.assertIn("your payment plan is agreed", page)
        plan = self._plan()
        self.assertEqual(plan.state, "running")
        self.assertEqual(plan.instalment_ids.mapped("amount"), [225.0, 225.0])
        mails = self._to_customer(plan)
        self.assertEqual(len(mails), 1)
        self.assertEqual(mails.subject, f"Payment plan {plan.name}: company_1_data")

    def test_no_offer_on_an_invoice_not_due_and_none_for_a_dispute(self):
        fresh = self._invoice("2026-04-30", 900.0)
        fresh._portal_ensure_token()
        with freeze_time("2026-03-06"):
            self.assertFalse(fresh._dunning_portal_plan_offer())
            self.second._dunning_block(D(2026, 4, 5), "dispute", "Line 3")
            offer = self.first._dunning_portal_plan_offer()
        self.assertEqual(offer["moves"], self.first)
        self.assertEqual(offer["total"], 300.0)
        self.assertEqual(offer["max"], 3)

    def test_no_second_plan_after_a_broken_one(self):
        self.policy.plan_auto_approve = True
        with freeze_time("2026-03-06"):
            self._ask(instalments="2", first_date="2026-03-20")
        self._run("2026-03-28")  # the first instalment missed
        self.assertEqual(self._plan().state, "broken")
        with freeze_time("2026-03-29"):
            page = self._page()
        self.assertNotIn("Pay in instalments", page)
        with freeze_time("2026-03-29"):
            page = self._ask(instalments="2", first_date="2026-04-10")
        self.assertIn("cannot be requested", page)
