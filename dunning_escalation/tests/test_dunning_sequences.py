"""Sequences of actions around a feature, each ending in a sound state: recall then
hand over again, waive after the policy forgave, pause then hand over the whole
account, pay an invoice handed over by hand, archive a level, move a customer to
another policy, run from the dialog in the future, a charge put off for a rate."""

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import D
from .common import DunningCase


@tagged("post_install", "-at_install")
class TestDunningRecall(DunningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stage = {
            name: cls.env.ref(f"dunning_escalation.project_task_stage_{name}")
            for name in ("to_hand_over", "settled", "written_off", "recalled")
        }

    def _task(self, invoice):
        return self.env["project.task"].search(
            [("dunning_move_ids", "in", invoice.ids)]
        )

    def test_recall_then_hand_over_again(self):
        """Recalled, the invoice is back at the final notice with a next step
        date; if still unpaid then, it goes back to the agency: a new case, and
        no unique-key error."""
        invoice = self._invoice("2026-02-01", 400.0)
        for day in ("2026-02-04", "2026-02-08", "2026-02-15", "2026-03-03"):
            self._run(day)
        self.assertTrue(invoice.dunning_handed_off)
        first_task = self._task(invoice)
        self.assertEqual(len(first_task), 1)
        with freeze_time("2026-03-10"):
            invoice.action_dunning_recall()
        self.assertRecordValues(
            invoice,
            [
                {
                    "dunning_handed_off": False,
                    "dunning_level_id": self.level_3.id,
                    "dunning_last_date": D(2026, 3, 10),
                    # The ladder's 16 days from the final notice to the agency.
                    "dunning_blocked_until": D(2026, 3, 26),
                    "dunning_next_date": D(2026, 3, 26),
                }
            ],
        )
        self.assertFalse(first_task.dunning_move_ids, "taken out of the case")
        self.assertEqual(first_task.stage_id, self.stage["recalled"])
        handoff = self._events(invoice, "handoff")
        self.assertEqual(handoff.state, "cancelled")
        self.assertEqual(handoff.agency_outcome, "recalled")
        # Nothing happens before the next step date; then the agency again.
        self._run("2026-03-20")
        self.assertFalse(invoice.dunning_handed_off)
        self._run("2026-03-26")
        self.assertTrue(invoice.dunning_handed_off)
        self.assertEqual(invoice.dunning_level_id, self.level_handoff)
        second_task = self._task(invoice)
        self.assertEqual(len(second_task), 1)
        self.assertNotEqual(second_task, first_task)
        handoffs = self._events(invoice, "handoff")
        self.assertEqual(handoffs.mapped("state"), ["cancelled", "done"])
        self.assertEqual(handoffs[1].agency_outcome, "with_agency")
        # The steps of the final notice were not taken a second time.
        self.assertEqual(len(self._events(invoice, "email")), 3)

    def test_recall_one_invoice_keeps_the_case_open(self):
        """One of two invoices recalled: the case stays open with the other, and
        the recalled one rejoins that case when handed over again."""
        first = self._invoice("2026-02-01", 400.0)
        second = self._invoice("2026-02-01", 100.0)
        self._run("2026-03-03")
        task = self._task(first)
        self.assertEqual(task.dunning_move_ids, first | second)
        with freeze_time("2026-03-10"):
            first.action_dunning_recall()
        self.assertEqual(task.dunning_move_ids, second)
        self.assertEqual(task.stage_id, self.stage["to_hand_over"])
        self.assertIn(first.name, task.message_ids[0].body)
        self._run("2026-03-26")
        self.assertTrue(first.dunning_handed_off)
        self.assertEqual(self._task(first), task, "the open case takes it back")

    def test_recall_twice_and_recall_refused_when_not_with_the_agency(self):
        invoice = self._invoice("2026-02-01", 400.0)
        self._run("2026-03-03")
        with freeze_time("2026-03-10"):
            invoice.action_dunning_recall()
            with self.assertRaisesRegex(UserError, "None of these invoices"):
                invoice.action_dunning_recall()
        self.assertEqual(len(self._events(invoice, "recall")), 1)

    def test_recall_of_an_invoice_handed_over_by_hand_keeps_its_level(self):
        invoice = self._invoice("2026-02-01", 400.0)
        self._run("2026-02-04")
        with freeze_time("2026-02-05"):
            invoice.action_dunning_handoff()
        self.assertEqual(invoice.dunning_level_id, self.level_1)
        with freeze_time("2026-02-06"):
            invoice.action_dunning_recall()
        # At the first reminder, the next step is the firm one, 4 days later.
        self.assertEqual(invoice.dunning_level_id, self.level_1)
        self.assertEqual(invoice.dunning_next_date, D(2026, 2, 10))

    def test_case_settled_when_invoices_without_a_level_are_paid(self):
        """Handed over by hand before any level: the case still settles."""
        invoice = self._invoice("2026-02-28", 300.0)
        with freeze_time("2026-03-01"):
            invoice.action_dunning_handoff()
        self.assertFalse(invoice.dunning_level_id)
        task = self._task(invoice)
        self._register_payment(invoice, payment_date="2026-03-05")
        self._run("2026-03-06")
        self.assertEqual(task.stage_id, self.stage["settled"])

    def test_write_off_and_links_belong_to_accounting_administrators(self):
        invoice = self._invoice("2026-02-01", 400.0)
        self._run("2026-03-03")
        task = self._task(invoice)
        project_user = new_test_user(
            self.env,
            login="dunning_seq_project",
            groups="project.group_project_manager",
        )
        accountant = new_test_user(
            self.env,
            login="dunning_seq_accountant",
            groups="account.group_account_user,project.group_project_user",
        )
        admin = new_test_user(
            self.env,
            login="dunning_seq_admin",
            groups="account.group_account_manager,project.group_project_user",
        )
        task.sudo().message_subscribe(partner_ids=(accountant | admin).partner_id.ids)
        written_off = self.stage["written_off"]
        # Dragging the card to Written Off is writing the case off.
        for user in (project_user, accountant):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                task.with_user(user).write({"stage_id": written_off.id})
        # Invoices join a case by a handoff, never by hand, even for accountants.
        with self.assertRaises(AccessError):
            task.with_user(accountant).write(
                {"dunning_move_ids": [Command.link(self._invoice("2026-02-02").id)]}
            )
        self.assertEqual(task.stage_id, self.stage["to_hand_over"])
        self.assertFalse(self._events(invoice, "write_off"))
        task.with_user(admin).write({"stage_id": written_off.id})
        self.assertEqual(len(self._events(invoice, "write_off")), 1)
        # Taking it back out of Written Off is theirs too.
        with self.assertRaises(AccessError):
            task.with_user(project_user).write(
                {"stage_id": self.stage["to_hand_over"].id}
            )
        # A task of the project with no invoice moves freely.
        plain = (
            self.env["project.task"]
            .sudo()
            .create({"name": "Call the agency", "project_id": task.project_id.id})
        )
        plain.with_user(project_user).write({"stage_id": written_off.id})
        self.assertEqual(plain.stage_id, written_off)

    def test_dunning_state_cannot_be_written_or_imported(self):
        invoice = self._invoice("2026-02-01", 400.0)
        billing = new_test_user(
            self.env,
            login="dunning_seq_billing",
            groups="account.group_account_invoice",
        )
        for vals in (
            {"dunning_handed_off": True},
            {"dunning_level_id": self.level_3.id},
            {"dunning_blocked_until": D(2026, 5, 1)},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                invoice.with_user(billing).write(vals)
        # An import reports the refusal instead of writing it.
        result = invoice.with_user(billing).load(
            [".id", "dunning_handed_off"], [[str(invoice.id), "1"]]
        )
        self.assertFalse(result["ids"])
        self.assertIn("only be changed through the dunning actions", str(result))
        self.assertFalse(invoice.dunning_handed_off)

    def test_actions_belong_to_invoicing_users(self):
        """A user who may write invoices for another app (a salesman's rights)
        but is no invoicing user cannot take dunning steps by any path."""
        invoice = self._invoice("2026-02-01", 400.0)
        writer = new_test_user(
            self.env, login="dunning_seq_writer", groups="base.group_user"
        )
        # Core's own access of an invoicing app that writes invoices.
        self.env["ir.model.access"].create(
            {
                "name": "writes invoices",
                "model_id": self.env.ref("account.model_account_move").id,
                "group_id": self.env.ref("base.group_user").id,
                "perm_read": True,
                "perm_write": True,
            }
        )
        moves = invoice.with_user(writer)
        for action in (
            moves.action_dunning_escalate,
            moves.action_dunning_handoff,
            moves.action_dunning_block,
            moves.action_dunning_send_again,
            moves.action_dunning_recall,
        ):
            with self.subTest(action=action.__name__), self.assertRaises(AccessError):
                action()
        self.assertFalse(invoice.dunning_handed_off)
        self.assertFalse(self._events(invoice))


@tagged("post_install", "-at_install")
class TestDunningSequenceFixes(DunningCase):
    def test_whole_account_leaves_paused_and_excluded_invoices(self):
        self.policy.handoff_whole_account = True
        old = self._invoice("2026-02-01", 400.0)
        recent = self._invoice("2026-02-20", 50.0)
        disputed = self._invoice("2026-02-20", 60.0)
        promised = self._invoice("2026-02-20", 70.0)
        excluded = self._invoice("2026-02-20", 80.0)
        with freeze_time("2026-03-01"):
            disputed._dunning_block(D(2026, 4, 1), "dispute", "wrong goods")
            promised._dunning_block(D(2026, 3, 10), "promise")
            excluded.no_followup = True
        self._run("2026-03-03")
        task = self.env["project.task"].search([("dunning_move_ids", "in", old.ids)])
        self.assertEqual(task.dunning_move_ids, old | recent)
        for move in (disputed, promised, excluded):
            self.assertFalse(move.dunning_handed_off, move.name)

    def test_waive_never_credits_more_than_is_open(self):
        """The policy forgave the interest of an invoice paid in time; waiving
        the charges afterwards credits the compensation only."""
        eur = self.setup_other_currency("EUR", rates=[("2020-01-01", 1.0)])
        self.policy.write(
            {
                "legal_profile": "nl_b2b",
                "waive_interest_days": 10,
                "payment_in_law_order": False,
            }
        )
        self.level_3.write({"charge_compensation": True, "apply_interest": True})
        invoice = self._invoice("2026-01-31", 1000.0, currency=eur)
        for day in ("2026-02-03", "2026-02-07", "2026-02-14"):
            self._run(day)
        fee = invoice.dunning_fee_move_ids
        # WIK 150 on 1000 and 14 days at 10.15%: 3.89.
        self.assertEqual(fee.amount_total, 153.89)
        self._register_payment(invoice, payment_date="2026-02-20", currency_id=eur.id)
        self._run("2026-02-21")
        self.assertEqual(fee.amount_residual, 150.0)
        with freeze_time("2026-02-22"):
            fee._dunning_waive("goodwill")
        credits = self.Move.search([("reversed_entry_id", "=", fee.id)])
        self.assertEqual(sorted(credits.mapped("amount_total")), [3.89, 150.0])
        self.assertEqual(sum(credits.mapped("amount_total")), 153.89)
        self.assertEqual(fee.amount_residual, 0.0)
        self.assertIn(fee.payment_state, ("paid", "reversed"))
        with freeze_time("2026-02-23"), self.assertRaisesRegex(UserError, "no open"):
            fee._dunning_waive("again")

    def test_waive_after_a_partial_payment_credits_the_rest(self):
        eur = self.setup_other_currency("EUR", rates=[("2020-01-01", 1.0)])
        self.policy.legal_profile = "nl_b2b"
        self.level_3.write({"charge_compensation": True, "apply_interest": True})
        invoice = self._invoice("2026-01-31", 1000.0, currency=eur)
        for day in ("2026-02-03", "2026-02-07", "2026-02-14"):
            self._run(day)
        fee = invoice.dunning_fee_move_ids
        self._register_payment(
            fee, payment_date="2026-02-20", amount=100.0, currency_id=eur.id
        )
        with freeze_time("2026-02-22"):
            fee._dunning_waive("goodwill")
        credit = self.Move.search([("reversed_entry_id", "=", fee.id)])
        # 153.89 charged, 100 paid: 53.89 left to credit.
        self.assertEqual(credit.amount_total, 53.89)
        self.assertEqual(fee.amount_residual, 0.0)

    def test_run_from_the_dialog_is_dated_today_or_earlier(self):
        invoice = self._invoice("2026-03-01", 100.0)
        billing = new_test_user(
            self.env,
            login="dunning_seq_dialog",
            groups="account.group_account_invoice",
        )
        with freeze_time("2026-03-05"):
            wizard = (
                self.env["dunning.run.wizard"]
                .with_user(billing)
                .create({"date": D(2026, 5, 4), "move_ids": invoice.ids})
            )
            wizard.action_preview()
            self.assertEqual(wizard.line_ids.target_level_id, self.level_handoff)
            with self.assertRaisesRegex(UserError, "only for a preview"):
                wizard.action_run()
            self.assertFalse(self._events(invoice))
            self.assertFalse(invoice.dunning_level_id)
            wizard.date = D(2026, 3, 5)
            wizard.action_run()
        self.assertEqual(invoice.dunning_level_id, self.level_1)
        self.assertEqual(invoice.dunning_last_date, D(2026, 3, 5))

    def test_activities_of_the_job_go_to_a_person(self):
        """No policy responsible and no salesperson: the company's dunning
        responsible; without one, an accounting administrator. Never the job's
        technical user."""
        self.level_2.activity_type_id = self.env.ref("mail.mail_activity_data_call")
        responsible = new_test_user(
            self.env, login="dunning_seq_resp", groups="account.group_account_invoice"
        )
        self.env.company.dunning_user_id = responsible
        invoice = self._invoice("2026-03-01", 100.0)
        invoice.sudo().invoice_user_id = False
        self._run("2026-03-08")
        activity = invoice.activity_ids
        self.assertEqual(activity.user_id, responsible)
        self.env.company.dunning_user_id = False
        other = self._invoice("2026-03-01", 100.0, partner=self.customer_2)
        other.sudo().invoice_user_id = False
        self._run("2026-03-09")
        user = other.activity_ids.user_id
        self.assertTrue(user.has_group("account.group_account_manager"))
        self.assertFalse(user._is_superuser())
        self.assertNotEqual(user, self.env.ref("base.user_root"))

    def test_archiving_a_level_never_moves_an_invoice_down(self):
        invoice = self._invoice("2026-03-01", 100.0)
        self._run("2026-03-15")
        self.assertEqual(invoice.dunning_level_id, self.level_3)
        self.level_3.active = False
        invoice.invalidate_recordset()
        # Next is the agency, not the firm reminder its age also warrants.
        self.assertEqual(invoice.dunning_next_date, D(2026, 3, 31))
        self._run("2026-03-20")
        self.assertEqual(invoice.dunning_level_id, self.level_3)
        self.assertEqual(len(self._events(invoice, "email")), 1)
        self._run("2026-03-31")
        self.assertTrue(invoice.dunning_handed_off)

    def test_moving_the_customer_to_another_policy_never_moves_down(self):
        strict = self.policy.copy({"name": "Strict"})
        # The strict ladder: 5, 10, 20 and 45 days.
        for level, delay in zip(
            strict.level_ids.sorted("sequence"), (5, 10, 20, 45), strict=True
        ):
            level.delay_days = delay
        invoice = self._invoice("2026-03-01", 100.0)
        self._run("2026-03-15")
        self.assertEqual(invoice.dunning_level_id, self.level_3)
        self.customer.dunning_policy_id = strict
        self.assertEqual(invoice.dunning_policy_id, strict)
        # Reached 14 days: past the strict 10, the next is the strict 20.
        self.assertEqual(invoice.dunning_next_date, D(2026, 3, 21))
        self._run("2026-03-17")
        self.assertEqual(len(self._events(invoice, "email")), 1)
        self._run("2026-03-21")
        self.assertEqual(invoice.dunning_level_id.policy_id, strict)
        self.assertEqual(invoice.dunning_level_id.delay_days, 20)

    def test_charge_put_off_for_a_rate_is_taken_once_the_rate_exists(self):
        """A fixed fee in a currency without a rate is put off, not forgotten,
        and charged by the first run after the rate is added."""
        gbp = self.env.ref("base.GBP")
        gbp.active = True
        self.env["res.currency.rate"].search([("currency_id", "=", gbp.id)]).unlink()
        self.level_1.fee_fixed = 10.0
        invoice = self._invoice("2026-03-01", 100.0, currency=gbp)
        self._run("2026-03-04")
        fee = self._events(invoice, "fee")
        self.assertEqual(fee.state, "failed")
        self.assertEqual(fee.retry_date, D(2026, 3, 5))
        self.assertIn("GBP has no exchange rate", fee.reason)
        self.assertFalse(invoice.dunning_fee_move_ids)
        self._run("2026-03-05")
        self.assertEqual(fee.retry_date, D(2026, 3, 6), "still no rate: tomorrow")
        self.env["res.currency.rate"].create(
            {"currency_id": gbp.id, "name": "2026-01-01", "rate": 0.5}
        )
        self._run("2026-03-06")
        self.assertEqual(fee.state, "done")
        # USD 10 at 0.5 GBP per USD.
        self.assertEqual(invoice.dunning_fee_move_ids.amount_total, 5.0)
        self._run("2026-03-07")
        self.assertEqual(len(invoice.dunning_fee_move_ids), 1)

    def test_recall_keeps_a_dispute_that_pauses_the_invoice(self):
        invoice = self._invoice("2026-02-01", 400.0)
        self._run("2026-03-03")
        self.assertTrue(invoice.dunning_handed_off)
        with freeze_time("2026-03-05"):
            invoice._dunning_block(D(2026, 5, 4), "dispute", "wrong goods")
        with freeze_time("2026-03-10"):
            invoice.action_dunning_recall()
        # Still disputed until 4 May, later than the recall's 16 days.
        self.assertRecordValues(
            invoice,
            [
                {
                    "dunning_handed_off": False,
                    "dunning_block_reason": "dispute",
                    "dunning_block_note": "wrong goods",
                    "dunning_blocked_until": D(2026, 5, 4),
                }
            ],
        )

    def test_a_customer_s_dunning_is_set_by_invoicing_users(self):
        auditor = new_test_user(
            self.env,
            login="dunning_seq_auditor",
            groups="account.group_account_readonly,base.group_partner_manager",
        )
        for vals in ({"dunning_excluded": True}, {"dunning_legal_profile": "none"}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                self.customer.with_user(auditor).write(vals)
        self.assertFalse(self.customer.dunning_excluded)
        # Other fields of the contact stay theirs to edit.
        self.customer.with_user(auditor).write({"phone": "+31 20 123 4567"})
        self.customer.dunning_excluded = True
        self.assertTrue(self.customer.dunning_excluded)
