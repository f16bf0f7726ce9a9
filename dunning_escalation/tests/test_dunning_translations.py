import json

from freezegun import freeze_time

from odoo.tests import tagged

from ..models.mail_template import REMINDER_TEMPLATES
from ..models.mail_template import TOTALS_PER_CURRENCY
from .common import DunningCase

# For each shipped language, words its reminders must carry: the subject's opening
# of the reminder, the firm reminder and the final notice, and a column header.
EXPECTED = {
    "nl_NL": (
        "Betalingsherinnering",
        "Aanmaning",
        "Ingebrekestelling",
        "Dagen te laat",
    ),
    "fr_FR": (
        "Rappel de paiement",
        "Deuxième relance",
        "Mise en demeure",
        "Jours de retard",
    ),
    "de_DE": ("Zahlungserinnerung", "Mahnung", "Letzte Mahnung", "Tage überfällig"),
    "sv_SE": (
        "Betalningspåminnelse",
        "Andra påminnelsen",
        "Sista påminnelse",
        "Dagar försenad",
    ),
}

# The due date of 1 February 2026 as each language writes it.
DUE_DATE = {
    "nl_NL": "01-02-2026",
    "fr_FR": "01/02/2026",
    "de_DE": "01.02.2026",
    "sv_SE": "2026-02-01",
}


@tagged("post_install", "-at_install")
class TestDunningTranslations(DunningCase):
    """The shipped translations load into Odoo, and every level's mail renders in
    the customer's language with its invoices: a translation that broke a
    template's QWeb would fail here."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        langs = list(EXPECTED)
        for lang in langs:
            cls.env["res.lang"]._activate_lang(lang)
        cls.env["ir.module.module"].search(
            [("name", "=", "dunning_escalation")]
        )._load_module_terms(["dunning_escalation"], langs, overwrite=True)

    def test_reminders_in_the_customers_language(self):
        customers = {
            lang: self.env["res.partner"].create(
                {
                    "name": f"Customer {lang}",
                    "email": f"{lang}@example.com",
                    "lang": lang,
                }
            )
            for lang in EXPECTED
        }
        invoices = {
            lang: self._invoice("2026-02-01", 100.0, partner=partner)
            for lang, partner in customers.items()
        }
        for day in ("2026-02-04", "2026-02-08", "2026-02-15"):
            self._run(day)
        for lang, (reminder, firm, final, column) in EXPECTED.items():
            with self.subTest(lang=lang):
                invoice = invoices[lang]
                mails = self._mails_of(self._events(invoice, "email")).sorted("id")
                self.assertEqual(len(mails), 3)
                for mail, word in zip(mails, (reminder, firm, final), strict=True):
                    self.assertTrue(mail.subject.startswith(word), mail.subject)
                    self.assertIn(invoice.name, mail.subject)
                    self.assertIn(column, mail.body_html)
                    self.assertIn(invoice.name, mail.body_html)
                    self.assertIn(f">{DUE_DATE[lang]}</td>", mail.body_html)
                    self.assertIn(
                        "100,00", mail.body_html, "amounts in the local format"
                    )

    def test_upgrade_gives_old_templates_totals_per_currency(self):
        """A database of the first version has reminder templates that add up the
        total across currencies, in every language: the upgrade rewrites those
        two expressions and nothing else, and leaves an expression its user
        edited as it is."""
        templates = self.env["mail.template"].browse(
            [
                self.env.ref(f"dunning_escalation.{xmlid}").id
                for xmlid in REMINDER_TEMPLATES
            ]
        )

        def bodies():
            self.env.flush_all()
            self.env.cr.execute(
                "SELECT id, body_html FROM mail_template WHERE id = ANY(%s)",
                [templates.ids],
            )
            return dict(self.env.cr.fetchall())

        current = bodies()
        # The first version's templates, as an old database has them.
        for template_id, body in current.items():
            old_body = {}
            for lang, text in body.items():
                for old, new in TOTALS_PER_CURRENCY:
                    text = text.replace(new, old)
                old_body[lang] = text
            self.env.cr.execute(
                "UPDATE mail_template SET body_html = %s WHERE id = %s",
                [json.dumps(old_body), template_id],
            )
        # One template edited by its user (in English only): its total shows
        # something else.
        edited = templates[0]
        self.env.cr.execute(
            "UPDATE mail_template SET body_html = jsonb_build_object('en_US', "
            "replace(body_html->>'en_US', 'mapped(''amount_residual'')', "
            "'mapped(''amount_total'')')) WHERE id = %s",
            [edited.id],
        )
        templates.invalidate_recordset(["body_html"])
        old = bodies()
        self.assertEqual(
            sorted(old[templates[1].id]), sorted(["en_US", *EXPECTED]), "translated"
        )
        self.env["mail.template"]._dunning_migrate_totals_per_currency()
        migrated = bodies()
        for template in templates - edited:
            self.assertEqual(migrated[template.id], current[template.id])
        self.assertIn("format_amount(inv.amount_residual", migrated[edited.id]["en_US"])
        self.assertIn("mapped('amount_total')", migrated[edited.id]["en_US"])
        self.assertNotIn("dunning_statement_total", migrated[edited.id]["en_US"])


# The final notice letter of a customer (country, company or person, language):
# words of its heading and of its formal notice paragraph in that language, under the
# law of its country, and words the letter must not carry (another language's notice).
FINAL_NOTICES = {
    "Flemish business": (
        ("BE", True, "nl_BE"),
        (
            "Ingebrekestelling: laatste sommatie tot betaling",
            "Deze brief geldt als ingebrekestelling.",
            "de verwijlintrest en de forfaitaire vergoeding waarin de wet van 2 "
            "augustus 2002 voorziet",
        ),
        ("mise en demeure", "formal notice", "loi du 2 août 2002"),
    ),
    "Walloon consumer": (
        ("BE", False, "fr_BE"),
        (
            "Dernier avis : mise en demeure de payer",
            "La présente vaut mise en demeure (Code de droit économique, livre XIX).",
            "Vous disposez de 14 jours calendrier pour payer sans frais",
        ),
        ("ingebrekestelling", "formal notice", "Book XIX"),
    ),
    "English-speaking Dutch business": (
        ("NL", True, "en_US"),
        (
            "Final notice: formal demand for payment",
            "This letter serves as a formal notice of default (art. 6:82 BW).",
            "the statutory commercial interest (art. 6:119a BW) and the extrajudicial "
            "collection costs",
        ),
        ("ingebrekestelling", "Deze brief", "handelsrente", "incassokosten"),
    ),
    "German consumer": (
        ("DE", False, "de_DE"),
        (
            "Letzte Mahnung: förmliche Zahlungsaufforderung",
            "Dieses Schreiben ist eine Mahnung im Sinne von § 286 BGB.",
            "schulden Sie Verzugszinsen (§ 288 Abs. 1 BGB)",
        ),
        # The flat fee of § 288 Abs. 5 BGB is for businesses only.
        ("Pauschale", "formal demand", "default interest"),
    ),
    "Swedish business": (
        ("SE", True, "sv_SE"),
        (
            "Sista påminnelse: formellt betalningskrav",
            "Detta är en sista påminnelse.",
            "debiteras dröjsmålsränta enligt räntelagen och förseningsersättning, och "
            "ärendet lämnas till inkasso.",
        ),
        ("final reminder", "Interest Act"),
    ),
}


@tagged("post_install", "-at_install")
class TestDunningLegalNoticeTranslations(DunningCase):
    """The final notice letter is in the customer's language throughout: its formal
    notice is the paragraph of the customer's legal profile, translated into that
    language, never the law's own language inside a letter in another one."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        langs = sorted({lang for (_c, _b, lang), *_rest in FINAL_NOTICES.values()})
        langs.remove("en_US")
        for lang in langs:
            cls.env["res.lang"]._activate_lang(lang)
        cls.env["ir.module.module"].search(
            [("name", "=", "dunning_escalation")]
        )._load_module_terms(["dunning_escalation"], langs, overwrite=True)
        cls.policy.legal_profile = "by_customer"
        cls.level_3.send_letter = True

    def test_final_notice_letter_in_the_customers_language(self):
        invoices = {}
        for name, ((country, business, lang), _words, _absent) in FINAL_NOTICES.items():
            customer = self.env["res.partner"].create(
                {
                    "name": name,
                    "email": f"{lang.lower()}@example.com",
                    "street": "Street 1",
                    "zip": "1000",
                    "city": "City",
                    "country_id": self.env.ref(f"base.{country.lower()}").id,
                    "is_company": business,
                    "lang": lang,
                }
            )
            invoices[name] = self._invoice("2026-02-01", 100.0, partner=customer)
        for day in ("2026-02-04", "2026-02-08", "2026-02-15"):
            self._run(day)
        report = self.env.ref("dunning_escalation.action_report_dunning_letter")
        for name, (_customer, words, absent) in FINAL_NOTICES.items():
            with self.subTest(customer=name):
                invoice = invoices[name]
                # The final notice, the level before the handoff, sent as a letter.
                self.assertEqual(invoice.dunning_level_id, self.level_3)
                self.assertTrue(self.level_handoff.handoff)
                self.assertEqual(self._events(invoice, "letter").state, "done")
                with freeze_time("2026-02-15"):
                    html, kind = report._render_qweb_html(
                        report.report_name, invoice.ids
                    )
                self.assertEqual(kind, "html")
                text = " ".join(html.decode().split())
                for word in words:
                    self.assertIn(word, text)
                for word in absent:
                    self.assertNotIn(word, text)
