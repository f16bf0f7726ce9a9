from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from ..models.dunning_behaviour import segment_of
from .common import D
from .common import DunningCase

LIMITS = {
    "min_invoices": 3,
    "reliable_days": 2.0,
    "reliable_share": 10.0,
    "late_days": 10.0,
    "late_share": 40.0,
    "chronic_days": 30.0,
    "chronic_share": 75.0,
    "chronic_broken": 2,
}


def figures(invoices=5, days_late=0.0, late_share=0.0, broken=0):
    return {
        "invoices": invoices,
        "days_late": days_late,
        "late_share": late_share,
        "broken": broken,
    }


@tagged("post_install", "-at_install")
class TestSegmentRules(DunningCase):
    """The segment a customer's figures put it in, at the edges of the
    company's default thresholds."""

    def test_each_segment_at_its_edges(self):
        cases = [
            (figures(invoices=2, days_late=90.0), "new"),
            (figures(days_late=2.0, late_share=10.0), "reliable"),
            (figures(days_late=2.1, late_share=10.0), "usual"),
            (figures(days_late=0.0, late_share=10.1), "usual"),
            (figures(days_late=9.9, late_share=39.9), "usual"),
            (figures(days_late=10.0), "late"),
            (figures(late_share=40.0), "late"),
            (figures(broken=1), "late"),
            (figures(days_late=30.0), "chronic"),
            (figures(late_share=75.0), "chronic"),
            (figures(broken=2), "chronic"),
        ]
        for values, expected in cases:
            with self.subTest(values=values):
                self.assertEqual(segment_of(values, LIMITS), expected)

    def test_thresholds_must_go_up(self):
        with self.assertRaisesRegex(ValidationError, "go up from Reliable"):
            self.env.company.dunning_segment_late_days = 40.0
        with self.assertRaisesRegex(ValidationError, "go up from Reliable"):
            self.env.company.dunning_segment_chronic_share = 120.0
        with self.assertRaisesRegex(ValidationError, "at least a month"):
            self.env.company.dunning_segment_months = 0


@tagged("post_install", "-at_install")
class TestPaymentBehaviour(DunningCase):
    """The run reads how each customer paid and puts it in a segment; rules
    choose the policy by segment, the customer's own policy first."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.prompt = Partner.create({"name": "Prompt BV", "is_company": True})
        cls.chronic = Partner.create({"name": "Chronic GmbH", "is_company": True})
        cls.slow = Partner.create({"name": "Slow AB", "is_company": True})
        cls.newcomer = Partner.create({"name": "Newcomer SA", "is_company": True})
        cls.early = cls.policy.copy({"name": "Early"})
        cls.gentle = cls.policy.copy({"name": "Gentle"})
        # Prompt: four invoices of 100.00, each paid on its due date.
        cls.prompt_moves = [
            cls._invoice(due, 100.0, partner=cls.prompt)
            for due in ("2026-01-10", "2026-02-10", "2026-03-10", "2026-04-10")
        ]
        # Chronic: 1,000.00 and 500.00 paid 40 days late, 500.00 open since
        # 10 March.
        cls.chronic_moves = [
            cls._invoice("2026-01-10", 1000.0, partner=cls.chronic),
            cls._invoice("2026-02-10", 500.0, partner=cls.chronic),
            cls._invoice("2026-03-10", 500.0, partner=cls.chronic),
        ]
        # Slow: four invoices of 100.00, two paid on time, two 12 days late.
        cls.slow_moves = [
            cls._invoice(due, 100.0, partner=cls.slow)
            for due in ("2026-01-10", "2026-02-10", "2026-03-10", "2026-04-01")
        ]
        cls.newcomer_move = cls._invoice("2026-03-01", 250.0, partner=cls.newcomer)
        for move, day in [
            *zip(
                cls.prompt_moves,
                ("2026-01-10", "2026-02-10", "2026-03-10", "2026-04-10"),
                strict=True,
            ),
            (cls.chronic_moves[0], "2026-02-19"),
            (cls.chronic_moves[1], "2026-03-22"),
            *zip(
                cls.slow_moves,
                ("2026-01-10", "2026-02-22", "2026-03-10", "2026-04-13"),
                strict=True,
            ),
            (cls.newcomer_move, "2026-03-01"),
        ]:
            cls._pay_in_full(move, day)

    @classmethod
    def _pay_in_full(cls, move, day):
        with freeze_time(day):
            cls.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=move.ids
            ).create({"payment_date": day})._create_payments()

    def _behaviour(self, partner):
        return self.env["dunning.behaviour"].search(
            [("partner_id", "=", partner.id), ("company_id", "=", self.env.company.id)]
        )

    def test_figures_and_segments_worked_by_hand(self):
        self._run("2026-04-20")
        # Chronic: (1000 x 40 + 500 x 40 + 500 x 41) / 2000 = 40.25 days.
        self.assertRecordValues(
            self._behaviour(self.prompt)
            | self._behaviour(self.chronic)
            | self._behaviour(self.slow)
            | self._behaviour(self.newcomer),
            [
                {
                    "invoice_count": 4,
                    "late_count": 0,
                    "late_share": 0.0,
                    "days_late": 0.0,
                    "amount_overdue": 0.0,
                    "segment": "reliable",
                    "segment_since": D(2026, 4, 20),
                },
                {
                    "invoice_count": 3,
                    "late_count": 3,
                    "late_share": 100.0,
                    "days_late": 40.3,
                    "amount_overdue": 500.0,
                    "segment": "chronic",
                    "segment_since": D(2026, 4, 20),
                },
                # (100 x 12 + 100 x 12) / 400 = 6 days; half paid late.
                {
                    "invoice_count": 4,
                    "late_count": 2,
                    "late_share": 50.0,
                    "days_late": 6.0,
                    "amount_overdue": 0.0,
                    "segment": "late",
                    "segment_since": D(2026, 4, 20),
                },
                {
                    "invoice_count": 1,
                    "late_count": 0,
                    "late_share": 0.0,
                    "days_late": 0.0,
                    "amount_overdue": 0.0,
                    "segment": "new",
                    "segment_since": D(2026, 4, 20),
                },
            ],
        )
        self.assertEqual(
            self._behaviour(self.chronic).reason,
            "3 of 3 invoices paid late; 40.3 days late on average (by amount); "
            "$\xa0500.00 overdue now",
        )
        # The customer's form shows it, with why.
        self.assertEqual(self.chronic.dunning_segment, "chronic")
        self.assertIn("3 of 3 invoices paid late", self.chronic.dunning_segment_reason)
        self.assertEqual(
            self.env["res.partner"].search(
                [
                    ("dunning_segment", "in", ["chronic", "late"]),
                    ("id", "in", (self.prompt | self.chronic | self.slow).ids),
                ]
            ),
            self.chronic | self.slow,
        )

    def test_each_part_paid_weighs_by_its_own_day(self):
        partial = self.env["res.partner"].create({"name": "Partial BV"})
        first = self._invoice("2026-01-10", 1000.0, partner=partial)
        for amount, day in ((600.0, "2026-01-10"), (400.0, "2026-02-19")):
            with freeze_time(day):
                self.env["account.payment.register"].with_context(
                    active_model="account.move", active_ids=first.ids
                ).create({"amount": amount, "payment_date": day})._create_payments()
        for due in ("2026-02-10", "2026-03-10"):
            self._pay_in_full(self._invoice(due, 500.0, partner=partial), due)
        # 600.00 on the day and 400.00 forty days late: 16 days for the first
        # invoice, (1000 x 16 + 500 x 0 + 500 x 0) / 2000 = 8 days; one of three
        # paid late.
        self._run("2026-04-20")
        self.assertRecordValues(
            self._behaviour(partial),
            [
                {
                    "invoice_count": 3,
                    "late_count": 1,
                    "late_share": 33.3,
                    "days_late": 8.0,
                    "segment": "usual",
                }
            ],
        )

    def test_a_new_customer_gets_its_rule_before_its_first_due_date(self):
        self.env["dunning.policy.rule"].create(
            {"name": "Newcomers", "segment": "new", "policy_id": self.early.id}
        )
        newbie = self.env["res.partner"].create({"name": "Newbie Ltd"})
        coming = self._invoice("2026-05-10", 300.0, partner=newbie)
        self._run("2026-04-20")
        self.assertRecordValues(
            self._behaviour(newbie),
            [{"invoice_count": 0, "segment": "new", "amount_overdue": 0.0}],
        )
        self.assertEqual(coming.dunning_policy_id, self.early)
        # The newcomer of setUpClass, whose only invoice is paid, is New too.
        self.assertEqual(self.newcomer_move.dunning_policy_id, self.early)

    def test_a_broken_promise_and_a_dispute_count(self):
        open_move = self._invoice("2026-04-12", 100.0, partner=self.slow)
        with freeze_time("2026-04-14"):
            open_move._dunning_block(D(2026, 4, 16), "promise", "Pays Thursday")
        self._run("2026-04-16")  # the promise ends unpaid: broken
        behaviour = self._behaviour(self.slow)
        self.assertEqual(behaviour.broken_count, 1)
        self.assertEqual(behaviour.segment, "late")
        with freeze_time("2026-04-17"):
            open_move._dunning_block(D(2026, 4, 30), "dispute", "Line 2")
        self._run("2026-04-18")
        self.assertRecordValues(
            self._behaviour(self.slow), [{"broken_count": 1, "dispute_count": 1}]
        )
        self.assertIn(
            "broken promises: 1; disputes: 1", self._behaviour(self.slow).reason
        )

    def test_rules_choose_the_policy_the_customer_s_own_first(self):
        Rule = self.env["dunning.policy.rule"]
        Rule.create(
            [
                {
                    "sequence": 1,
                    "name": "Chronic payers",
                    "segment": "chronic",
                    "policy_id": self.early.id,
                },
                {
                    "sequence": 2,
                    "name": "Reliable payers",
                    "segment": "reliable",
                    "policy_id": self.gentle.id,
                },
            ]
        )
        coming = self._invoice("2026-05-10", 300.0, partner=self.prompt)
        self.assertEqual(coming.dunning_policy_id, self.policy)
        self._run("2026-04-20")
        self.assertEqual(self.chronic_moves[2].dunning_policy_id, self.early)
        self.assertEqual(coming.dunning_policy_id, self.gentle)
        self.assertEqual(self.slow_moves[0].dunning_policy_id, self.policy)
        # The dry run says which rule chose.
        with freeze_time("2026-04-20"):
            wizard = self.env["dunning.run.wizard"].create(
                {
                    "date": "2026-04-20",
                    "move_ids": [(6, 0, (self.chronic_moves[2] | coming).ids)],
                }
            )
            wizard.action_preview()
        sources = {line.move_id: line.policy_source for line in wizard.line_ids}
        self.assertEqual(
            sources,
            {
                self.chronic_moves[2]: "Rule Chronic payers (customer Chronic)",
                coming: "Rule Reliable payers (customer Reliable)",
            },
        )
        # The customer's own policy comes first.
        self.chronic.with_company(self.env.company).dunning_policy_id = self.gentle
        self.assertEqual(self.chronic_moves[2].dunning_policy_id, self.gentle)
        with freeze_time("2026-04-20"):
            wizard.action_preview()
        sources = {line.move_id: line.policy_source for line in wizard.line_ids}
        self.assertEqual(sources[self.chronic_moves[2]], "Set on the customer")
        # A rule changed applies at once; one archived chooses nothing.
        self.chronic.with_company(self.env.company).dunning_policy_id = False
        Rule.search([("name", "=", "Reliable payers")]).active = False
        self.assertEqual(coming.dunning_policy_id, self.policy)
        self.assertEqual(self.chronic_moves[2].dunning_policy_id, self.early)

    def test_rules_by_country_kind_and_amount(self):
        belgium = self.env.ref("base.be")
        self.chronic.country_id = belgium
        Rule = self.env["dunning.policy.rule"]
        rule = Rule.create(
            {
                "name": "Large Belgian debts",
                "country_ids": [(6, 0, belgium.ids)],
                "partner_kind": "company",
                "min_overdue": 600.0,
                "policy_id": self.early.id,
            }
        )
        self._run("2026-04-20")
        # 500.00 overdue: below the rule's 600.00.
        self.assertFalse(self.chronic.with_company(self.env.company).dunning_rule_id)
        rule.min_overdue = 500.0
        self.assertEqual(
            self.chronic.with_company(self.env.company).dunning_rule_id, rule
        )
        rule.partner_kind = "person"
        self.assertFalse(self.chronic.with_company(self.env.company).dunning_rule_id)

    def test_moves_between_segments_are_logged_once(self):
        self._run("2026-04-20")
        self._run("2026-04-21")
        Change = self.env["dunning.segment.change"]
        self.assertEqual(
            Change.search_count([("partner_id", "=", self.newcomer.id)]), 1
        )
        # Two more invoices paid on time: the newcomer becomes reliable.
        for due in ("2026-04-25", "2026-05-05"):
            move = self._invoice(due, 250.0, partner=self.newcomer)
            self._pay_in_full(move, due)
        self._run("2026-05-20")
        self._run("2026-05-21")
        changes = Change.search([("partner_id", "=", self.newcomer.id)], order="id")
        self.assertRecordValues(
            changes,
            [
                {"segment_from": False, "segment_to": "new", "date": D(2026, 4, 20)},
                {
                    "segment_from": "new",
                    "segment_to": "reliable",
                    "date": D(2026, 5, 20),
                },
            ],
        )
        self.assertEqual(self._behaviour(self.newcomer).segment_since, D(2026, 5, 20))
        moves = Change._read_group(
            [("segment_from", "!=", False)], ["segment_from", "segment_to"], ["__count"]
        )
        self.assertIn(("new", "reliable", 1), moves)

    def test_settings_show_the_thresholds(self):
        settings = Form(self.env["res.config.settings"])
        settings.dunning_segment_late_days = 12.0
        settings.save().execute()
        self.assertEqual(self.env.company.dunning_segment_late_days, 12.0)
