import io
import re
from urllib.parse import parse_qs
from urllib.parse import urlsplit

from PyPDF2 import PdfReader

from odoo.exceptions import AccessError
from odoo.service.model import call_kw
from odoo.tests import HttpCase, tagged

from .common import DunningCase
from .test_dunning_letters import pdf_text

IBAN = "NL91ABNA0417164300"


def qr_src(body):
    """The address of the QR image in a mail's ``body``, or None."""
    image = re.search(r'<img[^>]*alt="QR code"[^>]*>', body)
    if not image:
        return None
    return re.search(r'src="([^"]+)"', image.group(0)).group(1).replace("&amp;", "&")


def epc_fields(src):
    """The lines of the EPC QR code an image address of /report/barcode encodes."""
    query = parse_qs(urlsplit(src).query)
    assert query["barcode_type"] == ["QR"], query
    return query["value"][0].split("\n")


@tagged("post_install", "-at_install")
class TestDunningPaymentQr(DunningCase, HttpCase):
    """Reminders and letters carry the bank-transfer QR code Odoo makes for an
    invoice (here the SEPA EPC QR of account_qr_code_sepa) for the amount due of
    the whole message; a letter prints a short link to the invoice page."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.env.ref("base.EUR")
        cls.eur.active = True
        company = cls.env.company
        company.qr_code = True
        cls.bank = cls.env["res.partner.bank"].create(
            {
                "acc_number": IBAN,
                "partner_id": company.partner_id.id,
                "acc_holder_name": "Dunning Test Company",
                "allow_out_payment": True,
            }
        )
        cls.level_3.write({"send_letter": True})

    def _eur_invoice(self, due, amount, **kwargs):
        move = self._invoice(due, amount, currency=self.eur, **kwargs)
        self.assertEqual(move.partner_bank_id, self.bank)
        return move

    def _mail_body(self, move):
        mail = self._mails_of(self._events(move, "email"))
        self.assertEqual(len(mail), 1)
        return mail.body_html

    def test_reminder_of_two_invoices_pays_both_in_one_scan(self):
        first = self._eur_invoice("2026-03-01", 250.0)
        second = self._eur_invoice("2026-03-02", 80.45)
        self._run("2026-03-05")
        body = self._mail_body(first)
        src = qr_src(body)
        self.assertTrue(src.startswith(f"{first.get_base_url()}/report/barcode/?"))
        fields = epc_fields(src)
        # 250.00 + 80.45, to the company's IBAN, both invoices named.
        self.assertEqual(fields[:4], ["BCD", "002", "1", "SCT"])
        self.assertEqual(fields[5:8], ["Dunning Test Company", IBAN, "EUR330.45"])
        self.assertEqual(fields[9], "")  # no structured reference for two
        self.assertEqual(fields[10], f"{first.name} {second.name}")
        self.assertIn("330.45", " ".join(body.split()))
        # The image is there for anyone the mail reaches: the address works
        # without a session.
        response = self.url_open(src)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "image/png")

    def test_structured_reference_of_one_invoice(self):
        # The journal makes ISO 11649 creditor references.
        journal = self.company_data["default_journal_sale"]
        journal.invoice_reference_model = "euro"
        move = self._eur_invoice("2026-03-01", 125.0)
        self.assertTrue(move.payment_reference.startswith("RF"))
        self._run("2026-03-05")
        fields = epc_fields(qr_src(self._mail_body(move)))
        self.assertEqual(fields[7], "EUR125.0")
        self.assertEqual(fields[9], move.payment_reference.replace(" ", ""))
        self.assertEqual(fields[10], "")

    def test_no_code_where_none_applies(self):
        # In dollars (a SEPA code is for euros), and with the codes switched off.
        dollars = self._invoice("2026-03-01", 100.0, partner=self.customer_2)
        self._run("2026-03-05")
        self.assertIsNone(qr_src(self._mail_body(dollars)))
        self.env.company.qr_code = False
        euros = self._eur_invoice("2026-03-01", 100.0)
        self._run("2026-03-06")
        self.assertIsNone(qr_src(self._mail_body(euros)))
        self.assertFalse(euros.dunning_payment_qr())

    def test_no_code_for_two_currencies_at_once(self):
        first = self._eur_invoice("2026-03-01", 250.0)
        self._invoice("2026-03-01", 100.0)  # dollars, same customer
        self._run("2026-03-05")
        self.assertIsNone(qr_src(self._mail_body(first)))

    def test_letter_carries_the_code_and_the_short_link(self):
        first = self._eur_invoice("2026-02-20", 250.0)
        second = self._eur_invoice("2026-03-01", 120.5)
        self._run("2026-03-06")  # the final notice, with a letter
        event = self._events(first, "letter")
        self.assertEqual(event.state, "done")
        content = event.attachment_id.raw
        text = pdf_text(content)
        link = self.env["dunning.pay.link"].search([("move_id", "=", first.id)])
        self.assertEqual(len(link), 1)
        self.assertRegex(link.code, r"^[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}$")
        self.assertIn(f"/pay/{link.code}", text)
        self.assertNotIn("access_token", text)
        self.assertIn("Scan the code with your banking app", text)
        self.assertIn("370.50", text)
        # The code is an image in the page, not fetched from a server.
        reader = PdfReader(io.BytesIO(content))
        images = [image for page in reader.pages for image in page.images]
        self.assertTrue(images)
        # A second letter of the same invoice prints the same short link.
        self.assertEqual(
            first.dunning_short_pay_url(), f"{first.get_base_url()}/pay/{link.code}"
        )
        self.assertEqual(
            self.env["dunning.pay.link"].search_count([("move_id", "=", first.id)]), 1
        )
        self.assertIn(second.name, text)

    def test_short_link_leads_to_the_invoice_page(self):
        move = self._eur_invoice("2026-03-01", 250.0)
        url = move.dunning_short_pay_url()
        code = url.rsplit("/", 1)[1]
        # Typed from paper: any case, without the dashes.
        typed = code.replace("-", "").lower()
        response = self.url_open(f"/pay/{typed}", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        location = urlsplit(response.headers["Location"])
        self.assertEqual(location.path, f"/my/invoices/{move.id}")
        self.assertEqual(parse_qs(location.query)["access_token"], [move.access_token])
        page = self.url_open(f"/pay/{typed}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(move.name, page.text)
        self.assertEqual(self.url_open("/pay/AAAA-BBBB-CCCC").status_code, 404)

    def test_no_code_or_link_over_rpc(self):
        """The templates' helpers are not remote methods: a user of any app
        could otherwise ask for the link of an invoice they cannot read."""
        move = self._eur_invoice("2026-03-01", 250.0)
        for name in (
            "dunning_short_pay_url",
            "dunning_payment_qr",
            "dunning_pay_url",
            "dunning_statement_moves",
        ):
            with self.subTest(name=name), self.assertRaises(AccessError):
                call_kw(move, name, [move.ids], {})
        self.assertFalse(self.env["dunning.pay.link"].search([]))

    def test_another_company_never_reads_a_short_link(self):
        move = self._eur_invoice("2026-03-01", 250.0)
        move.dunning_short_pay_url()
        _company, user = self._company_b_and_its_user(
            "dunning_qr_b", "account.group_account_invoice"
        )
        self.assertFalse(self.env["dunning.pay.link"].with_user(user).search([]))
