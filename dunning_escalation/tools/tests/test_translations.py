"""The shipped translations against the template of scripts/i18n: complete, and every
placeholder, QWeb directive and markup tag of a term kept in its translation, so that
no customer ever gets a reminder with a broken amount or a missing invoice table."""

import pathlib
import re
import unittest
from collections import Counter

import polib

I18N = pathlib.Path(__file__).resolve().parents[2] / "i18n"
LANGUAGES = ("nl", "fr", "de", "sv")

# What must come through a translation unchanged, each counted: Python format
# fields, inline template expressions, QWeb attributes with their code, and tags.
KEPT = re.compile(
    r"%\([a-z_]+\)[sdf]|%[sdf]"
    r"|\{\{.*?\}\}"
    r"|\bt-[a-z-]+=\"[^\"]*\""
    r"|</?[a-zA-Z][a-zA-Z0-9]*",
    re.DOTALL,
)


def kept(text):
    return Counter(KEPT.findall(text))


def translation(lang):
    path = I18N / f"{lang}.po"
    if not path.exists():
        raise AssertionError(f"{path.name} is missing: run scripts/i18n and translate")
    return polib.pofile(str(path))


class TestTranslations(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template = polib.pofile(str(I18N / "dunning_escalation.pot"))

    def test_template_has_the_terms_of_every_layer(self):
        # Fields, views, code, mail templates and reports all reach the template.
        sources = set()
        for entry in self.template:
            for occurrence, _line in entry.occurrences:
                kind, _sep, where = occurrence.partition(":")
                sources.add("code" if kind == "code" else where.split(",")[0])
        for source in ("ir.model.fields", "ir.ui.view", "mail.template", "code"):
            self.assertIn(source, sources)
        self.assertGreater(len(self.template), 300)

    def test_every_language_is_complete(self):
        wanted = {entry.msgid for entry in self.template}
        for lang in LANGUAGES:
            with self.subTest(lang=lang):
                po = translation(lang)
                done = {
                    entry.msgid
                    for entry in po
                    if entry.msgstr.strip() and "fuzzy" not in entry.flags
                }
                missing = sorted(wanted - done)
                self.assertEqual(missing, [], f"{lang}.po lacks {len(missing)} terms")
                self.assertEqual(po.metadata.get("Language"), lang)

    def test_translations_keep_placeholders_and_markup(self):
        for lang in LANGUAGES:
            try:
                po = translation(lang)
            except AssertionError:
                continue  # reported by the completeness test
            for entry in po:
                if not entry.msgstr:
                    continue
                with self.subTest(lang=lang, msgid=entry.msgid[:60]):
                    self.assertEqual(kept(entry.msgstr), kept(entry.msgid))

    def test_kept_finds_what_a_careless_translation_breaks(self):
        source = 'Dear <t t-out="object.name">X</t>, %(amount)s due {{ object.name }}'
        self.assertNotEqual(kept(source), kept("Beste X, %(bedrag)s"))
        self.assertEqual(
            kept(source),
            kept('Beste <t t-out="object.name">X</t>, {{ object.name }} %(amount)s'),
        )
