import io
from unittest.mock import patch

from freezegun import freeze_time
from PyPDF2 import PdfReader

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.base.models.ir_actions_report import _wkhtml

from .common import D
from .common import DunningCase
from .common import customers


def pdf_text(content):
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(text.split())


@tagged("post_install", "-at_install")
class TestDunningLetters(DunningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.level_3.write({"send_letter": True, "letter_registered": True})
        cls.customer.write(
            {
                "street": "Kerkstraat 1",
                "street2": "t.a.v. Crediteurenadministratie, Ĳsselmeerweg Straße",
                "zip": "1017 GA",
                "city": "Amsterdam",
                "country_id": cls.env.ref("base.nl").id,
                "is_company": True,
            }
        )
        cls.policy.legal_profile = "by_customer"

    def test_letters_of_a_run_are_rendered_together(self):
        """Three customers at the final notice: with Odoo's patched wkhtmltopdf the
        report is asked once for the three letters (one wkhtmltopdf run, split per
        letter), else each letter on its own; either way each customer's letter
        lists its own invoices and no one else's."""
        others = customers(self.env, 2, prefix="Letter")
        invoices = [
            self._invoice("2026-02-20", 100.0 + n, partner=partner)
            for n, partner in enumerate(self.customer | others)
        ]
        Report = type(self.env["ir.actions.report"])
        render = Report._render_qweb_pdf_prepare_streams
        calls = []

        def counting(report, report_ref, data=None, res_ids=None):
            calls.append(res_ids)
            return render(report, report_ref, data, res_ids=res_ids)

        with patch.object(Report, "_render_qweb_pdf_prepare_streams", counting):
            self._run("2026-03-06")
        if "(with patched qt)" in _wkhtml().version:
            self.assertEqual(len(calls), 1)
            self.assertEqual(sorted(calls[0]), sorted(move.id for move in invoices))
        else:
            self.assertEqual(sorted(calls), sorted([move.id] for move in invoices))
        names = [invoice.partner_id.name for invoice in invoices]
        for invoice in invoices:
            letter = self._events(invoice, "letter")
            self.assertEqual(letter.state, "done")
            text = pdf_text(letter.attachment_id.raw)
            with self.subTest(customer=invoice.partner_id.name):
                self.assertIn(invoice.name, text)
                self.assertIn(f"Dear {invoice.partner_id.name},", text)
                for other in set(names) - {invoice.partner_id.name}:
                    self.assertNotIn(other, text)
                for other in invoices:
                    if other != invoice:
                        self.assertNotIn(other.name, text)

    def test_final_notice_letter_is_a_real_pdf(self):
        first = self._invoice("2026-02-20", 250.0)
        second = self._invoice("2026-03-01", 120.5)
        self._run("2026-03-06")  # first invoice 14 days late: final notice
        event = self._events(first, "letter")
        self.assertRecordValues(
            event,
            [{"state": "done", "letter_registered": True, "letter_printed": False}],
        )
        self.assertEqual(event.attachment_id.res_id, first.id)
        report = self.env.ref("dunning_escalation.action_report_dunning_letter")
        content, kind = report.with_context(
            force_report_rendering=True,
            dunning_level_id=self.level_3.id,
            dunning_date=D(2026, 3, 6),
            dunning_statement_ids=(first | second).ids,
        )._render_qweb_pdf(report.report_name, first.ids)
        self.assertEqual(kind, "pdf")
        self.assertTrue(content.startswith(b"%PDF"))
        text = pdf_text(content)
        for expected in (
            "Final notice",
            "Dear Bakkerij De Vries,",
            "Kerkstraat 1",
            # Not ASCII: the PDF reads the page as UTF-8.
            "t.a.v. Crediteurenadministratie, Ĳsselmeerweg Straße",
            first.name,
            second.name,
            "370.50",
            # The formal notice under Dutch law, in the customer's language.
            "formal notice of default",
        ):
            with self.subTest(expected=expected):
                self.assertIn(expected, text)

    def test_print_letters_in_one_pdf_and_mark_them(self):
        self._invoice("2026-02-20", 250.0)
        self._invoice("2026-02-20", 80.0, partner=self.customer_2)
        self._run("2026-03-06")
        letters = self.Event.search([("kind", "=", "letter")])
        self.assertEqual(len(letters), 2)
        action = letters.action_print_letters()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertEqual(set(letters.mapped("letter_printed")), {True})
        bundle_id = int(action["url"].split("/web/content/")[1].split("?")[0])
        bundle = self.env["ir.attachment"].browse(bundle_id)
        reader = PdfReader(io.BytesIO(bundle.raw))
        self.assertEqual(len(reader.pages), 2, "one page per letter")
        self.assertIn("Lindqvist AB", pdf_text(bundle.raw))

    def test_tracking_number_of_a_registered_letter(self):
        self._invoice("2026-02-20", 250.0)
        self._run("2026-03-06")
        billing = new_test_user(
            self.env,
            login="dunning_letters_billing",
            groups="account.group_account_invoice",
        )
        letter = self.Event.search([("kind", "=", "letter")]).with_user(billing)
        letter.tracking_ref = "RR123456785NL"
        self.assertEqual(letter.tracking_ref, "RR123456785NL")
        with self.assertRaisesRegex(AccessError, "cannot be edited"):
            letter.reason = "changed"


@tagged("post_install", "-at_install")
class TestDunningStatement(DunningCase):
    def test_customer_statement_pdf_and_mail(self):
        self.policy.legal_profile = "eu_b2b"
        self.level_3.write({"charge_compensation": True})
        old = self._invoice("2026-02-20", 250.0)
        recent = self._invoice("2026-03-08", 120.5)
        self._run("2026-03-14")
        report = self.env.ref("dunning_escalation.action_report_dunning_statement")
        with freeze_time("2026-03-14"):
            content, kind = report.with_context(
                force_report_rendering=True
            )._render_qweb_pdf(report.report_name, self.customer.ids)
        self.assertEqual(kind, "pdf")
        text = pdf_text(content)
        for expected in (
            "Statement of overdue invoices",
            old.name,
            recent.name,
            "Final notice",  # the level of the old invoice
            "Recovery Compensation",  # EUR 40 charged at the final notice
            "Next steps",
            "History",
        ):
            with self.subTest(expected=expected):
                self.assertIn(expected, text)
        # 250 + 120.50 + the 40.00 charge invoice
        self.assertIn("410.50", text)
        # The customer sees the steps, not the internal notes behind them.
        self.assertNotIn("Outcome", text)
        self.assertNotIn("sent to ap@devries.example", text)
        action = self.customer.action_dunning_send_statement()
        composer = (
            self.env["mail.compose.message"].with_context(action["context"]).create({})
        )
        self.assertEqual(
            composer.template_id,
            self.env.ref("dunning_escalation.mail_template_dunning_statement"),
        )
        self.assertIn("Statement of overdue invoices", composer.subject)
