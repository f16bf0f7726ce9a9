from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command, fields
from odoo.tests import new_test_user
from odoo.tools import mute_logger

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.base.tests.common import MockSmtplibCase


def customers(env, count, prefix="Customer"):
    """``count`` customers named "<prefix> <n>", each with an email address."""
    return env["res.partner"].create(
        [
            {"name": f"{prefix} {n}", "email": f"{prefix.lower()}{n}@example.com"}
            for n in range(1, count + 1)
        ]
    )


class DunningCase(AccountTestInvoicingCommon):
    """Customers and posted invoices with due dates, and the company's default ladder:
    reminder at 3 days, firm reminder at 7, final notice at 14, handoff at 30."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Move = cls.env["account.move"]
        cls.Event = cls.env["dunning.event"]
        cls.policy = cls.env.company.dunning_policy_id
        levels = cls.policy.level_ids
        cls.level_1, cls.level_2, cls.level_3, cls.level_handoff = levels
        cls.level_friendly = cls.policy.with_context(active_test=False).level_ids[0]
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Bakkerij De Vries",
                "email": "ap@devries.example",
                "lang": "en_US",
            }
        )
        cls.customer_2 = cls.env["res.partner"].create(
            {"name": "Lindqvist AB", "email": "faktura@lindqvist.example"}
        )

    @classmethod
    def _invoice(
        cls,
        due,
        amount=100.0,
        partner=None,
        company=None,
        move_type=None,
        currency=None,
    ):
        """A posted customer invoice of ``amount`` due on ``due`` (a date or ISO
        string), invoiced 30 days before."""
        due = fields.Date.to_date(due)
        company = company or cls.env.company
        move = (
            cls.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": move_type or "out_invoice",
                    "partner_id": (partner or cls.customer).id,
                    "invoice_date": fields.Date.subtract(due, days=30),
                    "invoice_date_due": due,
                    "currency_id": (currency or company.currency_id).id,
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "Goods", "price_unit": amount, "tax_ids": []}
                        )
                    ],
                }
            )
        )
        move.action_post()
        return move

    @classmethod
    def _company_b_and_its_user(cls, login, groups):
        """A second company, Company B, and a user who works in it only."""
        company = cls.setup_other_company(name="Company B")["company"]
        user = new_test_user(
            cls.env,
            login=login,
            groups=groups,
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )
        return company, user

    def _run(self, day):
        """One run of the scheduled job as on ``day``."""
        with freeze_time(day):
            self.Move._cron_dunning_run()
        self.env.invalidate_all()

    def _events(self, moves, kind=None, state=None):
        domain = [("move_id", "in", moves.ids)]
        if kind:
            domain.append(("kind", "=", kind))
        if state:
            domain.append(("state", "=", state))
        return self.Event.search(domain, order="id")

    def _mails_of(self, events):
        return self.env["mail.mail"].search(
            [("mail_message_id", "in", events.mail_message_id.ids)]
        )


class SmtpCase(MockSmtplibCase):
    """The mail queue really sends through Odoo's mail server; only the SMTP
    connection is replaced, working, refusing a message, or down."""

    def _deliver(self, send, smtp_error=None, server_down=False):
        """Call ``send`` (something that sends the queue) against that server."""
        with (
            self.mock_smtplib_connection(),
            mute_logger(
                "odoo.addons.mail.models.mail_mail",
                "odoo.addons.base.models.ir_mail_server",
            ),
        ):
            if server_down:
                with patch(
                    "smtplib.SMTP", side_effect=ConnectionRefusedError("refused")
                ):
                    send()
            elif smtp_error:
                with patch.object(
                    self.testing_smtp_session, "send_message", side_effect=smtp_error
                ):
                    send()
            else:
                send()
        self.env.invalidate_all()


D = date
