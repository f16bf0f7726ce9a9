from freezegun import freeze_time

from odoo.tests import tagged

from .common import DunningCase


@tagged("post_install", "-at_install")
class TestDunningAnalysis(DunningCase):
    """The accountants' analysis: overdue by level and age, fees and interest
    charged versus waived, and the agency's cases with their outcome."""

    def _grouped(self, model, domain, groupby, aggregate):
        return dict(self.env[model]._read_group(domain, groupby, [aggregate]))

    def test_overdue_by_level_and_age_counts_to_today(self):
        not_due = self._invoice("2026-03-10", 70.0)
        recent = self._invoice("2026-02-20", 100.0)  # 9 days late on 1 March
        older = self._invoice("2026-01-15", 200.0)  # 45 days
        oldest = self._invoice("2025-11-01", 300.0)  # 120 days
        self._register_payment(self._invoice("2026-01-10", 999.0))
        self._run("2026-03-01")
        domain = [("partner_id", "=", self.customer.id), ("is_charge", "=", False)]
        with freeze_time("2026-03-01"):
            by_age = self._grouped(
                "dunning.overdue.report", domain, ["age_bucket"], "amount_residual:sum"
            )
            by_level = self._grouped(
                "dunning.overdue.report", domain, ["level_id"], "amount_residual:sum"
            )
            rows = self.env["dunning.overdue.report"].search(domain)
            days = {row.move_id: row.days_overdue for row in rows}
        self.assertEqual(
            by_age, {"0_not_due": 70.0, "1_30": 100.0, "31_60": 200.0, "91_plus": 300.0}
        )
        self.assertEqual(
            days, {not_due: 0, recent: 9, older: 45, oldest: 120}, "to 1 March"
        )
        self.assertEqual(
            by_level,
            {
                self.Move.env["dunning.level"]: 70.0,
                self.level_2: 100.0,  # 9 days late: the firm reminder (7 days)
                self.level_handoff: 500.0,  # 45 and 120 days: past the handoff
            },
        )
        # A month later the same invoices have aged into the next buckets.
        with freeze_time("2026-04-01"):
            by_age = self._grouped(
                "dunning.overdue.report", domain, ["age_bucket"], "amount_residual:sum"
            )
        self.assertEqual(
            by_age, {"1_30": 70.0, "31_60": 100.0, "61_90": 200.0, "91_plus": 300.0}
        )

    def test_fees_and_interest_charged_paid_waived_and_refused(self):
        self.policy.legal_profile = "by_customer"
        self.level_3.write({"charge_compensation": True, "apply_interest": True})
        (self.customer | self.customer_2).write(
            {"is_company": True, "country_id": self.env.ref("base.nl").id}
        )
        consumer = self.env["res.partner"].create(
            {
                "name": "J. Jansen",
                "email": "j.jansen@example.com",
                "country_id": self.env.ref("base.nl").id,
            }
        )
        abroad = self.env["res.partner"].create(
            {
                "name": "Acme Inc",
                "email": "ap@acme.example",
                "is_company": True,
                "country_id": self.env.ref("base.us").id,
            }
        )
        paid = self._invoice("2026-01-31", 1000.0)
        waived = self._invoice("2026-01-31", 2000.0, partner=self.customer_2)
        private = self._invoice("2026-01-31", 500.0, partner=consumer)
        no_law = self._invoice("2026-01-31", 800.0, partner=abroad)
        for day in ("2026-02-03", "2026-02-07", "2026-02-14"):
            self._run(day)
        self._register_payment(paid.dunning_fee_move_ids, payment_date="2026-02-20")
        with freeze_time("2026-02-21"):
            waived.dunning_fee_move_ids._dunning_waive("goodwill")
        events = self._events(paid | waived | private | no_law).filtered(
            lambda e: e.kind in ("fee", "interest")
        )
        self.assertEqual(
            sorted((e.move_id.id, e.kind, e.charge_outcome, e.amount) for e in events),
            sorted(
                [
                    # 1000: WIK 150 and 14 days at 10.15% = 3.89
                    (paid.id, "fee", "paid", 150.0),
                    (paid.id, "interest", "paid", 3.89),
                    # 2000: WIK 15% of 2500 max... 15% of 2000 = 300; 7.79 interest
                    (waived.id, "fee", "waived", 300.0),
                    (waived.id, "interest", "waived", 7.79),
                    # The consumer's waiting period after the firm reminder.
                    (private.id, "fee", "waiting", 0.0),
                    (private.id, "interest", "waiting", 0.0),
                    # No late-payment law of ours for a US business.
                    (no_law.id, "fee", "refused", 0.0),
                    (no_law.id, "interest", "refused", 0.0),
                ]
            ),
        )
        totals = self._grouped(
            "dunning.event",
            [("id", "in", events.ids)],
            ["charge_outcome"],
            "amount:sum",
        )
        self.assertEqual(
            totals,
            {"paid": 153.89, "waived": 307.79, "waiting": 0.0, "refused": 0.0},
        )

    def test_agency_cases_and_their_outcome(self):
        customers = [self.customer, self.customer_2] + [
            self.env["res.partner"].create({"name": name, "email": f"{name}@x.example"})
            for name in ("kellner", "oakley")
        ]
        invoices = [
            self._invoice("2026-02-01", 100.0 * (n + 1), partner=customer)
            for n, customer in enumerate(customers)
        ]
        for day in ("2026-02-15", "2026-03-03"):
            self._run(day)
        handoffs = self._events(sum(invoices, self.Move), "handoff")
        self.assertEqual(len(handoffs), 4)
        self.assertEqual(
            sorted(handoffs.mapped("amount")), [100.0, 200.0, 300.0, 400.0]
        )
        recovered, recalled, written_off, _open = invoices
        self._register_payment(recovered, payment_date="2026-03-10")
        recalled.action_dunning_recall()
        task = handoffs.filtered(lambda e: e.move_id == written_off).task_id
        task.action_dunning_write_off()
        self.assertEqual(
            {e.move_id.id: e.agency_outcome for e in handoffs},
            {
                recovered.id: "recovered",
                recalled.id: "recalled",
                written_off.id: "written_off",
                _open.id: "with_agency",
            },
        )
        self.assertTrue(all(handoffs.task_id))
        self.assertEqual(
            self._grouped(
                "dunning.event",
                [("id", "in", handoffs.ids)],
                ["agency_outcome"],
                "amount:sum",
            ),
            {
                "recovered": 100.0,
                "recalled": 200.0,
                "written_off": 300.0,
                "with_agency": 400.0,
            },
        )

    def test_recovery_by_template(self):
        invoice = self._invoice("2026-02-01", 100.0)
        self._run("2026-02-04")
        self._run("2026-02-08")
        emails = self._events(invoice, "email")
        self.assertEqual(
            emails.mapped("template_name"),
            [
                self.level_1.mail_template_id.name,
                self.level_2.mail_template_id.name,
            ],
        )
        self._register_payment(invoice, payment_date="2026-02-12")
        # Paid 8 days after the reminder and 4 days after the firm reminder.
        self.assertEqual(emails.mapped("recovery"), ["14", "07"])
        self.assertEqual(emails.mapped("days_to_pay"), [8, 4])
        # The pivot's columns come in the order of the buckets, soonest first.
        groups = self.Event.formatted_read_group(
            [("id", "in", emails.ids)], ["recovery"], ["__count"]
        )
        self.assertEqual([group["recovery"] for group in groups], ["07", "14"])

    def test_days_to_pay_averages_paid_steps_only(self):
        """Two reminders paid 8 and 4 days after them, one never paid: the
        average is 6 days, not 4 (the unpaid step counted as 0)."""
        paid = self._invoice("2026-02-01", 100.0)
        unpaid = self._invoice("2026-02-01", 100.0, partner=self.customer_2)
        self._run("2026-02-04")
        self._run("2026-02-08")
        self._register_payment(paid, payment_date="2026-02-12")
        emails = self._events(paid | unpaid, "email")
        self.assertEqual(len(emails), 4)
        [[average]] = self.Event._read_group(
            [("id", "in", emails.ids)], [], ["days_to_pay:avg"]
        )
        self.assertEqual(average, 6.0)
        # Per group as the pivot reads it: the unpaid customer's cell is empty.
        by_partner = dict(
            self.Event._read_group(
                [("id", "in", emails.ids)], ["partner_id"], ["days_to_pay:avg"]
            )
        )
        self.assertEqual(by_partner[self.customer], 6.0)
        self.assertFalse(by_partner[self.customer_2])

    def test_levels_of_two_policies_told_apart(self):
        other = self.policy.copy({"name": "Strict"})
        self.customer_2.dunning_policy_id = other
        self._invoice("2026-02-01", 100.0)
        self._invoice("2026-02-01", 200.0, partner=self.customer_2)
        self._run("2026-02-04")
        analysis = self.Event.with_context(dunning_level_with_policy=True)
        groups = analysis.formatted_read_group(
            [("kind", "=", "email")], ["level_id"], ["__count"]
        )
        self.assertEqual(
            sorted(group["level_id"][1] for group in groups),
            ["Standard dunning / Reminder", "Strict / Reminder"],
        )
        # Elsewhere a level keeps its short name.
        self.assertEqual(self.level_1.display_name, "Reminder")
        for xmlid in (
            "action_dunning_recovery_analysis",
            "action_dunning_overdue_report",
        ):
            action = self.env.ref(f"dunning_escalation.{xmlid}")
            self.assertIn("'dunning_level_with_policy': True", action.context)

    def test_amounts_add_up_in_the_company_currency(self):
        # 1 USD (the company's currency) = 2 EUR.
        eur = self.setup_other_currency("EUR", rates=[("2020-01-01", 2.0)])
        usd = self._invoice("2026-02-01", 100.0)
        euro = self._invoice("2026-02-01", 400.0, partner=self.customer_2, currency=eur)
        for day in ("2026-02-15", "2026-03-03"):
            self._run(day)
        handoffs = self._events(usd | euro, "handoff")
        self.assertEqual(
            sorted((e.amount, e.amount_company) for e in handoffs),
            [(100.0, 100.0), (400.0, 200.0)],
        )
        [[amount]] = self.Event._read_group(
            [("id", "in", handoffs.ids)], [], ["amount_company:sum"]
        )
        self.assertEqual(amount, 300.0)
