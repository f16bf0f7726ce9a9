"""Tests of tools/replies.py, loaded from its file path: no Odoo involved. Replies
as customers write them, in each language read, received on Monday 16 March 2026."""

import datetime
import unittest

from .standalone import load_tool
from .standalone import run_without_odoo

replies = load_tool("replies")
D = datetime.date
MONDAY = D(2026, 3, 16)


def read(body, subject="Re: Reminder INV/2026/00042", headers=None):
    return replies.read_reply(subject, body, headers or {}, MONDAY)


class TestKinds(unittest.TestCase):
    def assertReads(self, body, kind, date=None, **kwargs):
        reading = read(body, **kwargs)
        self.assertEqual((reading.kind, reading.date), (kind, date), reading)
        return reading

    def test_english(self):
        self.assertReads(
            "We will pay the invoice on 20 March.", "promise", D(2026, 3, 20)
        )
        self.assertReads("Paid yesterday, see the proof of payment attached.", "paid")
        self.assertReads("We dispute line 3: the goods arrived damaged.", "dispute")
        self.assertReads("Can you send us a copy of the invoice?", "question")
        self.assertReads("Thank you.", "unclear")

    def test_dutch(self):
        self.assertReads("Wij zullen volgende week betalen.", "promise", D(2026, 3, 23))
        self.assertReads(
            "We betalen de factuur op 20 maart.", "promise", D(2026, 3, 20)
        )
        self.assertReads("De factuur is al betaald.", "paid")
        self.assertReads(
            "Wij betwisten deze factuur, de levering was beschadigd.", "dispute"
        )
        self.assertReads("Graag een kopie van de factuur.", "question")

    def test_french(self):
        self.assertReads(
            "Nous paierons la facture le 30 mars.", "promise", D(2026, 3, 30)
        )
        self.assertReads("La facture a déjà été payée le 12 mars.", "paid")
        self.assertReads("Nous contestons cette facture.", "dispute")
        self.assertReads("Pouvez-vous nous envoyer le détail ?", "question")

    def test_german(self):
        self.assertReads(
            "Wir werden die Rechnung bis 31.03.2026 überweisen.",
            "promise",
            D(2026, 3, 31),
        )
        self.assertReads("Die Rechnung wurde bereits bezahlt.", "paid")
        self.assertReads(
            "Die Rechnung ist falsch, wir haben nichts bestellt.", "dispute"
        )
        self.assertReads("Bitte senden Sie uns die Rechnung erneut.", "question")

    def test_swedish(self):
        self.assertReads(
            "Vi kommer att betala fakturan den 27 mars.", "promise", D(2026, 3, 27)
        )
        self.assertReads("Fakturan är redan betald.", "paid")
        self.assertReads("Vi bestrider fakturan.", "dispute")
        self.assertReads("Kan ni skicka en kopia?", "question")

    def test_promise_without_a_date(self):
        self.assertReads("We will transfer the amount as soon as possible.", "promise")

    def test_paid_or_disputed_outweighs_a_promise(self):
        """A promise that waits for a credit note is a dispute; a reply that says
        it paid is not a promise, whatever else it says."""
        self.assertReads("We will pay once you send the credit note.", "dispute")
        self.assertReads("We have already paid; we will pay nothing more.", "paid")

    def test_not_paid_yet_is_not_paid(self):
        """A payment denied or waited for is no answer that it is paid."""
        self.assertReads(
            "The invoice has not been paid because the goods were damaged.",
            "dispute",
        )
        self.assertReads("Die Rechnung ist nicht bezahlt.", "unclear")
        self.assertReads(
            "De factuur is nog niet betaald, wij betalen op vrijdag.",
            "promise",
            D(2026, 3, 20),
        )
        self.assertReads(
            "Vi har inte betalat än, vi betalar nästa vecka.", "promise", D(2026, 3, 23)
        )
        self.assertReads("I will pay when we have been paid by our client.", "promise")
        self.assertReads(
            "Het bedrag wordt vrijdag overgemaakt.", "promise", D(2026, 3, 20)
        )
        self.assertReads("Het bedrag is gisteren overgemaakt.", "paid")

    def test_avoir_is_a_credit_note_only_with_its_article(self):
        self.assertReads(
            "Nous allons avoir les fonds vendredi et nous paierons.",
            "promise",
            D(2026, 3, 20),
        )
        self.assertReads("Nous attendons votre avoir pour la ligne 3.", "dispute")

    def test_the_quoted_reminder_is_not_read(self):
        """Only the customer's own words count: the quoted reminder below them
        asks to pay and names dates."""
        body = (
            "Noted, thanks.\n\n"
            "On Mon, 16 Mar 2026 at 09:00, Accounts <ar@company.example> wrote:\n"
            "> Could you pay the overdue amount? We will charge interest from "
            "20 March.\n"
        )
        self.assertReads(body, "unclear")
        outlook = "Okay.\n\nFrom: Accounts\nSent: Monday\n> will you pay?"
        self.assertReads(outlook, "unclear")


class TestAutomatic(unittest.TestCase):
    def test_by_headers(self):
        for headers, why in (
            ({"Auto-Submitted": "auto-replied"}, "Auto-Submitted: auto-replied"),
            ({"x-autoreply": "yes"}, "x-autoreply: yes"),
            ({"Precedence": "auto_reply"}, "Precedence: auto_reply"),
            (
                {
                    "Content-Type": "multipart/report; "
                    "report-type=disposition-notification; boundary=x"
                },
                "Content-Type: multipart/report report",
            ),
        ):
            reading = read("We will pay tomorrow.", headers=headers)
            self.assertEqual((reading.kind, reading.cue), ("auto_reply", why))

    def test_not_automatic(self):
        reading = read("We will pay tomorrow.", headers={"Auto-Submitted": "no"})
        self.assertEqual((reading.kind, reading.date), ("promise", D(2026, 3, 17)))
        # Through a mailing list (a shared accounts-payable address): a person.
        reading = read("We will pay tomorrow.", headers={"Precedence": "list"})
        self.assertEqual((reading.kind, reading.date), ("promise", D(2026, 3, 17)))

    def test_named_date_whatever_the_reading(self):
        self.assertEqual(
            replies.named_date(
                "Re: Reminder", "Line 3 is wrong; we can pay on 20 March.", MONDAY
            ),
            D(2026, 3, 20),
        )

    def test_by_subject_in_each_language(self):
        for subject in (
            "Out of Office: Reminder",
            "Automatisch antwoord: Herinnering",
            "Réponse automatique : Rappel",
            "Abwesenheitsnotiz: Zahlungserinnerung",
            "Automatiskt svar: Påminnelse",
            "Undeliverable: Reminder",
            "Read: Reminder",
        ):
            self.assertEqual(
                read("I am away until 30 March.", subject=subject).kind,
                "auto_reply",
                subject,
            )


class TestDates(unittest.TestCase):
    def test_forms(self):
        for text, expected in (
            ("by Friday", D(2026, 3, 20)),
            ("on Monday", D(2026, 3, 23)),  # the next Monday, not today
            ("tomorrow", D(2026, 3, 17)),
            ("20/03", D(2026, 3, 20)),
            ("20.03.26", D(2026, 3, 20)),
            ("on 2026-04-01", D(2026, 4, 1)),
            ("March 20th, 2026", D(2026, 3, 20)),
            ("5 January", D(2027, 1, 5)),  # no year: the next 5 January
            ("am 3. April", D(2026, 4, 3)),
            ("le 1er avril", D(2026, 4, 1)),
        ):
            self.assertEqual(replies.find_date(text, MONDAY), expected, text)

    def test_none_or_impossible(self):
        self.assertIsNone(replies.find_date("as soon as possible", MONDAY))
        self.assertIsNone(replies.find_date("31/02", MONDAY))
        self.assertIsNone(replies.find_date("invoice 1.250,00 EUR", MONDAY))

    def test_the_first_date_named(self):
        self.assertEqual(
            replies.find_date("half on 20 March, the rest on 10 April", MONDAY),
            D(2026, 3, 20),
        )


class TestStandalone(unittest.TestCase):
    def test_loads_without_odoo(self):
        done = run_without_odoo(
            "replies", "m.read_reply('', 'We have paid.', {}, None).kind"
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout.strip(), "paid")
