import io
from unittest.mock import patch

from freezegun import freeze_time
from PyPDF2 import PdfReader

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import D
from .common import DunningCase
from .common import customers


def pdf_fonts(reader):
    """The names of the fonts a PDF's pages use."""
    return {
        font.get_object()["/BaseFont"]
        for page in reader.pages
        for font in page["/Resources"].get("/Font", {}).values()
    }


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

    def _counting_wkhtmltopdf(self):
        """A patch counting the runs of wkhtmltopdf, with the pages each was given."""
        Report = type(self.env["ir.actions.report"])
        run = Report._run_wkhtmltopdf
        calls = []

        def counting(report, bodies, *args, **kwargs):
            calls.append(bodies)
            return run(report, bodies, *args, **kwargs)

        return patch.object(Report, "_run_wkhtmltopdf", counting), calls

    def _wkhtmltopdf_arguments(self):
        """A patch keeping the command-line arguments of each wkhtmltopdf run."""
        Report = type(self.env["ir.actions.report"])
        build = Report._build_wkhtmltopdf_args
        arguments = []

        def keeping(report, *args, **kwargs):
            arguments.append(build(report, *args, **kwargs))
            return arguments[-1]

        return patch.object(Report, "_build_wkhtmltopdf_args", keeping), arguments

    def test_letters_of_a_run_are_rendered_together(self):
        """Three customers at the final notice: one wkhtmltopdf run makes the three
        letters, one page of HTML with the report's styles in it (no server to
        fetch them from), split per letter; each customer's letter lists its own
        invoices and no one else's, in the styles' font."""
        others = customers(self.env, 2, prefix="Letter")
        invoices = [
            self._invoice("2026-02-20", 100.0 + n, partner=partner)
            for n, partner in enumerate(self.customer | others)
        ]
        counting, calls = self._counting_wkhtmltopdf()
        keeping, arguments = self._wkhtmltopdf_arguments()
        with counting, keeping:
            self._run("2026-03-06")
        self.assertEqual(len(calls), 1, "one wkhtmltopdf run for the three letters")
        self.assertEqual(len(calls[0]), 1, "one page of HTML")
        # The page has no script: no second given to scripts before printing.
        delay = arguments[0].index("--javascript-delay")
        self.assertEqual(arguments[0][delay + 1], "0")
        # Any other report keeps Odoo's delay for its page's scripts.
        Report = self.env["ir.actions.report"]
        other = Report._build_wkhtmltopdf_args(Report.get_paperformat(), False)
        self.assertEqual(other[other.index("--javascript-delay") + 1], "1000")
        page = calls[0][0]
        self.assertNotIn('rel="stylesheet"', page)
        self.assertIn(".o_body_pdf", page, "the report's styles, in the page")
        self.assertNotIn("@font-face", page, "the system's fonts, not web fonts")
        names = [invoice.partner_id.name for invoice in invoices]
        for invoice in invoices:
            letter = self._events(invoice, "letter")
            self.assertEqual(letter.state, "done")
            reader = PdfReader(io.BytesIO(letter.attachment_id.raw))
            self.assertEqual(len(reader.pages), 1)
            text = pdf_text(letter.attachment_id.raw)
            with self.subTest(customer=invoice.partner_id.name):
                self.assertIn(invoice.name, text)
                self.assertIn(f"Dear {invoice.partner_id.name},", text)
                for other in set(names) - {invoice.partner_id.name}:
                    self.assertNotIn(other, text)
                for other in invoices:
                    if other != invoice:
                        self.assertNotIn(other.name, text)
                # Unstyled, wkhtmltopdf prints in its serif default.
                self.assertEqual(
                    [name for name in pdf_fonts(reader) if "Serif" in name], []
                )

    def test_each_letter_of_a_batch_keeps_its_direction(self):
        """An Arabic-speaking customer's letter reads right to left in a batch
        with an English one, which stays left to right."""
        self.env["res.lang"]._activate_lang("ar_001")
        arabic = customers(self.env, 1, prefix="Arabic")
        arabic.lang = "ar_001"
        self._invoice("2026-02-20", 100.0)
        self._invoice("2026-02-20", 120.0, partner=arabic)
        counting, calls = self._counting_wkhtmltopdf()
        with counting:
            self._run("2026-03-06")
        self.assertEqual(len(calls), 1)
        page = calls[0][0]
        self.assertEqual(page.count('<div dir="rtl"'), 1)
        self.assertEqual(page.count('<div dir="ltr"'), 1)

    def test_letters_of_many_pages_and_a_failed_one(self):
        """A letter of two pages and more keeps all its pages and the next letter
        starts where it should; a letter that cannot be made fails alone, said in
        its history, and its batch's other letters are made."""
        long_customer, short_customer, broken = customers(self.env, 3, prefix="Len")
        many = [
            self._invoice("2026-02-20", 10.0 + n, partner=long_customer)
            for n in range(70)
        ]
        short = self._invoice("2026-02-20", 99.0, partner=short_customer)
        failing = self._invoice("2026-02-20", 55.0, partner=broken)
        Report = type(self.env["ir.actions.report"])
        together = Report._dunning_render_together

        def refusing(report, res_ids):
            if failing.id in res_ids:
                raise ValueError("the printer's template is broken")
            return together(report, res_ids)

        with patch.object(Report, "_dunning_render_together", refusing):
            self._run("2026-03-06")
        lead = self._events(many[0], "letter")
        self.assertEqual(
            self._events(many[-1], "letter").attachment_id,
            lead.attachment_id,
            "one letter for the customer's 70 invoices",
        )
        reader = PdfReader(io.BytesIO(lead.attachment_id.raw))
        self.assertGreaterEqual(len(reader.pages), 2)
        text = pdf_text(lead.attachment_id.raw)
        for invoice in (many[0], many[35], many[-1]):
            self.assertIn(invoice.name, text)
        self.assertNotIn(short.name, text)
        self.assertNotIn(short_customer.name, text)
        letter = self._events(short, "letter")
        self.assertEqual(letter.state, "done")
        content = letter.attachment_id.raw
        self.assertEqual(len(PdfReader(io.BytesIO(content)).pages), 1)
        self.assertIn(f"Dear {short_customer.name},", pdf_text(content))
        failed = self._events(failing, "letter")
        self.assertRecordValues(failed, [{"state": "failed", "attachment_id": False}])
        self.assertIn("the printer's template is broken", failed.reason)

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

    def test_statements_of_a_mass_mailing_are_rendered_together(self):
        """The statement template sent to two customers at once: one wkhtmltopdf
        run makes both statements, and each mail carries its own customer's."""
        mine = self._invoice("2026-02-20", 250.0)
        theirs = self._invoice("2026-02-20", 80.0, partner=self.customer_2)
        template = self.env.ref("dunning_escalation.mail_template_dunning_statement")
        partners = self.customer | self.customer_2
        Report = type(self.env["ir.actions.report"])
        run = Report._run_wkhtmltopdf
        calls = []

        def counting(report, bodies, *args, **kwargs):
            calls.append(len(bodies))
            return run(report, bodies, *args, **kwargs)

        composer = (
            self.env["mail.compose.message"]
            .with_context(
                default_model="res.partner",
                default_res_ids=partners.ids,
                default_template_id=template.id,
                default_composition_mode="mass_mail",
            )
            .create({})
        )
        with (
            freeze_time("2026-03-14"),
            patch.object(Report, "_run_wkhtmltopdf", counting),
        ):
            composer._action_send_mail()
        self.assertEqual(calls, [1], "one wkhtmltopdf run, one page of HTML")
        for partner, own, other in (
            (self.customer, mine, theirs),
            (self.customer_2, theirs, mine),
        ):
            mail = self.env["mail.mail"].search(
                [("model", "=", "res.partner"), ("res_id", "=", partner.id)]
            )
            self.assertEqual(len(mail), 1)
            self.assertEqual(len(mail.attachment_ids), 1)
            text = pdf_text(mail.attachment_ids.raw)
            with self.subTest(customer=partner.name):
                self.assertIn("Statement of overdue invoices", text)
                self.assertIn(own.name, text)
                self.assertNotIn(other.name, text)
