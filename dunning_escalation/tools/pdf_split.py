"""Where each document starts in a PDF of several. The addon's batched PDFs put a
mark on the first page of each document (tiny, white, in a font of the system:
real text, where wkhtmltopdf draws web fonts as shapes); the split reads the text
each page draws and finds the marks in it.

The text is read straight from the page's drawing operators and its fonts'
ToUnicode maps, as wkhtmltopdf writes them (hex strings shown with Tj or TJ): a
general PDF text extractor takes some 20 ms a page, this one well under 1. No Odoo
import: the model hands over each page's content and its fonts' maps."""

import re

_MARK = re.compile(r"dunningdocument(\d+)end")
_SPACE = re.compile(r"\s+")
_HEX_SPACE = re.compile(rb"\s+")

# A font chosen (/F7 12 Tf); a string shown in it: <hex> Tj, [<hex> -250 <hex>] TJ.
_FONT = re.compile(rb"/([^\s/\[\]<>()]+)\s+[-+\d.]+\s+Tf")
_HEX = re.compile(rb"<([0-9A-Fa-f\s]*)>")

# ToUnicode: <code> <unicode> pairs, <first> <last> <unicode> and
# <first> <last> [<unicode> ...] ranges.
_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
_RANGE = re.compile(rb"<(\w+)>\s*<(\w+)>\s*(?:<(\w+)>|\[([^\]]*)\])")
_PAIR = re.compile(rb"<(\w+)>\s*<(\w+)>")


def mark_text(index):
    """The mark of the document at ``index`` (from 0) of a batch."""
    return f"dunningdocument{index}end"


class FontCodes(dict):
    """A font's {character code: text}, usable as a ``str.translate`` table: a
    code the font does not map shows nothing."""

    def __missing__(self, code):
        return ""


def _unicode(hex_text):
    return bytes.fromhex(hex_text.decode()).decode("utf-16-be", "replace")


def parse_to_unicode(cmap):
    """{character code: text} of a font's ToUnicode map (bytes), as FontCodes."""
    codes = FontCodes()
    for block in _BFCHAR.findall(cmap):
        for code, text in _PAIR.findall(block):
            codes[int(code, 16)] = _unicode(text)
    for block in _BFRANGE.findall(cmap):
        for first, last, start, texts in _RANGE.findall(block):
            first, last = int(first, 16), int(last, 16)
            if start:
                base = int(start, 16)
                for offset in range(last - first + 1):
                    codes[first + offset] = chr(base + offset)
            else:
                for offset, text in enumerate(re.findall(rb"<(\w+)>", texts)):
                    codes[first + offset] = _unicode(text)
    return codes


def page_text(content, fonts):
    """The text a page's ``content`` (its decoded drawing operators) shows in
    hex strings; ``fonts`` is {resource name: (bytes per code, ToUnicode map)}.
    Read a font at a time: the hex strings between a font's choice and the next
    choice are read and mapped together (a page holds thousands of strings, a
    word or a glyph each, and some hundred font choices); any hex string there
    counts, wkhtmltopdf writing no other."""
    tables = {
        name: (width, codes if isinstance(codes, FontCodes) else FontCodes(codes))
        for name, (width, codes) in fonts.items()
    }
    parts = []
    choices = list(_FONT.finditer(content))
    for number, choice in enumerate(choices):
        following = choices[number + 1 : number + 2]
        end = following[0].start() if following else len(content)
        width, codes = tables.get(choice.group(1).decode("latin-1"), (1, FontCodes()))
        shown = _HEX.findall(content, choice.end(), end)
        joined = b"".join(shown)
        # Read together when every string is whole codes without whitespace, as
        # wkhtmltopdf writes them; else string by string, a string with an odd
        # number of digits read as if it ended in a 0 (the PDF's rule).
        if _HEX_SPACE.search(joined) or any(len(t) % (2 * width) for t in shown):
            for text in shown:
                digits = _HEX_SPACE.sub(b"", text)
                digits += b"0" * (len(digits) % 2)
                parts.append(_codes_text(bytes.fromhex(digits.decode()), width, codes))
        else:
            parts.append(_codes_text(bytes.fromhex(joined.decode()), width, codes))
    return "".join(parts)


def _codes_text(data, width, codes):
    """The text of the character codes ``data`` of ``width`` bytes each."""
    if width == 1:
        return data.decode("latin-1").translate(codes)
    if width == 2 and len(data) % 2 == 0:
        chars = data.decode("utf-16-be", "surrogatepass")
        if len(chars) == len(data) // 2:  # no two codes read as one character
            return chars.translate(codes)
    return "".join(
        codes.get(int.from_bytes(data[i : i + width], "big"), "")
        for i in range(0, len(data), width)
    )


def document_starts(page_texts, count):
    """The page (from 0) each of the ``count`` documents starts on, in order,
    from the text of each page. Raises ValueError unless every document's mark is
    found once, in order, the first on the first page."""
    starts = {}
    for number, text in enumerate(page_texts):
        # A PDF's text may break a word anywhere: the marks are read without spaces.
        for found in _MARK.findall(_SPACE.sub("", text or "")):
            index = int(found)
            if index in starts:
                raise ValueError(f"document {index} is marked twice")
            starts[index] = number
    pages = [starts.get(index) for index in range(count)]
    if None in pages or len(starts) != count:
        raise ValueError(f"{len(starts)} document marks found for {count} documents")
    if pages[0] != 0 or pages != sorted(pages) or len(set(pages)) != count:
        raise ValueError(f"the documents' marks are out of order: {pages}")
    return pages
