from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import D
from .common import DunningCase


@tagged("post_install", "-at_install")
class TestDunningPolicyValidation(DunningCase):
    def test_two_levels_with_the_same_delay(self):
        with self.assertRaisesRegex(ValidationError, "both have a delay of 7 days"):
            self.level_3.delay_days = 7

    def test_delay_going_down_as_sequence_goes_up(self):
        with self.assertRaisesRegex(ValidationError, "order the levels by delay"):
            self.level_2.delay_days = 20

    def test_level_without_action(self):
        with self.assertRaisesRegex(ValidationError, "does nothing"):
            self.policy.level_ids = [
                Command.create({"name": "Empty", "delay_days": 60, "sequence": 99})
            ]

    def test_negative_fee_and_minimum(self):
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self.level_1.fee_fixed = -5
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self.policy.min_amount = -1

    def test_policy_of_another_company(self):
        other = self.setup_other_company(name="Other Co")["company"]
        with self.assertRaisesRegex(ValidationError, "belongs to company Other Co"):
            self.env.company.dunning_policy_id = other.dunning_policy_id


@tagged("post_install", "-at_install")
class TestDunningAccess(DunningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.billing_user = new_test_user(
            cls.env,
            login="dunning_billing",
            groups="account.group_account_invoice",
            company_id=cls.env.company.id,
        )

    def test_billing_user_reads_and_acts_but_cannot_configure(self):
        invoice = self._invoice("2026-03-01")
        as_billing = invoice.with_user(self.billing_user)
        self.assertEqual(as_billing.dunning_policy_id.name, self.policy.name)
        with self.assertRaises(AccessError):
            self.policy.with_user(self.billing_user).name = "Mine"
        with self.assertRaises(AccessError):
            self.env["dunning.level"].with_user(self.billing_user).create(
                {
                    "policy_id": self.policy.id,
                    "name": "x",
                    "delay_days": 90,
                    "handoff": True,
                }
            )
        as_billing.with_context(dunning_date=D(2026, 3, 5)).action_dunning_escalate()
        self.assertEqual(invoice.dunning_level_id, self.level_1)
        event = self._events(invoice, "email").with_user(self.billing_user)
        self.assertEqual(event.state, "done")
        with self.assertRaises(AccessError):
            event.reason = "edited"
        with self.assertRaises(AccessError):
            event.unlink()
        with self.assertRaises(AccessError):
            self.env["dunning.event"].with_user(self.billing_user).create(
                {"move_id": invoice.id, "kind": "paid"}
            )

    def test_events_are_read_only_for_managers_too(self):
        invoice = self._invoice("2026-03-01")
        invoice.with_context(dunning_date=D(2026, 3, 5)).action_dunning_escalate()
        event = self._events(invoice, "email")
        with self.assertRaises(AccessError):
            event.unlink()


@tagged("post_install", "-at_install")
class TestDunningMultiCompany(DunningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b, cls.user_b = cls._company_b_and_its_user(
            "dunning_user_b", "account.group_account_manager"
        )

    def test_each_company_its_own_policy_and_isolation(self):
        invoice_a = self._invoice("2026-03-10")
        invoice_b = self._invoice("2026-03-10", company=self.company_b)
        policy_b = self.company_b.dunning_policy_id
        self.assertEqual(invoice_b.dunning_policy_id, policy_b)
        self.assertNotEqual(policy_b, self.policy)
        # Company B stretches its first level; A is not affected.
        policy_b.sudo().level_ids[0].delay_days = 5
        self._run("2026-03-13")
        self.assertEqual(invoice_a.dunning_level_id, self.level_1)
        self.assertFalse(invoice_b.dunning_level_id)
        self._run("2026-03-15")
        self.assertEqual(invoice_b.dunning_level_id, policy_b.level_ids[0])
        # B's user sees B's policy and events, none of A's.
        Policy = self.env["dunning.policy"].with_user(self.user_b)
        self.assertEqual(Policy.search([]), policy_b)
        Event = self.env["dunning.event"].with_user(self.user_b)
        self.assertEqual(Event.search([]).move_id, invoice_b)
        with self.assertRaises(AccessError):
            self.policy.with_user(self.user_b).read(["name"])

    def test_statutory_rates_are_edited_for_every_company_by_settings_admins(self):
        """A rate is the law's, shared by every company: an accounting
        administrator of company B reads it but cannot change it for company A;
        a settings administrator can."""
        rate = self.env["dunning.interest.rate"].search([], limit=1)
        as_b = rate.with_user(self.user_b)
        self.assertEqual(as_b.percent, rate.percent)
        with self.assertRaises(AccessError):
            as_b.percent = 50.0
        with self.assertRaises(AccessError):
            self.env["dunning.interest.rate"].with_user(self.user_b).create(
                {"legal_profile": "nl_b2b", "date_from": "2030-01-01", "percent": 9.0}
            )
        system = new_test_user(
            self.env,
            login="dunning_rates_system",
            groups="base.group_system,account.group_account_manager",
        )
        rate.with_user(system).percent = 10.5
        self.assertEqual(rate.percent, 10.5)


@tagged("post_install", "-at_install")
class TestDunningCollectionsPrivacy(DunningCase):
    """Collection cases name customers' debts: the Collections project is private
    to the people invited, the case's responsible follows it, and the agency gets
    the case file by mail, not access to the project."""

    def test_collections_project_is_private_and_the_agency_only_mailed(self):
        agency = self.env["res.partner"].create(
            {"name": "Incasso Noord", "email": "dossiers@incasso.example"}
        )
        responsible = new_test_user(
            self.env, login="dunning_case_owner", groups="account.group_account_invoice"
        )
        self.policy.write(
            {
                "agency_partner_id": agency.id,
                "handoff_mail_agency": True,
                "user_id": responsible.id,
            }
        )
        project = self.env.ref("dunning_escalation.project_collections").sudo()
        self.assertEqual(project.privacy_visibility, "followers")
        invoice = self._invoice("2026-02-01", 400.0)
        other = self._invoice("2026-02-01", 50.0, partner=self.customer_2)
        self._run("2026-03-03")
        tasks = (
            self.env["project.task"]
            .sudo()
            .search([("dunning_move_ids", "in", (invoice | other).ids)])
        )
        self.assertEqual(len(tasks), 2)
        # The responsible opens the cases they follow.
        self.assertEqual(
            self.env["project.task"]
            .with_user(responsible)
            .search([("id", "in", tasks.ids)]),
            tasks,
        )
        for task in tasks:
            self.assertIn(responsible.partner_id, task.message_partner_ids)
            self.assertNotIn(agency, task.message_partner_ids)
            mailed = task.message_ids.filtered(lambda m: agency in m.partner_ids)
            self.assertEqual(len(mailed), 1)
            self.assertTrue(mailed.attachment_ids)
        self.assertNotIn(agency, project.message_partner_ids)
        # An employee who is not invited does not see the cases.
        employee = new_test_user(
            self.env, login="dunning_case_employee", groups="project.group_project_user"
        )
        self.assertFalse(
            self.env["project.task"]
            .with_user(employee)
            .search([("id", "in", tasks.ids)])
        )
        # The agency as a portal user of its own sees nothing either.
        portal = new_test_user(
            self.env,
            login="dunning_agency_portal",
            groups="base.group_portal",
            partner_id=agency.id,
        )
        self.assertFalse(
            self.env["project.task"].with_user(portal).search([("id", "in", tasks.ids)])
        )
