"""Shared reportlab pieces for the certification body's PDFs: plan, quote, report, NCR, certificate.

Every document has the body's name in the header and "Page x of y" in the footer. The built-in
Helvetica is used: it covers Swedish (å ä ö) and needs no font files. User text must go through
`para()` (or `escape()`), because a Paragraph reads its text as markup.

A report runs to hundreds of pages of tables, so the pieces here avoid reportlab's costly paths
where the page comes out the same: plain text skips the markup parser (`paragraph`), a Paragraph
breaks its lines once per width (`_Paragraph`), and a table cell of one short line is a string the
Table draws itself rather than a Paragraph (`_cell`). tests/test_report_speed.py holds them to that.
"""

import io
import weakref
from collections.abc import Sequence
from functools import cache, lru_cache
from xml.sax.saxutils import escape as _xml_escape

from django.conf import settings
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle
from reportlab.platypus.paragraph import cleanBlockQuotedText, textTransformFrags
from reportlab.platypus.paraparser import ParaFrag, ParaParser

PAGE_SIZE = A4
MARGIN = 18 * mm
CONTENT_WIDTH = PAGE_SIZE[0] - 2 * MARGIN
FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"
LINE = colors.HexColor("#b1b4b6")
SHADE = colors.HexColor("#f3f2f1")
INK = colors.HexColor("#0b0c0c")
MUTED = colors.HexColor("#505a5f")


@cache
def styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()["Normal"]
    body = ParagraphStyle("body", parent=base, fontName=FONT, fontSize=10, leading=13.5, textColor=INK)
    return {
        "title": ParagraphStyle(
            "title", parent=body, fontName=FONT_BOLD, fontSize=18, leading=22, spaceAfter=4
        ),
        "subtitle": ParagraphStyle(
            "subtitle", parent=body, fontSize=11, leading=14, textColor=MUTED, spaceAfter=10
        ),
        "h2": ParagraphStyle(
            "h2", parent=body, fontName=FONT_BOLD, fontSize=13, leading=16, spaceBefore=12, spaceAfter=5
        ),
        "h3": ParagraphStyle(
            "h3", parent=body, fontName=FONT_BOLD, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4
        ),
        "body": ParagraphStyle("body-spaced", parent=body, spaceAfter=5),
        "bullet": ParagraphStyle("bullet", parent=body, leftIndent=10, bulletIndent=0, spaceAfter=2),
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9, leading=11.5),
        "cell-bold": ParagraphStyle("cell-bold", parent=body, fontName=FONT_BOLD, fontSize=9, leading=11.5),
        "cell-right": ParagraphStyle("cell-right", parent=body, fontSize=9, leading=11.5, alignment=2),
    }


def escape(text) -> str:
    """User text made safe for a Paragraph; line breaks kept."""
    return _xml_escape(str(text)).replace("\n", "<br/>")


class _Paragraph(Paragraph):
    """A Paragraph that breaks its lines once per width.

    A Table wraps every cell to size its rows and again to draw it, and KeepTogether wraps its
    content once more: the same lines at the same width, recomputed each time. A long report
    spends a good part of its layout there, so the last wrap is kept and reused while the width
    and the lines (which `split` may drop) are unchanged.
    """

    def wrap(self, availWidth, availHeight):  # reportlab's names
        memo = self.__dict__.get("_wrapped")
        if memo is not None and memo[0] == availWidth and memo[1] is self.__dict__.get("blPara"):
            self.width, self.height = availWidth, memo[2]
            return availWidth, memo[2]
        size = super().wrap(availWidth, availHeight)
        if "blPara" in self.__dict__:
            self._wrapped = (availWidth, self.blPara, self.height)
        return size


_plain_frags: "weakref.WeakKeyDictionary[ParagraphStyle, ParaFrag]" = weakref.WeakKeyDictionary()


def _plain_frag(style: ParagraphStyle) -> ParaFrag:
    """The fragment reportlab's markup parser makes of a text without markup in this style."""
    frag = _plain_frags.get(style)
    if frag is None:
        _style, (frag,), _bullet = ParaParser().parse("x", style)
        _plain_frags[style] = frag
    return frag


def paragraph(markup: str, style: ParagraphStyle, bulletText: str | None = None) -> Paragraph:
    """Paragraph(markup, style), without running the markup parser over text that has no markup.

    Most cells of a long report are plain words: the parser would make the one fragment that is
    built here (the same attributes, the same cleaned text), at a fraction of the cost.
    """
    text = cleanBlockQuotedText(markup)
    if not text or "<" in text or "&" in text:
        return _Paragraph(markup, style, bulletText=bulletText)
    template = _plain_frag(style)
    # Lists (links, underlines) are the fragment's own, as the parser's are.
    fresh = {key: list(value) for key, value in template.__dict__.items() if isinstance(value, list)}
    frags = [template.clone(text=text, **fresh)]
    textTransformFrags(frags, style)
    return _Paragraph(text, style, bulletText=bulletText, frags=frags)


def para(text, style: str = "body") -> Paragraph:
    return paragraph(escape(text), styles()[style])


def bullets(lines: Sequence[str], style: str = "bullet") -> list[Paragraph]:
    return [paragraph(escape(line), styles()[style], bulletText="•") for line in lines]


def summary_table(rows: Sequence[tuple[str, object]], *, key_width: float = 45 * mm) -> Table:
    """Key/value rows, like the summary list on the pages. Values may be text or flowables."""
    # No left padding, reportlab's default 6 pt on the right.
    widths = [key_width - 6, CONTENT_WIDTH - key_width - 6]
    data = [[_cell(key, "cell-bold", width=widths[0]), _cell(value, width=widths[1])] for key, value in rows]
    table = Table(data, colWidths=[key_width, CONTENT_WIDTH - key_width], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, LINE),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                *_text_commands((0, 0), (0, -1), "cell-bold"),
                *_text_commands((1, 0), (1, -1), "cell"),
            ]
        )
    )
    return table


def data_table(
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    widths: Sequence[float],
    numeric_columns: Sequence[int] = (),
    total_row: bool = False,
) -> Table:
    """A table whose header row repeats on every page it runs over.

    `widths` are fractions of the content width. Numeric columns are right-aligned; with
    `total_row` the last row is set in bold above a rule.
    """
    right = set(numeric_columns)
    # reportlab's default padding, 6 pt on either side.
    text_widths = [CONTENT_WIDTH * width - 12 for width in widths]

    def cells(row, *, bold=False):
        return [
            _cell(
                value,
                "cell-right" if index in right else ("cell-bold" if bold else "cell"),
                bold=bold,
                width=text_widths[index],
            )
            for index, value in enumerate(row)
        ]

    data = [cells(header, bold=True)] + [
        cells(row, bold=total_row and index == len(rows) - 1) for index, row in enumerate(rows)
    ]
    table = Table(data, colWidths=[CONTENT_WIDTH * width for width in widths], repeatRows=1, hAlign="LEFT")
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, LINE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        *_text_commands((0, 1), (-1, -1), "cell"),
        *_text_commands((0, 0), (-1, 0), "cell-bold"),
    ]
    if total_row and rows:
        commands.append(("LINEABOVE", (0, -1), (-1, -1), 1, INK))
        commands += _text_commands((0, -1), (-1, -1), "cell-bold")
    table.setStyle(TableStyle(commands))
    return table


# Cells a Table may draw as plain strings, in the font, colour and leading of these styles.
_TEXT_CELL_STYLES = ("cell", "cell-bold")


def _text_commands(start: tuple[int, int], stop: tuple[int, int], style: str) -> list[tuple]:
    """Table style commands that set plain-string cells as a Paragraph in `style` would be set."""
    paragraph_style = styles()[style]
    return [
        (
            "FONT",
            start,
            stop,
            paragraph_style.fontName,
            paragraph_style.fontSize,
            paragraph_style.leading,
        ),
        ("TEXTCOLOR", start, stop, paragraph_style.textColor),
    ]


def _cell(value, style: str = "cell", *, bold: bool = False, width: float | None = None):
    """A table cell: flowables as they are, text as a Paragraph or, where it looks the same, a string.

    A Paragraph per cell is most of the cost of a long table (parsing, breaking lines, drawing in
    its own graphics state). Text that fits on one line needs none of it: the Table draws a string
    at the same baseline (top padding + font size), in the font the table's commands give the
    column (`_text_commands`), and the row is as high (one leading). Anything else, text that could
    wrap or that a Paragraph would change (runs of spaces, tabs, soft hyphens), stays a Paragraph.
    """
    if isinstance(value, Flowable | list):
        return value
    if bold and style == "cell-right":
        return paragraph(f"<b>{escape(value)}</b>", styles()[style])
    text = "" if value is None else str(value)
    if width is not None and style in _TEXT_CELL_STYLES:
        font = styles()[style]
        if _fits_one_line(text, font.fontName, font.fontSize, width):
            return text
    return para(text, style)


def _fits_one_line(text: str, font_name: str, font_size: float, width: float) -> bool:
    return (
        0 < len(text) <= 200  # longer never fits a table column (and is not worth measuring)
        and text.isprintable()  # no line breaks, tabs, non-breaking spaces or soft hyphens
        and "  " not in text
        and text[0] != " "
        and text[-1] != " "
        # A point to spare, so that rounding never decides between one line and two.
        and _text_width(text, font_name, font_size) <= width - 1
    )


@lru_cache(maxsize=2048)  # the same labels and grades, row after row
def _text_width(text: str, font_name: str, font_size: float) -> float:
    return stringWidth(text, font_name, font_size)


def _numbered_canvas(*, header: str, title: str):
    """A canvas class that writes every page at the end, so the footer can say "of y"."""

    class NumberedCanvas(pdf_canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):  # reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(len(self._pages))
                super().showPage()
            super().save()

        def _decorate(self, pages: int):
            width, height = PAGE_SIZE
            self.saveState()
            self.setFont(FONT_BOLD, 9)
            self.setFillColor(INK)
            self.drawString(MARGIN, height - 12 * mm, header)
            self.setFont(FONT, 9)
            self.setFillColor(MUTED)
            self.drawRightString(width - MARGIN, height - 12 * mm, title)
            self.setStrokeColor(LINE)
            self.line(MARGIN, height - 14 * mm, width - MARGIN, height - 14 * mm)
            self.line(MARGIN, 13 * mm, width - MARGIN, 13 * mm)
            self.drawString(MARGIN, 9 * mm, settings.CERTIFICATION_BODY_ADDRESS)
            self.drawRightString(
                width - MARGIN,
                9 * mm,
                _("Page %(page)s of %(pages)s") % {"page": self._pageNumber, "pages": pages},
            )
            self.restoreState()

    return NumberedCanvas


def build_pdf(story: list, *, title: str, subject: str = "") -> bytes:
    """Lay out the flowables on A4 pages with the shared header and footer; return the PDF bytes."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=PAGE_SIZE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 4 * mm,
        bottomMargin=MARGIN,
        title=title,
        subject=subject,
        author=settings.CERTIFICATION_BODY_NAME,
        creator="Certdesk",
    )
    document.build(story, canvasmaker=_numbered_canvas(header=settings.CERTIFICATION_BODY_NAME, title=title))
    return buffer.getvalue()
