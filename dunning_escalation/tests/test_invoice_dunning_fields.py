from freezegun import freeze_time

from odoo import Command, fields
from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


@tagged("post_install", "-at_install")
class TestInvoiceDunningFields(AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy = cls.env.company.dunning_policy_id
        cls.customer = cls.env["res.partner"].create(
            {"name": "Overdue Customer B.V.", "email": "ap@overdue.example"}
        )

    @freeze_time("2026-03-01")
    def test_posted_invoice_gets_defaults(self):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": "2026-03-01",
                "invoice_date_due": "2026-03-31",
                "invoice_line_ids": [
                    fields.Command.create(
                        {"name": "Consulting", "price_unit": 1200.0, "tax_ids": []}
                    )
                ],
            }
        )
        invoice.action_post()

        self.assertEqual(invoice.state, "posted")
        self.assertRecordValues(
            invoice,
            [
                {
                    "dunning_policy_id": self.policy.id,
                    "dunning_level_id": False,
                    "dunning_last_date": False,
                    "dunning_blocked_until": False,
                    "dunning_block_reason": False,
                    "amount_residual": 1200.0,
                    # First active level of the default policy: 3 days after due
                    # (the friendly reminder before due ships archived).
                    "dunning_next_date": fields.Date.to_date("2026-04-03"),
                }
            ],
        )
        self.assertFalse(invoice.dunning_event_ids)
        self.assertFalse(invoice.dunning_fee_move_ids)
        self.assertEqual(
            self.policy.level_ids.mapped("delay_days"),
            [3, 7, 14, 30],
            "the default ladder is 3, 7, 14 days, then handoff at 30",
        )

    @freeze_time("2026-03-01")
    def test_vendor_bills_and_credit_notes_have_no_policy(self):
        for move_type in ("in_invoice", "out_refund"):
            move = self.env["account.move"].create(
                {
                    "move_type": move_type,
                    "partner_id": self.customer.id,
                    "invoice_date": "2026-03-01",
                    "invoice_line_ids": [
                        fields.Command.create(
                            {"name": "Line", "price_unit": 100.0, "tax_ids": []}
                        )
                    ],
                }
            )
            with self.subTest(move_type=move_type):
                self.assertFalse(move.dunning_policy_id)
                self.assertFalse(move.dunning_next_date)

    def test_level_tones_follow_the_ladder(self):
        levels = self.policy.with_context(active_test=False).level_ids
        self.assertEqual(
            levels.mapped("tone"), ["friendly", "reminder", "firm", "final", "final"]
        )
        # A new last level before the handoff becomes the final one.
        self.policy.level_ids = [
            Command.create(
                {
                    "name": "Last call",
                    "sequence": 35,
                    "delay_days": 21,
                    "mail_template_id": levels[3].mail_template_id.id,
                }
            )
        ]
        tones = dict(
            zip(
                self.policy.level_ids.mapped("name"),
                self.policy.level_ids.mapped("tone"),
                strict=True,
            )
        )
        self.assertEqual(tones["Final notice"], "firm")
        self.assertEqual(tones["Last call"], "final")

    def test_new_company_gets_default_policy(self):
        company = self.env["res.company"].create({"name": "Dunning Test Subsidiary"})
        policy = company.dunning_policy_id
        self.assertEqual(policy.company_id, company)
        self.assertEqual(policy.level_ids.mapped("delay_days"), [3, 7, 14, 30])
        self.assertEqual(
            policy.with_context(active_test=False).level_ids.mapped("delay_days"),
            [-3, 3, 7, 14, 30],
        )
        self.assertEqual(policy.level_ids[-1].handoff, True)

    @freeze_time("2026-03-01")
    def test_changing_company_default_moves_its_invoices(self):
        invoice = self._create_invoice(
            partner_id=self.customer.id,
            invoice_date="2026-03-01",
            invoice_date_due="2026-03-31",
            post=True,
        )
        other = self.policy.copy({"name": "Strict", "grace_days": 0})
        other.level_ids[0].delay_days = 1
        self.env.company.dunning_policy_id = other
        self.assertEqual(invoice.dunning_policy_id, other)
        self.assertEqual(invoice.dunning_next_date, fields.Date.to_date("2026-04-01"))

    @freeze_time("2026-03-01")
    def test_next_step_follows_levels_switched_on_and_off(self):
        invoice = self._create_invoice(
            partner_id=self.customer.id,
            invoice_date="2026-03-01",
            invoice_date_due="2026-03-31",
            post=True,
        )
        friendly = self.policy.with_context(active_test=False).level_ids[0]
        self.assertFalse(friendly.active)
        # The first active level is the reminder, 3 days after the due date.
        self.assertEqual(invoice.dunning_next_date, fields.Date.to_date("2026-04-03"))
        friendly.active = True
        self.assertEqual(invoice.dunning_next_date, fields.Date.to_date("2026-03-28"))
        friendly.active = False
        self.assertEqual(invoice.dunning_next_date, fields.Date.to_date("2026-04-03"))
        # A company created now has its friendly reminder archived from the start:
        # its invoices' first step is the reminder too.
        company = self.env["res.company"].create({"name": "Dunning New Co"})
        self.assertEqual(
            company.dunning_policy_id._steps()[0].delay_days,
            3,
            "archived level left out",
        )
