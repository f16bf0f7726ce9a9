"""A fuzzed lifecycle: a few customers driven through random sequences of days
passing, the job running, payments, blocks, disputes, portal answers, handoffs,
recalls, waivers and a mail server that is down, with invariants checked after
every step (Hypothesis' stateful testing).

In the test suite it runs a fixed, derandomized set of sequences within the time
budget; ``scripts/fuzz`` runs many more, with random seeds (the environment
variables below), and prints how many sequences and steps held.

    DUNNING_FUZZ_EXAMPLES   sequences to run (default 8)
    DUNNING_FUZZ_STEPS      steps per sequence at most (default 25)
    DUNNING_FUZZ_RANDOM     1: random seeds instead of the fixed ones
    DUNNING_FUZZ_REPORT     a file to write "<sequences> <steps>" to
"""

import datetime
import os

from freezegun import freeze_time
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine
from hypothesis.stateful import initialize
from hypothesis.stateful import invariant
from hypothesis.stateful import precondition
from hypothesis.stateful import rule
from hypothesis.stateful import run_state_machine_as_test

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models.dunning_event import STEP_KINDS
from .common import DunningCase
from .common import SmtpCase

ONE_DAY = datetime.timedelta(days=1)
OPEN = ("not_paid", "partial")


def wik(principal):
    """The Dutch collection costs on ``principal`` (Besluit vergoeding voor
    buitengerechtelijke incassokosten), worked out here on their own: 15% of the
    first 2,500, 10% of the next 2,500, 5% of the next 5,000, 1% of the next
    190,000, 0.5% of the rest; at least 40, at most 6,775."""
    total, left = 0.0, principal
    for size, rate in ((2500, 0.15), (2500, 0.10), (5000, 0.05), (190000, 0.01)):
        part = min(left, size)
        total += part * rate
        left -= part
    total += left * 0.005
    return min(max(total, 40.0), 6775.0)


class DunningLifecycle(RuleBasedStateMachine):
    """One company, three customers (a Dutch business, a Dutch consumer, a US
    business), the standard policy, and whatever a user, a customer, the job and
    the mail server may do to their invoices, in any order."""

    case = None  # the running test, set by the test method
    steps = 0

    def __init__(self):
        super().__init__()
        self.env = self.case.env
        self.savepoint = self.env.cr.savepoint()
        self.today = datetime.date(2026, 2, 2)
        self.invoices = self.env["account.move"]
        self.customers = self.case.lifecycle_customers

    def teardown(self):
        self.savepoint.close(rollback=True)
        self.env.invalidate_all()

    # ------------------------------------------------------------------
    # Doing
    # ------------------------------------------------------------------

    def _act(self, action):
        """Run ``action`` on the day; a clear UserError is a sound answer, any
        other error is a failure of the addon."""
        type(self).steps += 1
        with freeze_time(self.today):
            try:
                with self.env.cr.savepoint():
                    action()
            except UserError:
                pass
        self.env.invalidate_all()

    def _draw_invoice(self, data):
        return data.draw(st.sampled_from(self.invoices), label="invoice")

    @initialize(
        whole_account=st.booleans(),
        final_charges=st.booleans(),
        waive_days=st.sampled_from([0, 10]),
        ages=st.lists(st.integers(-3, 8), min_size=3, max_size=3),
    )
    def configure(self, whole_account, final_charges, waive_days, ages):
        """The policy's options, and one invoice of each customer of 100 that
        falls due ``ages`` days before the first day, so that the ladder is
        walked from its start as well as jumped into."""
        for customer, age in enumerate(ages):
            self.new_invoice(customer, 100.0, age)
        policy = self.env.company.dunning_policy_id
        policy.write(
            {"handoff_whole_account": whole_account, "waive_interest_days": waive_days}
        )
        if final_charges:
            policy.level_ids.filtered(lambda lvl: lvl.delay_days == 14).write(
                {"charge_compensation": True, "apply_interest": True}
            )

    @rule(
        customer=st.integers(0, 2),
        amount=st.sampled_from([120.0, 900.0, 2800.0]),
        age=st.integers(-5, 40),
    )
    def new_invoice(self, customer, amount, age):
        type(self).steps += 1
        partner, currency = self.customers[customer]
        with freeze_time(self.today):
            self.invoices |= self.case._invoice(
                self.today - datetime.timedelta(days=age),
                amount,
                partner=partner,
                currency=currency,
            )

    @rule(days=st.sampled_from([1, 2, 3, 7, 14]))
    def days_pass(self, days):
        """Days pass without the job (a server down, a weekend without runs)."""
        type(self).steps += 1
        self.today += datetime.timedelta(days=days)

    @rule(days=st.sampled_from([1, 3, 5, 8]))
    def nights_pass(self, days):
        """The job runs every night for ``days`` nights."""
        for _night in range(days):
            self.today += ONE_DAY
            self.run_job()

    @rule()
    def run_job(self):
        self._act(self.env["account.move"]._cron_dunning_run)

    @precondition(lambda self: self.invoices)
    @rule(data=st.data(), part=st.sampled_from([1.0, 0.5]), charges=st.booleans())
    def pay(self, data, part, charges):
        invoice = self._draw_invoice(data)
        target = invoice.dunning_fee_move_ids[:1] if charges else invoice
        if not target or target.payment_state not in OPEN:
            return
        amount = target.currency_id.round(target.amount_residual * part)
        self._act(
            lambda: self.case._register_payment(
                target,
                payment_date=self.today,
                amount=amount,
                currency_id=target.currency_id.id,
            )
        )

    @precondition(lambda self: self.invoices)
    @rule(
        data=st.data(),
        reason=st.sampled_from(["dispute", "promise", "other"]),
        days=st.sampled_from([2, 10, 30]),
    )
    def block(self, data, reason, days):
        invoice = self._draw_invoice(data)

        def block():
            wizard = (
                self.env["dunning.block.wizard"]
                .with_context(default_move_ids=invoice.ids)
                .create({"reason": reason})
            )
            wizard.write(
                {
                    "promise_date": self.today + datetime.timedelta(days=days),
                    "until": self.today + datetime.timedelta(days=days + 1),
                }
            )
            wizard.action_confirm()

        self._act(block)

    @precondition(lambda self: self.invoices)
    @rule(data=st.data())
    def unblock(self, data):
        self._act(self._draw_invoice(data).action_dunning_unblock)

    @precondition(lambda self: self.invoices)
    @rule(data=st.data(), answer=st.sampled_from(["pay", "paid", "dispute"]))
    def portal_answer(self, data, answer):
        invoice = self._draw_invoice(data)
        self._act(
            lambda: invoice.sudo()._dunning_portal_answer(
                answer, note="fuzz", paid_on=str(self.today)
            )
        )

    @precondition(lambda self: self.invoices)
    @rule(data=st.data())
    def escalate(self, data):
        self._act(self._draw_invoice(data).action_dunning_escalate)

    @precondition(lambda self: self.invoices)
    @rule(data=st.data())
    def handoff(self, data):
        self._act(self._draw_invoice(data).action_dunning_handoff)

    @precondition(lambda self: self.invoices)
    @rule(data=st.data())
    def recall(self, data):
        self._act(self._draw_invoice(data).action_dunning_recall)

    @precondition(lambda self: self.invoices)
    @rule(data=st.data())
    def waive(self, data):
        invoice = self._draw_invoice(data)

        def waive():
            self.env["dunning.waive.wizard"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create({"reason": "fuzz"}).action_confirm()

        self._act(waive)

    @rule(server_down=st.booleans())
    def send_mail_queue(self, server_down):
        def send():
            mails = self.env["mail.mail"].search([("state", "=", "outgoing")])
            self.case._deliver(mails.send, server_down=server_down)

        self._act(send)

    # ------------------------------------------------------------------
    # Invariants
    # ------------------------------------------------------------------

    @invariant()
    def no_step_twice(self):
        rows = (
            self.env["dunning.event"]
            .sudo()
            ._read_group(
                [
                    ("move_id", "in", self.invoices.ids),
                    ("kind", "in", STEP_KINDS),
                    ("state", "!=", "cancelled"),
                    ("level_id", "!=", False),
                ],
                ["move_id", "level_id", "kind"],
                ["__count"],
            )
        )
        twice = [row for row in rows if row[3] > 1]
        assert not twice, f"steps taken twice: {twice}"

    @invariant()
    def the_job_never_failed(self):
        """The job isolates a customer whose steps raise, and records the error:
        in these sequences nothing should raise at all."""
        errors = (
            self.env["dunning.event"]
            .sudo()
            .search(
                [
                    ("move_id", "in", self.invoices.ids),
                    "|",
                    "&",
                    ("kind", "=", "skipped"),
                    ("state", "=", "failed"),
                    ("reason", "=like", "Charge failed%"),
                ]
            )
        )
        assert not errors, f"the job failed: {errors.mapped('reason')}"

    @invariant()
    def every_sent_step_has_its_message(self):
        sent = (
            self.env["dunning.event"]
            .sudo()
            .search(
                [
                    ("move_id", "in", self.invoices.ids),
                    ("kind", "in", ("email", "sms")),
                    ("state", "=", "done"),
                ]
            )
        )
        missing = sent.filtered(lambda event: not event.mail_message_id)
        assert not missing, f"sent without a message: {missing.mapped('reason')}"

    @invariant()
    def charges_within_the_law(self):
        for invoice in self.invoices:
            lines = invoice.dunning_fee_move_ids.filtered(
                lambda fee: fee.state == "posted"
            ).invoice_line_ids
            compensation = lines.filtered(
                lambda line: line.dunning_charge_type == "compensation"
            )
            interest = lines.filtered(
                lambda line: line.dunning_charge_type == "interest"
            )
            assert len(compensation) <= 1, f"{invoice.name} compensated twice"
            profile = invoice._dunning_legal_profile()
            if not profile:
                assert not compensation and not interest, (
                    f"{invoice.name}: statutory charges without a law"
                )
                continue
            cap = wik(invoice.amount_total)
            assert sum(compensation.mapped("price_unit")) <= cap + 0.005, (
                f"{invoice.name}: compensation above the WIK cap {cap}"
            )
            # At most 12.5% a year (the highest Dutch rate of 2023-2026) on the
            # whole principal for every day since the due date.
            days = (self.today - invoice.invoice_date_due).days
            bound = invoice.amount_total * 0.125 * max(days, 0) / 365 + 0.01
            assert sum(interest.mapped("price_unit")) <= bound, (
                f"{invoice.name}: interest above {bound:.2f}"
            )

    @invariant()
    def credits_never_above_charges(self):
        for fee in self.invoices.dunning_fee_move_ids:
            credits = self.env["account.move"].search(
                [
                    ("reversed_entry_id", "=", fee.id),
                    ("move_type", "=", "out_refund"),
                    ("state", "=", "posted"),
                ]
            )
            credited = sum(credits.mapped("amount_total"))
            assert credited <= fee.amount_total + 0.005, (
                f"{fee.name}: credited {credited} of {fee.amount_total}"
            )
            assert fee.amount_residual >= -0.005, f"{fee.name} over-credited"

    @invariant()
    def no_principal_settled_while_a_charge_is_open(self):
        """Under a law that orders a partial payment (costs, interest, then the
        invoice), a payment reaches the invoice only when every charge booked on
        it before that payment is settled."""
        for invoice in self.invoices:
            if not invoice._dunning_payment_order():
                continue
            open_charges = invoice._dunning_open_charges()
            if not open_charges:
                continue
            for partial, move in invoice._dunning_received_partials():
                payment = partial.credit_move_id.move_id
                assert move != invoice or payment.id < min(open_charges.ids), (
                    f"{invoice.name}: {payment.name} settled the invoice while "
                    f"{open_charges.mapped('name')} stayed open"
                )

    @invariant()
    def open_invoices_have_a_next_step(self):
        for invoice in self.invoices:
            paused = (
                invoice.dunning_blocked_until
                and invoice.dunning_blocked_until > self.today
            )
            if (
                invoice.state == "posted"
                and invoice.payment_state in OPEN
                and invoice.invoice_date_due < self.today
                and not invoice.dunning_handed_off
                and not paused
            ):
                assert invoice.dunning_next_date, (
                    f"{invoice.name} overdue, in-house, not paused: no next step "
                    f"(level {invoice.dunning_level_id.name})"
                )

    @invariant()
    def with_the_agency_means_a_case(self):
        for invoice in self.invoices.filtered("dunning_handed_off"):
            handoffs = invoice.dunning_event_ids.filtered(
                lambda event: event.kind == "handoff" and event.state == "done"
            )
            assert len(handoffs) == 1, f"{invoice.name}: {len(handoffs)} handoffs"
            assert handoffs.task_id, f"{invoice.name}: handed over without a case"


@tagged("post_install", "-at_install")
class TestDunningLifecycle(DunningCase, SmtpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        eur = cls.setup_other_currency("EUR", rates=[("2020-01-01", 1.0)])
        nl = cls.env.ref("base.nl")

        def customer(name, **values):
            return cls.env["res.partner"].create(
                {"name": name, "email": f"{name.split()[0].lower()}@example.com"}
                | values
            )

        cls.lifecycle_customers = [
            (customer("Bakkerij Visser BV", country_id=nl.id, is_company=True), eur),
            (customer("Anna de Boer", country_id=nl.id, is_company=False), eur),
            (
                customer(
                    "Acme Inc", country_id=cls.env.ref("base.us").id, is_company=True
                ),
                cls.env.company.currency_id,
            ),
        ]

    def test_every_sequence_ends_in_a_sound_state(self):
        examples = int(os.environ.get("DUNNING_FUZZ_EXAMPLES", "8"))
        steps = int(os.environ.get("DUNNING_FUZZ_STEPS", "25"))
        DunningLifecycle.case = self
        DunningLifecycle.steps = 0
        run_state_machine_as_test(
            DunningLifecycle,
            settings=settings(
                max_examples=examples,
                stateful_step_count=steps,
                derandomize=os.environ.get("DUNNING_FUZZ_RANDOM") != "1",
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                print_blob=True,
            ),
        )
        report = os.environ.get("DUNNING_FUZZ_REPORT")
        if report:
            with open(report, "w", encoding="utf-8") as out:
                out.write(f"{examples} {DunningLifecycle.steps}\n")
        # The sequences really ran their steps.
        self.assertGreater(DunningLifecycle.steps, examples)
