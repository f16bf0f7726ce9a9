"""Tests of tools/pdf_split.py, loaded from its file path: no Odoo involved. The
page contents and maps below are written as wkhtmltopdf writes them."""

import unittest

from .standalone import load_tool
from .standalone import run_without_odoo

pdf_split = load_tool("pdf_split")

# Codes 1-3 by a range with a start, 4-5 by a range with a list, 6 by a pair.
CMAP = b"""/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
2 beginbfrange
<0001> <0003> <0061>
<0004> <0005> [<0064> <00DF> ]
endbfrange
1 beginbfchar
<0006> <0031>
endbfchar
endcmap
"""


class TestToUnicode(unittest.TestCase):
    def test_ranges_and_pairs(self):
        self.assertEqual(
            pdf_split.parse_to_unicode(CMAP),
            {1: "a", 2: "b", 3: "c", 4: "d", 5: "ß", 6: "1"},
        )

    def test_empty_map(self):
        self.assertEqual(pdf_split.parse_to_unicode(b""), {})


class TestPageText(unittest.TestCase):
    fonts = {"F7": (2, {1: "a", 2: "b", 3: "c"}), "F8": (1, {0x41: "Z"})}

    def test_shown_strings_in_their_fonts(self):
        content = (
            b"q 0 0 m 10 0 l h f Q\n"
            b"BT\n/F7 2 Tf 1 0 0 -1 0 0 Tm\n8 -10 Td <0001> Tj\n"
            b"1.2 0 Td <00020003> Tj\nET\n"
            b"BT\n/F8 12 Tf [<41> -250 <4141>] TJ\nET\n"
        )
        self.assertEqual(pdf_split.page_text(content, self.fonts), "abcZZZ")

    def test_unknown_font_or_code_shows_nothing(self):
        content = b"BT /F9 2 Tf <0001> Tj ET BT /F7 2 Tf <0009> Tj <0001> Tj ET"
        self.assertEqual(pdf_split.page_text(content, self.fonts), "a")

    def test_strings_broken_over_lines_and_odd_digits(self):
        """Whitespace inside a hex string is skipped; a string of an odd number of
        digits reads as if it ended in a 0 (PDF's rule), in a font of one byte
        per code and of two."""
        fonts = {"F8": (1, {0x40: "@", 0x41: "Z"}), "F7": self.fonts["F7"]}
        content = b"BT /F8 2 Tf <4> Tj <41> Tj <4 1\n4> Tj /F7 2 Tf <0 0\n01> Tj ET"
        self.assertEqual(pdf_split.page_text(content, fonts), "@ZZ@a")
        # Two odd strings that together make whole codes are still read apart.
        content = b"BT /F8 2 Tf <4> Tj <414> Tj /F7 2 Tf <000> Tj <0001> Tj ET"
        self.assertEqual(pdf_split.page_text(content, fonts), "@Z@a")

    def test_shapes_only(self):
        self.assertEqual(pdf_split.page_text(b"0 0 m 1 1 l S", self.fonts), "")


class TestDocumentStarts(unittest.TestCase):
    def mark(self, index):
        return pdf_split.mark_text(index)

    def test_documents_of_one_and_several_pages(self):
        pages = [
            self.mark(0) + "Dear A",
            "page two of A",
            self.mark(1) + "Dear B",
            self.mark(2) + "Dear C",
            "C goes on",
            "and on",
        ]
        self.assertEqual(pdf_split.document_starts(pages, 3), [0, 2, 3])

    def test_a_mark_broken_by_spaces_is_found(self):
        pages = ["dunning document0 end", "dunningdocu\tment1en d"]
        self.assertEqual(pdf_split.document_starts(pages, 2), [0, 1])

    def test_refuses_what_it_cannot_split_for_sure(self):
        cases = {
            "a mark missing": ([self.mark(0), "no mark"], 2),
            "a mark too many": ([self.mark(0), self.mark(1)], 1),
            "a mark twice": ([self.mark(0), self.mark(0)], 1),
            "out of order": ([self.mark(1), self.mark(0)], 2),
            "first not on the first page": (["cover", self.mark(0)], 1),
            "two documents on one page": ([self.mark(0) + self.mark(1)], 2),
        }
        for name, (pages, count) in cases.items():
            with self.subTest(name), self.assertRaises(ValueError):
                pdf_split.document_starts(pages, count)


class TestStandalone(unittest.TestCase):
    def test_loads_without_odoo(self):
        done = run_without_odoo("pdf_split", "m.mark_text(3)")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout.strip(), "dunningdocument3end")
