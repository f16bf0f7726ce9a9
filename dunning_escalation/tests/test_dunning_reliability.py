"""Reliability of the scheduled run: re-runs, crashes half way, concurrent
transactions, the mail server down, bad configuration and data, and companies kept
apart.

Covered elsewhere, not repeated here: a second run the same day with mails only
(test_dunning_engine TestDunningExactlyOnce), a rejected mail and the server down
for a one-level customer (test_dunning_delivery), a customer without email
(test_dunning_engine TestDunningMessages), invalid or missing phone numbers
(test_dunning_channels), negative fees and a level that does nothing
(test_dunning_config TestDunningPolicyValidation), one policy per company
(test_dunning_config TestDunningMultiCompany).
"""

from unittest.mock import patch

from freezegun import freeze_time

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules import module as odoo_module
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from ..models import dunning_run as dunning_run_module
from .common import D
from .common import DunningCase
from .common import SmtpCase
from .common import customers as _customers

ENGINE_LOGGER = "odoo.addons.dunning_escalation.models.account_move"


def inline(cron):
    """The context of the scheduler's run taking its batches itself, also where
    dunning_escalation_queue would hand them to queue_job's workers."""
    return {"cron_id": cron.id, "queue_job__no_delay": True}


class WorkerKilled(BaseException):
    """The process dies (killed for its time limit, out of memory): nothing in the
    engine catches it, what was not committed is lost."""


@tagged("post_install", "-at_install")
class TestDunningRerun(DunningCase):
    def test_second_run_same_day_repeats_no_channel(self):
        """Every kind of step at once (mail, SMS, letter, call, fee, handoff with
        its charges): the second run of the day adds nothing anywhere."""
        self.customer.write(
            {"country_id": self.env.ref("base.nl").id, "phone": "06 12345678"}
        )
        self.level_2.write(
            {
                "activity_type_id": self.env.ref("mail.mail_activity_data_call").id,
                "fee_fixed": 10.0,
                "send_letter": True,
            }
        )
        self.policy.user_id = self.env.user
        self.policy.legal_profile = "eu_b2b"
        firm = self._invoice("2026-03-10", 200.0)  # 7 days: firm reminder
        handed = self._invoice("2026-02-05", 300.0, partner=self.customer_2)  # 40
        invoices = firm | handed

        def snapshot():
            return {
                "events": self._events(invoices).ids,
                "mails": self.env["mail.mail"].search_count([]),
                "sms": self.env["sms.sms"].search_count([]),
                "letters": self.env["ir.attachment"].search_count(
                    [("res_model", "=", "account.move"), ("res_id", "in", firm.ids)]
                ),
                "charges": invoices.dunning_fee_move_ids.ids,
                "tasks": self.env["project.task"].search_count(
                    [("dunning_move_ids", "in", invoices.ids)]
                ),
                "activities": invoices.activity_ids.ids,
            }

        before = snapshot()
        self._run("2026-03-17")
        first = snapshot()
        self.assertEqual(firm.dunning_level_id, self.level_2)
        self.assertEqual(handed.dunning_level_id, self.level_handoff)
        self.assertEqual(first["mails"] - before["mails"], 1, "the firm reminder")
        self.assertEqual(first["sms"] - before["sms"], 1)
        self.assertEqual(first["letters"], 1)
        self.assertEqual(len(firm.dunning_fee_move_ids), 1, "the 10.00 late fee")
        self.assertEqual(firm.dunning_fee_move_ids.amount_total, 10.0)
        self.assertEqual(
            len(handed.dunning_fee_move_ids), 1, "compensation and interest"
        )
        self.assertEqual(first["tasks"], 1)
        self.assertEqual(len(first["activities"]), 1)
        self._run("2026-03-17")
        self.assertEqual(snapshot(), first)


@tagged("post_install", "-at_install")
class TestDunningCrash(DunningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customers = _customers(cls.env, 5)
        cls.invoices = cls.Move.concat(
            *(
                cls._invoice("2026-03-10", 100.0 + n, partner=customer)
                for n, customer in enumerate(cls.customers)
            )
        )

    def _post_mail_failing_for(self, partner, error):
        """The mail channel's _prepare_mail, raising ``error`` for the customer
        ``partner``."""
        Channel = type(self.env["dunning.channel.mail"])
        post_mail = Channel._prepare_mail

        def post_mail_or_fail(channel, move, *args, **kwargs):
            if move.commercial_partner_id == partner:
                raise error
            return post_mail(channel, move, *args, **kwargs)

        return patch.object(Channel, "_prepare_mail", post_mail_or_fail)

    def _assert_reminded_once(self, invoices):
        for invoice in invoices:
            with self.subTest(invoice=invoice.partner_id.name):
                self.assertEqual(invoice.dunning_level_id, self.level_1)
                emails = self._events(invoice, "email")
                self.assertEqual(len(emails), 1)
                self.assertEqual(emails.state, "done")
                self.assertEqual(len(self._mails_of(emails)), 1)

    def test_one_customer_failing_stops_only_that_customer(self):
        """The third of five customers fails: the other four are reminded in the
        same run, the third gets a failed event with the error and is done by the
        next run; nobody is reminded twice."""
        bad = self.invoices[2]
        with (
            self._post_mail_failing_for(
                bad.partner_id, RuntimeError("template server unreachable")
            ),
            mute_logger(ENGINE_LOGGER),
        ):
            self._run("2026-03-13")
        self._assert_reminded_once(self.invoices - bad)
        self.assertFalse(bad.dunning_level_id)
        self.assertFalse(self._mails_of(self._events(bad)))
        self.assertRecordValues(
            self._events(bad),
            [
                {
                    "kind": "skipped",
                    "state": "failed",
                    "level_id": False,
                    "date": D(2026, 3, 13),
                    "reason": "Reminder not taken, retried by the next run: "
                    "template server unreachable",
                }
            ],
        )
        self._run("2026-03-13")
        self._assert_reminded_once(self.invoices)
        self.assertEqual(len(self._mails_of(self._events(self.invoices, "email"))), 5)

    def test_killed_worker_loses_only_its_uncommitted_batch(self):
        """As the scheduler runs it (progress committed per batch of customers, here
        2): the worker dies on the fourth customer. The first batch is committed,
        the second is lost with the process; the next run reminds exactly the
        three customers left, and not the first two again."""
        cron = self.env.ref("dunning_escalation.ir_cron_dunning_run")
        # The test transaction cannot commit: each commit of the run becomes a
        # savepoint, and the death of the worker a rollback to the last one.
        transaction = [self.env.cr.savepoint()]
        progress = []

        def commit_progress(ir_cron, processed=0, *, remaining=None, deactivate=False):
            progress.append((processed, remaining))
            transaction[0].close(rollback=False)
            transaction[0] = self.env.cr.savepoint()
            return float("inf")

        with (
            patch.object(dunning_run_module, "PARTNER_BATCH", 2),
            patch.object(odoo_module, "current_test", False),
            patch.object(
                type(self.env["ir.cron"]), "_commit_progress", commit_progress
            ),
            self._post_mail_failing_for(self.customers[3], WorkerKilled()),
            freeze_time("2026-03-13"),
        ):
            try:
                self.Move.with_context(**inline(cron))._cron_dunning_run()
            except WorkerKilled:
                transaction[0].close(rollback=True)
            else:
                self.fail("the worker should have died")
        self.env.invalidate_all()
        self.assertEqual(progress, [(2, 3)], "one batch of two committed, three left")
        committed, lost = self.invoices[:2], self.invoices[2:]
        self._assert_reminded_once(committed)
        self.assertFalse(lost.dunning_level_id)
        self.assertFalse(self._events(lost))
        self._run("2026-03-13")
        self._assert_reminded_once(self.invoices)
        self.assertEqual(len(self._mails_of(self._events(self.invoices, "email"))), 5)

    def test_out_of_time_the_run_stops_and_leaves_the_rest(self):
        """The scheduler's time runs out after the first batch (``_commit_progress``
        returns no time left): the run stops there, in this company and before the
        next, with the work left reported; the next pick-up does the rest."""
        cron = self.env.ref("dunning_escalation.ir_cron_dunning_run")
        company_b = self.setup_other_company(name="Company B")["company"]
        company_b.sequence = 1000  # run after this company
        invoice_b = self._invoice("2026-03-10", 50.0, company=company_b)
        progress = []

        def out_of_time(ir_cron, processed=0, *, remaining=None, deactivate=False):
            progress.append((processed, remaining))
            return 0.0

        with (
            patch.object(dunning_run_module, "PARTNER_BATCH", 2),
            patch.object(odoo_module, "current_test", False),
            patch.object(type(self.env["ir.cron"]), "_commit_progress", out_of_time),
            freeze_time("2026-03-13"),
        ):
            self.Move.with_context(**inline(cron))._cron_dunning_run()
        self.env.invalidate_all()
        self.assertEqual(progress, [(2, 3)])
        self._assert_reminded_once(self.invoices[:2])
        self.assertFalse(self.invoices[2:].dunning_level_id)
        self.assertFalse(invoice_b.dunning_level_id, "the next company waits")
        self._run("2026-03-13")
        self._assert_reminded_once(self.invoices)
        self.assertTrue(invoice_b.dunning_level_id)


@tagged("post_install", "-at_install")
class TestDunningConcurrentWorkers(TransactionCase):
    """Two transactions at once, on real connections: what one holds, the other
    leaves alone. The data is committed (a second connection sees nothing else)
    in the company of the database, and deleted at the end."""

    def _connect(self):
        cursor = self.registry.cursor()
        # A test that waits on a lock fails instead of hanging.
        cursor.execute("SET lock_timeout = '20s'")
        self.addCleanup(cursor.close)
        self.addCleanup(cursor.rollback)
        return cursor

    def _commit_invoices(self, count):
        """``count`` customers with one invoice each, due 2026-03-10, committed."""
        with freeze_time("2026-03-01"), self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.ref("base.main_company")
            partners = _customers(env, count, prefix="Worker")
            moves = (
                env["account.move"]
                .with_company(company)
                .create(
                    [
                        {
                            "move_type": "out_invoice",
                            "partner_id": partner.id,
                            "invoice_date": D(2026, 2, 8),
                            "invoice_date_due": D(2026, 3, 10),
                            "invoice_line_ids": [
                                Command.create(
                                    {
                                        "name": "Goods",
                                        "price_unit": 100.0,
                                        "tax_ids": [],
                                    }
                                )
                            ],
                        }
                        for partner in partners
                    ]
                )
            )
            moves.action_post()
            move_ids, partner_ids = moves.ids, partners.ids
        self.addCleanup(self._delete_committed, move_ids, partner_ids)
        return move_ids

    def _delete_committed(self, move_ids, partner_ids):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            moves = env["account.move"].browse(move_ids).exists()
            moves.button_draft()
            moves.with_context(force_delete=True).unlink()
            env["res.partner"].browse(partner_ids).exists().unlink()

    def test_invoices_locked_elsewhere_are_left_for_the_next_run(self):
        """Another transaction (a second server, a user) holds the invoice of one
        customer: the run reminds the three others, in batches of two with their
        progress, and the next run the fourth; nobody twice."""
        move_ids = self._commit_invoices(4)
        held = move_ids[1]
        other = self._connect()
        other.execute("SELECT id FROM account_move WHERE id = %s FOR UPDATE", [held])
        worker = self._connect()
        env = api.Environment(worker, SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        cron = env.ref("dunning_escalation.ir_cron_dunning_run")
        Move = (
            env["account.move"]
            .with_company(company)
            .with_context(**inline(cron), allowed_company_ids=company.ids)
        )
        moves = Move.browse(move_ids)
        level = company.dunning_policy_id.level_ids[0]
        progress = []

        def commit_progress(ir_cron, processed=0, *, remaining=None, deactivate=False):
            # The worker's transaction is rolled back at the end: nothing to delete.
            progress.append((processed, remaining))
            return float("inf")

        def run():
            with (
                patch.object(dunning_run_module, "PARTNER_BATCH", 2),
                patch.object(odoo_module, "current_test", False),
                patch.object(type(env["ir.cron"]), "_commit_progress", commit_progress),
                freeze_time("2026-03-13"),
            ):
                env["dunning.run"].with_company(company).with_context(
                    **inline(cron), allowed_company_ids=company.ids
                )._escalate_company(company, D(2026, 3, 13))
            env.invalidate_all()

        def emails(invoices):
            return env["dunning.event"].search(
                [("move_id", "in", invoices.ids), ("kind", "=", "email")]
            )

        run()
        self.assertEqual(progress, [(2, 2), (2, 0)])
        locked = moves.browse(held)
        self.assertEqual((moves - locked).dunning_level_id, level)
        self.assertEqual(len(emails(moves - locked)), 3)
        self.assertFalse(locked.dunning_level_id)
        self.assertFalse(emails(locked))
        other.rollback()  # the other transaction ends: its lock goes
        progress.clear()
        run()
        self.assertEqual(progress, [(1, 0)], "only the customer left")
        self.assertEqual(moves.dunning_level_id, level)
        for move in moves:
            self.assertEqual(len(emails(move)), 1)
        self.assertEqual(
            env["mail.mail"].search_count(
                [("mail_message_id", "in", emails(moves).mail_message_id.ids)]
            ),
            4,
        )


@tagged("post_install", "-at_install")
class TestDunningMailServerDown(DunningCase, SmtpCase):
    """The queue really sends through Odoo's mail server; only SMTP is mocked."""

    def _process_queue(self, server_down=False):
        self._deliver(
            self.env["mail.mail"].process_email_queue, server_down=server_down
        )
        return self.emails

    def test_server_down_retakes_the_level_without_repeating_its_other_steps(self):
        """At the firm reminder (mail, SMS and a call) the server is down: both
        customers go back to the reminder, the failed events say why. Back up,
        the next run sends one mail per customer, and no second SMS or call."""
        self.customer.write(
            {"country_id": self.env.ref("base.nl").id, "phone": "06 12345678"}
        )
        self.level_2.activity_type_id = self.env.ref("mail.mail_activity_data_call")
        self.policy.user_id = self.env.user
        first = self._invoice("2026-03-10", 100.0)
        second = self._invoice("2026-03-09", 50.0)
        other = self._invoice("2026-03-10", 70.0, partner=self.customer_2)
        invoices = first | second | other
        self._run("2026-03-13")
        self.assertEqual(len(self._process_queue()), 2, "one reminder per customer")
        self._run("2026-03-17")
        self.assertEqual(invoices.dunning_level_id, self.level_2)
        self._process_queue(server_down=True)
        failed = self._events(invoices, "email").filtered(
            lambda e: e.level_id == self.level_2
        )
        self.assertEqual(len(failed), 3)
        self.assertEqual(set(failed.mapped("state")), {"failed"})
        for event in failed:
            self.assertIn("Not delivered (mail_smtp)", event.reason)
            self.assertIn("refused", event.reason)
        self.assertEqual(invoices.mapped("dunning_level_id"), self.level_1)
        self.assertEqual(set(invoices.mapped("dunning_last_date")), {D(2026, 3, 13)})

        self._run("2026-03-18")
        self.assertEqual(invoices.dunning_level_id, self.level_2)
        retried = self._events(invoices, "email").filtered(
            lambda e: e.level_id == self.level_2
        )
        self.assertEqual(retried, failed, "the same events, now done")
        self.assertEqual(set(retried.mapped("state")), {"done"})
        sent = self._process_queue()
        self.assertEqual(len(sent), 2, "one mail per customer")
        self.assertEqual(
            sorted(mail["smtp_to_list"][0] for mail in sent),
            ["ap@devries.example", "faktura@lindqvist.example"],
        )
        self.assertEqual(len(self._events(first | second, "sms")), 2)
        self.assertEqual(self.env["sms.sms"].search_count([]), 1, "no second SMS")
        # The SMS the customer without a phone could not get is tried again, on
        # its own event.
        self.assertRecordValues(
            self._events(other, "sms"),
            [
                {
                    "state": "failed",
                    "date": D(2026, 3, 18),
                    "reason": "Lindqvist AB has no mobile or phone number",
                }
            ],
        )
        self.assertEqual(len(self._events(invoices, "call")), 3)
        self.assertEqual(len(invoices.activity_ids), 3, "no second call")

    def test_level_taken_again_refuses_its_charge_once(self):
        """A late fee put off at a level (no exchange rate for the invoice's
        currency) keeps its one step when the level's mail came back and the
        level is taken again: the same failed step, retried the next day."""
        chf = self.setup_other_currency("CHF", rates=[])
        self.level_1.fee_fixed = 10.0
        invoice = self._invoice("2026-03-10", 500.0, currency=chf)
        self._run("2026-03-13")
        refused = self._events(invoice, "fee")
        self.assertEqual(refused.state, "failed")
        self._process_queue(server_down=True)
        self.assertFalse(invoice.dunning_level_id)
        self._run("2026-03-14")
        self.assertEqual(invoice.dunning_level_id, self.level_1)
        self.assertEqual(self._events(invoice, "fee"), refused)
        self.assertRecordValues(
            refused, [{"state": "failed", "retry_date": D(2026, 3, 15)}]
        )
        self.assertFalse(invoice.dunning_fee_move_ids)
        self.assertEqual(len(self._process_queue()), 1)


@tagged("post_install", "-at_install")
class TestDunningBadInput(DunningCase):
    def test_broken_template_fails_its_step_and_spares_the_others(self):
        template = self.level_1.mail_template_id
        body = template.body_html
        template.body_html = "<p>Dear <t t-out='object.dunning_no_such_field'/></p>"
        broken = self._invoice("2026-03-10")
        firm = self._invoice("2026-03-05", partner=self.customer_2)  # 8 days
        self._run("2026-03-13")
        self.assertFalse(broken.dunning_level_id)
        event = self._events(broken, "email")
        self.assertRecordValues(
            event, [{"state": "failed", "level_id": self.level_1.id}]
        )
        self.assertTrue(event.reason.startswith(f"Template {template.name} failed:"))
        self.assertIn("dunning_no_such_field", event.reason)
        self.assertFalse(self._mails_of(event))
        self.assertEqual(firm.dunning_level_id, self.level_2)
        self.assertEqual(len(self._mails_of(self._events(firm, "email"))), 1)
        template.body_html = body
        self._run("2026-03-14")
        self.assertEqual(broken.dunning_level_id, self.level_1)
        self.assertRecordValues(
            self._events(broken, "email"), [{"id": event.id, "state": "done"}]
        )
        self.assertEqual(len(self._mails_of(event)), 1)

    def test_deleted_template_fails_the_level_until_one_is_set(self):
        """The only thing level 1 does is its mail: with its template deleted the
        level is not taken silently; the step fails with the reason."""
        self.level_1.mail_template_id.unlink()
        self.assertFalse(self.level_1.mail_template_id)
        invoice = self._invoice("2026-03-10")
        firm = self._invoice("2026-03-05", partner=self.customer_2)  # 8 days
        self._run("2026-03-13")
        self.assertFalse(invoice.dunning_level_id)
        event = self._events(invoice, "email")
        self.assertRecordValues(
            event,
            [
                {
                    "state": "failed",
                    "level_id": self.level_1.id,
                    "mail_message_id": False,
                    "reason": "Level Reminder has no email template (it was "
                    "deleted) and nothing else to do: set a template on the level.",
                }
            ],
        )
        self.assertEqual(firm.dunning_level_id, self.level_2)
        template = self.level_2.mail_template_id.copy()
        template.name = "Reminder, rewritten"
        self.level_1.mail_template_id = template
        self._run("2026-03-14")
        self.assertEqual(invoice.dunning_level_id, self.level_1)
        self.assertRecordValues(
            self._events(invoice, "email"),
            [{"id": event.id, "state": "done", "template_name": "Reminder, rewritten"}],
        )
        self.assertEqual(len(self._mails_of(event)), 1)

    def test_absurd_fee_and_interest_rates_are_refused(self):
        # assertRaises, not assertRaisesRegex: it rolls the refused values back.
        with self.assertRaises(ValidationError) as caught:
            self.level_1.fee_percent = 250.0
        self.assertIn("is 250.0% of the amount due", str(caught.exception))
        self.assertEqual(self.level_1.fee_percent, 0.0)
        for percent in (-2.0, 150.0):
            with (
                self.subTest(percent=percent),
                self.assertRaises(ValidationError) as caught,
            ):
                self.env["dunning.interest.rate"].create(
                    {
                        "legal_profile": "nl_b2b",
                        "date_from": D(2031, 1, 1),
                        "percent": percent,
                    }
                )
            self.assertIn(f"{percent}% a year is not plausible", str(caught.exception))
        self.level_1.fee_percent = 100.0
        self.assertEqual(self.level_1.fee_percent, 100.0)

    def test_currency_without_rate_charges_no_fixed_amount(self):
        """An invoice in a currency without any exchange rate: Odoo would convert
        at 1, so the fees of the level are put off whole (the fixed fee and the
        compensation need the rate; the percentage fee waits with them) and the
        step fails with the reason, to be taken again once a rate exists."""
        chf = self.setup_other_currency("CHF", rates=[])
        self.setup_other_currency("EUR", rates=[("2020-01-01", 1.0)])
        self.policy.legal_profile = "eu_b2b"
        self.level_1.write(
            {"fee_fixed": 10.0, "fee_percent": 2.0, "charge_compensation": True}
        )
        swiss = self._invoice("2026-03-10", 500.0, currency=chf)
        local = self._invoice("2026-03-10", 500.0, partner=self.customer_2)
        self._run("2026-03-13")
        self.assertEqual((swiss | local).dunning_level_id, self.level_1)
        self.assertFalse(swiss.dunning_fee_move_ids)
        fee = self._events(swiss, "fee")
        self.assertRecordValues(
            fee, [{"state": "failed", "amount": 0.0, "retry_date": D(2026, 3, 14)}]
        )
        self.assertIn(
            "CHF has no exchange rate; add one and the next run charges", fee.reason
        )
        # In the company's currency: fixed fee, 2% and EUR 40 compensation.
        self.assertEqual(
            sorted(local.dunning_fee_move_ids.invoice_line_ids.mapped("price_unit")),
            [10.0, 10.0, 40.0],
        )
        # 1 USD = 2 CHF from the next day: USD 10 = CHF 20, 2% of 500 = CHF 10,
        # EUR 40 = USD 40 = CHF 80.
        self.env["res.currency.rate"].create(
            {"currency_id": chf.id, "name": "2026-03-14", "rate": 2.0}
        )
        self._run("2026-03-14")
        self.assertEqual(fee.state, "done")
        self.assertEqual(
            sorted(swiss.dunning_fee_move_ids.invoice_line_ids.mapped("price_unit")),
            [10.0, 20.0, 80.0],
        )

    def test_archived_customer_fails_its_mail_and_keeps_its_level(self):
        """Odoo mails no archived contact: the step fails with the reason instead
        of counting a mail that never left."""
        archived = self._invoice("2026-03-10")
        active = self._invoice("2026-03-10", partner=self.customer_2)
        self.customer.active = False
        self._run("2026-03-13")
        self.assertFalse(archived.dunning_level_id)
        event = self._events(archived, "email")
        self.assertEqual(event.state, "failed")
        self.assertEqual(
            event.reason,
            "Bakkerij De Vries is archived and gets no email: restore the contact "
            "or give the customer another dunning contact.",
        )
        self.assertEqual(active.dunning_level_id, self.level_1)
        self.assertEqual(len(self._mails_of(self._events(active, "email"))), 1)
        self.customer.active = True
        self._run("2026-03-14")
        self.assertEqual(archived.dunning_level_id, self.level_1)
        mail = self._mails_of(self._events(archived, "email"))
        self.assertEqual(mail.recipient_ids, self.customer)

    def test_level_in_use_is_archived_not_deleted(self):
        invoice = self._invoice("2026-03-10")
        self._run("2026-03-13")
        with self.assertRaisesRegex(
            UserError,
            r"Level Reminder of policy Standard dunning is in use: 1 invoice\(s\) "
            r"are at it .* Archive the level instead",
        ):
            self.level_1.unlink()
        self.level_1.active = False
        self._run("2026-03-17")
        self.assertEqual(invoice.dunning_level_id, self.level_2)
        self.assertFalse(self._events(invoice, "skipped"))
        self.assertEqual(
            self._events(invoice, "email").level_id, self.level_1 | self.level_2
        )
        # A level no invoice reached yet may go.
        self.level_handoff.unlink()
        self.assertFalse(self.level_handoff.exists())

    def test_users_without_rights_are_refused(self):
        """An employee without accounting rights, and an auditor who may only read
        the invoices: every action is refused, nothing is sent or written."""
        invoice = self._invoice("2026-03-10")
        self._run("2026-03-13")
        invoice._dunning_block(D(2026, 3, 30), "other")
        events = self._events(invoice)
        mails = self.env["mail.mail"].search_count([])
        company = self.env.company
        users = [
            new_test_user(
                self.env,
                login=f"dunning_rel_{name}",
                groups=groups,
                company_id=company.id,
                company_ids=[Command.set(company.ids)],
            )
            for name, groups in (
                ("employee", "base.group_user"),
                ("auditor", "account.group_account_readonly"),
            )
        ]
        actions = (
            "action_dunning_escalate",
            "action_dunning_send_again",
            "action_dunning_handoff",
            "action_dunning_block",
            "action_dunning_unblock",
            "action_dunning_dry_run",
        )
        for user in users:
            for action in actions:
                with (
                    self.subTest(user=user.login, action=action),
                    freeze_time("2026-03-14"),
                    self.assertRaises(AccessError),
                ):
                    getattr(invoice.with_user(user), action)()
        self.env.invalidate_all()
        self.assertEqual(self._events(invoice), events)
        self.assertEqual(self.env["mail.mail"].search_count([]), mails)
        self.assertRecordValues(
            invoice,
            [
                {
                    "dunning_level_id": self.level_1.id,
                    "dunning_blocked_until": D(2026, 3, 30),
                    "dunning_handed_off": False,
                }
            ],
        )


@tagged("post_install", "-at_install")
class TestDunningCompanies(DunningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b, cls.user_b = cls._company_b_and_its_user(
            "dunning_rel_user_b",
            "account.group_account_manager,project.group_project_manager",
        )

    def test_user_of_b_sees_no_level_event_or_case_of_a(self):
        """The same customer is handed over by both companies: one case each, and
        B's user sees B's only, not A's levels, history, task or case file."""
        invoice_a = self._invoice("2026-02-01", 400.0)
        invoice_b = self._invoice("2026-02-01", 300.0, company=self.company_b)
        self._run("2026-03-13")
        self.assertTrue(invoice_a.dunning_handed_off)
        self.assertTrue(invoice_b.dunning_handed_off)
        Task = self.env["project.task"].sudo()
        task_a = Task.search([("dunning_move_ids", "in", invoice_a.ids)])
        task_b = Task.search([("dunning_move_ids", "in", invoice_b.ids)])
        self.assertEqual(len(task_a | task_b), 2, "one case per company")
        self.assertRecordValues(
            task_a | task_b,
            [
                {"company_id": self.company_a.id, "dunning_move_ids": invoice_a.ids},
                {"company_id": self.company_b.id, "dunning_move_ids": invoice_b.ids},
            ],
        )
        as_b = self.env(user=self.user_b)
        self.assertEqual(
            as_b["dunning.level"].search([]), self.company_b.dunning_policy_id.level_ids
        )
        self.assertEqual(as_b["dunning.event"].search([]).move_id, invoice_b)
        self.assertEqual(
            as_b["project.task"].search([("dunning_move_ids", "!=", False)]), task_b
        )
        self.assertFalse(
            as_b["ir.attachment"].search(
                [("res_model", "=", "project.task"), ("res_id", "=", task_a.id)]
            ),
            "A's case file",
        )
        for record, field in (
            (self.level_1, "name"),
            (self._events(invoice_a, "handoff"), "reason"),
            (task_a, "name"),
        ):
            with self.subTest(model=record._name), self.assertRaises(AccessError):
                record.with_user(self.user_b).read([field])

    def test_run_for_a_leaves_b_alone(self):
        """Expiring blocks, recording payments and escalating for company A touch
        none of B's invoices, though B's are due for each of them."""
        due_b = self._invoice("2026-03-10", company=self.company_b)
        blocked_b = self._invoice(
            "2026-03-01", company=self.company_b, partner=self.customer_2
        )
        blocked_b._dunning_block(D(2026, 3, 12), "other")
        paid_b = self._invoice("2026-03-01", 80.0, company=self.company_b)
        paid_b._dunning_write(
            {"dunning_level_id": self.company_b.dunning_policy_id.level_ids[0].id}
        )
        self._register_payment(paid_b, payment_date="2026-03-12")
        invoice_a = self._invoice("2026-03-10")
        invoices_b = due_b | blocked_b | paid_b
        events_b = self._events(invoices_b)
        day = D(2026, 3, 13)
        with freeze_time(day):
            self.env["dunning.run"]._run_company(self.company_a, day)
        self.env.invalidate_all()
        self.assertEqual(invoice_a.dunning_level_id, self.level_1)
        self.assertEqual(self._events(invoices_b), events_b)
        self.assertFalse(due_b.dunning_level_id)
        self.assertEqual(blocked_b.dunning_blocked_until, D(2026, 3, 12))
        # The whole run does B's too: the data was due.
        self._run("2026-03-13")
        self.assertEqual(
            due_b.dunning_level_id, self.company_b.dunning_policy_id.level_ids[0]
        )
        self.assertFalse(blocked_b.dunning_blocked_until)
        self.assertEqual(len(self._events(paid_b, "paid")), 1)
