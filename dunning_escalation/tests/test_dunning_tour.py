from freezegun import freeze_time

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .common import D
from .common import DunningCase


@tagged("post_install", "-at_install")
class TestDunningTour(DunningCase, HttpCase):
    """The three people of the design in the browser: an admin changes a level's
    delay, a billing user blocks an overdue invoice, an accountant reviews a
    customer's dunning. Each tour is followed by the check of what it changed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company
        # The test company has cash-basis taxes: without the matching setting the
        # settings page opens on a warning.
        company.tax_exigibility = True

        def user(login, name, groups):
            return new_test_user(
                cls.env,
                login=login,
                name=name,
                groups=groups,
                company_id=company.id,
                company_ids=[Command.set(company.ids)],
            )

        cls.admin = user(
            "dunning_admin",
            "Dunning Admin",
            "base.group_system,account.group_account_manager",
        )
        cls.billing = user(
            "dunning_billing", "Dunning Billing", "account.group_account_invoice"
        )
        cls.accountant = user(
            "dunning_accountant", "Dunning Accountant", "account.group_account_user"
        )
        # Due on 2 March: a reminder on the 5th, the firm reminder on the 9th.
        cls.invoice = cls._invoice("2026-03-02", 480.0)
        for day in ("2026-03-05", "2026-03-09"):
            with freeze_time(day):
                cls.Move._cron_dunning_run()
        cls.env.invalidate_all()
        # The web client's bundles, built once for the class: built by the first
        # tour, they would go with the rollback of its test and be built again.
        qweb = cls.env["ir.qweb"]
        qweb._get_asset_bundle("web.assets_web").css()
        qweb._get_asset_bundle("web.assets_web").js()
        qweb._get_asset_bundle("web.assets_web_print").css()
        qweb._get_asset_bundle("web.assets_tests").js()

    def test_prerequisites(self):
        """The state the tours start from: the invoice at the firm reminder with
        the history of both reminders."""
        self.assertEqual(self.invoice.dunning_level_id, self.level_2)
        self.assertEqual(self.level_2.name, "Firm reminder")
        self.assertEqual(self.level_2.delay_days, 7)
        self.assertEqual(
            self._events(self.invoice, "email").level_id, self.level_1 | self.level_2
        )
        self.assertFalse(self.invoice.dunning_blocked_until)

    def test_admin_changes_a_level_delay_in_settings(self):
        self.start_tour(
            "/odoo/action-account.action_account_config",
            "dunning_escalation_settings_tour",
            login=self.admin.login,
        )
        self.env.invalidate_all()
        self.assertRecordValues(
            self.policy.level_ids,
            [
                {"name": "Friendly reminder", "delay_days": -3},
                {"name": "Reminder", "delay_days": 3},
                {"name": "Firm reminder", "delay_days": 10},
                {"name": "Final notice", "delay_days": 14},
                {"name": "Collection agency", "delay_days": 30},
            ],
        )

    def test_user_sees_level_and_history_and_blocks_the_invoice(self):
        self.start_tour(
            f"/odoo/action-account.action_move_out_invoice_type/{self.invoice.id}",
            "dunning_escalation_invoice_tour",
            login=self.billing.login,
        )
        self.env.invalidate_all()
        self.assertRecordValues(
            self.invoice,
            [
                {
                    "dunning_level_id": self.level_2.id,
                    "dunning_blocked_until": D(2099, 1, 16),
                    "dunning_block_reason": "promise",
                    "dunning_block_note": "Pays after the audit",
                }
            ],
        )
        promise = self._events(self.invoice, "promise")
        self.assertEqual(len(promise), 1)
        self.assertEqual(promise.create_uid, self.billing)
        self.assertIn("Pays after the audit", promise.reason)

    def test_accountant_reviews_the_customer_follow_up(self):
        self.start_tour(
            f"/odoo/action-account.res_partner_action_customer/{self.customer.id}",
            "dunning_escalation_followup_tour",
            login=self.accountant.login,
        )
        # The statement the accountant prints from the same customer form.
        self.authenticate(self.accountant.login, self.accountant.login)
        response = self.url_open(
            "/report/html/dunning_escalation.report_dunning_statement/"
            f"{self.customer.id}"
        )
        self.assertEqual(response.status_code, 200)
        for expected in (self.invoice.name, "Firm reminder", "Bakkerij De Vries"):
            self.assertIn(expected, response.text)
