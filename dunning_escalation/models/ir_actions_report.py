"""The addon's PDFs (letters, case files, statements) in batches: many documents of
one report in one wkhtmltopdf run, split back into one PDF per document, with the
report's styles written into the page, so that they render the same wherever the
job runs, with or without an HTTP server to fetch them from.

A wkhtmltopdf run costs a second before it renders anything: the time Odoo lets
a page's scripts run (``report.print_delay``). The joined page has no script, so
it is printed as soon as it is laid out (a hundred letters in 0.6 s instead of
1.6 s). Odoo's own
multi-document rendering needs a wkhtmltopdf built with its patched Qt (the others
refuse several documents, and make no outlines to split them by); this one puts
the documents one after the other, each on a new page, in a single HTML page,
which every build renders, and finds where each one starts by the mark written on
its first page (see tools/pdf_split.py)."""

import io
import logging
import re

from lxml import etree
from lxml import html

from odoo import models
from odoo.tools import split_every
from odoo.tools.pdf import PdfFileReader
from odoo.tools.pdf import PdfFileWriter

from ..tools import pdf_split

_logger = logging.getLogger(__name__)

# Documents per wkhtmltopdf run: its start-up is paid once for them, and a failing
# document costs the batch a second rendering one by one.
PDF_BATCH_SIZE = 100


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _render_qweb_pdf(self, report_ref, res_ids=None, data=None):
        """A record's PDF rendered beforehand with the others of its batch (see
        mail.template._generate_template_attachments), when there is one."""
        rendered = self.env.context.get("dunning_rendered_pdfs")
        if rendered and res_ids and len(res_ids) == 1 and not data:
            report = self._get_report(report_ref)
            content, _error = rendered.get(report.id, {}).get(res_ids[0], (0, 0))
            if content:
                return content, "pdf"
        return super()._render_qweb_pdf(report_ref, res_ids=res_ids, data=data)

    def _build_wkhtmltopdf_args(
        self,
        paperformat_id,
        landscape,
        specific_paperformat_args=None,
        set_viewport_size=False,
    ):
        """No time left to a page's scripts when the page has none."""
        args = super()._build_wkhtmltopdf_args(
            paperformat_id, landscape, specific_paperformat_args, set_viewport_size
        )
        if self.env.context.get("dunning_page_without_scripts"):
            for index, arg in enumerate(args[:-1]):
                if arg == "--javascript-delay":
                    args[index + 1] = "0"
        return args

    def _dunning_render_pdfs(self, res_ids):
        """Render this report for each record of ``res_ids``, in batches:
        {res_id: (PDF content, False)}, or (False, why) for a document that could
        not be made. A batch that fails is rendered again one document at a time,
        so that one broken document spoils no other. The documents are rendered
        as the environment's user, as Odoo renders a report."""
        self.ensure_one()
        report = self.with_context(force_report_rendering=True, debug=False)
        pdfs = {}
        for batch in split_every(PDF_BATCH_SIZE, list(res_ids)):
            try:
                with self.env.cr.savepoint():
                    pdfs.update(
                        zip(batch, report._dunning_render_together(batch), strict=True)
                    )
                continue
            except Exception as error:  # each document again on its own
                if len(batch) == 1:
                    pdfs[batch[0]] = (False, str(error))
                    continue
                _logger.info("dunning: %s rendered one by one: %s", self.name, error)
            for res_id in batch:
                try:
                    with self.env.cr.savepoint():
                        pdfs[res_id] = report._dunning_render_together([res_id])[0]
                except Exception as error:  # recorded by the caller
                    pdfs[res_id] = (False, str(error))
        return pdfs

    def _dunning_render_together(self, res_ids):
        """The PDFs of ``res_ids`` from one wkhtmltopdf run, in their order, each as
        (content, False)."""
        page = self._render_qweb_html(self.report_name, res_ids)[0]
        bodies, html_ids, header, footer, paper_args = self._prepare_html(
            page, report_model=self.model
        )
        if html_ids != list(res_ids):
            raise ValueError(
                self.env._(
                    "Report %s makes no separate document per record.", self.name
                )
            )
        joined = self._dunning_join_bodies(bodies)
        content = self.with_context(
            dunning_page_without_scripts="<script" not in joined.lower()
        )._run_wkhtmltopdf(
            [joined],
            report_ref=self.report_name,
            header=header,
            footer=footer,
            specific_paperformat_args=paper_args,
        )
        return [(part, False) for part in split_pdf(content, len(res_ids))]

    def _dunning_join_bodies(self, bodies):
        """One HTML page of the documents of ``bodies`` (each a whole page as
        Odoo's minimal layout makes it), each starting on a new page with its mark,
        and the stylesheets of the first written into its head."""
        pages = [html.document_fromstring(body) for body in bodies]
        document = pages[0]
        target = document.body
        for index, page in enumerate(pages):
            # Each document keeps its language's direction (an Arabic letter in a
            # batch of English ones reads right to left).
            attributes = {"dir": page.body.get("dir") or "ltr"}
            if index:
                attributes["style"] = "page-break-before: always;"
            container = etree.Element("div", attributes)
            container.append(_mark(index))
            container.extend(page.body)
            target.append(container)
        self._dunning_inline_styles(document)
        return html.tostring(document, encoding="unicode", doctype="<!DOCTYPE html>")

    def _dunning_inline_styles(self, document):
        """Replace the head's links to the report's asset bundles with their CSS,
        read from the database: wkhtmltopdf would fetch them from the server's base
        URL, where no server may be listening (a job-only server, the demo's set-up
        from the command line), and print the document without its styles."""
        for link in document.xpath("//head/link[@rel='stylesheet']"):
            match = ASSET_URL.search(link.get("href", ""))
            if not match:
                continue
            style = etree.Element("style")
            style.text = _bundle_css(self.env, match["path"])
            link.addprevious(style)
            link.getparent().remove(link)


# /web/assets/<unique>/<bundle>(.rtl).min.css, with or without the base URL.
ASSET_URL = re.compile(r"(?P<path>/web/assets/[^?#]+\.css)")

# The CSS of the bundles by (database, path): a path names its bundle's version,
# so a change of the bundle's files makes another path and another entry.
_CSS = {}


def _bundle_css(env, path):
    """The CSS of the asset bundle whose link is ``path`` (the stored file of that
    version, or the bundle built again from its files), without its web fonts."""
    key = (env.cr.dbname, path)
    if key not in _CSS:
        attachment = env["ir.attachment"].sudo().search([("url", "=", path)], limit=1)
        if not attachment:
            # <bundle>[.rtl][.autoprefixed].min.css
            parts = path.rsplit("/", 1)[-1].removesuffix(".min.css").split(".")
            flags = set(parts[-2:]) & {"rtl", "autoprefixed"}
            name = ".".join(parts[: len(parts) - len(flags)])
            bundle = env["ir.qweb"]._get_asset_bundle(
                name,
                css=True,
                js=False,
                rtl="rtl" in flags,
                autoprefix="autoprefixed" in flags,
            )
            attachment = bundle.css()
        if len(_CSS) > 64:
            _CSS.clear()
        _CSS[key] = _without_web_fonts(attachment.raw.decode() if attachment else "")
    return _CSS[key]


# An @font-face rule of the styles.
_FONT_FACE = re.compile(r"@font-face\s*{[^}]*}")


def _without_web_fonts(css):
    """``css`` without its web fonts: wkhtmltopdf draws the text of a web font as
    shapes (a page weighs some 300 kB instead of 20, and its text can be neither
    searched nor copied), and loads them from the server. The text takes the
    first system font installed of the stack static/src/scss/dunning_report.scss
    names, embedded as a font."""
    return _FONT_FACE.sub("", css)


def _mark(index):
    """The mark of a batch's document ``index``: white, tiny, taking no room in its
    layout, in a font of the system (wkhtmltopdf draws the web fonts of the styles
    as shapes, without their text)."""
    mark = etree.Element(
        "div",
        {
            "class": "o_dunning_document_mark",
            "style": "height: 0; overflow: visible; color: #fff; font-size: 2px;"
            " line-height: 0; font-family: monospace;",
        },
    )
    mark.text = pdf_split.mark_text(index)
    return mark


def split_pdf(content, count):
    """Split ``content`` into the ``count`` documents it holds, found by the marks
    on their first pages."""
    reader = PdfFileReader(io.BytesIO(content))
    fonts = {}
    starts = pdf_split.document_starts(
        [_page_text(page, fonts) for page in reader.pages], count
    )
    parts = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(reader.pages)
        writer = PdfFileWriter()
        for number in range(start, end):
            writer.add_page(reader.pages[number])
        stream = io.BytesIO()
        writer.write(stream)
        parts.append(stream.getvalue())
    return parts


def _page_text(page, fonts):
    """The text ``page`` shows; ``fonts`` caches its fonts' maps by object."""
    resources = page.get("/Resources")
    # (PDF objects are dictionaries: an empty one is false; None is absent.)
    font_dict = resources.get_object().get("/Font") if resources is not None else None
    page_fonts = {}
    for name, reference in (
        font_dict.get_object() if font_dict is not None else {}
    ).items():
        key = getattr(reference, "idnum", None) or id(reference)
        if key not in fonts:
            font = reference.get_object()
            to_unicode = font.get("/ToUnicode")
            fonts[key] = (
                2 if font.get("/Subtype") == "/Type0" else 1,
                pdf_split.parse_to_unicode(to_unicode.get_object().get_data())
                if to_unicode is not None
                else {},
            )
        page_fonts[name.lstrip("/")] = fonts[key]
    contents = page.get_contents()
    return pdf_split.page_text(
        contents.get_data() if contents is not None else b"", page_fonts
    )
