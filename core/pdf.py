"""Shared reportlab pieces for the certification body's PDFs: plan, quote, report, NCR, certificate.

Every document has the body's name in the header and "Page x of y" in the footer. The text is set
in DejaVu Sans Condensed, shipped in core/fonts/ with its licence and embedded (the letters used)
in every PDF: the PDF's built-in Helvetica covers Latin-1 only, and a client's "Łódź", "İstanbul",
Greek or Cyrillic printed as black boxes. User text must go through `para()`, `paragraphs()` (or
`escape()`), because a Paragraph reads its text as markup.

Text of any length lays out: outside tables a Paragraph flows over pages by itself (`paragraphs()`
sets a text of many lines a Paragraph a line, or it costs the square of its length); a table row
never splits, so a long cell is cut into rows of a few lines before its table is built (`_pieces`).

A report runs to hundreds of pages of tables, so a table cell of one short line is a string the
Table draws itself rather than a Paragraph (`_cell`); tests/reports/test_report_speed.py holds it
to printing exactly as the Paragraph would.
"""

import datetime
import hashlib
import io
import json
import math
from collections.abc import Sequence
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from xml.sax.saxutils import escape as _xml_escape

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import registerFont, registerFontFamily, stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

PAGE_SIZE = A4
MARGIN = 18 * mm
CONTENT_WIDTH = PAGE_SIZE[0] - 2 * MARGIN
# The condensed cut: about as wide as Helvetica, for which the tables' columns were drawn
# ("NC-2026-0001" fits its column); DejaVu Sans proper is a tenth wider.
FONT = "DejaVuSansCondensed"
FONT_BOLD = "DejaVuSansCondensed-Bold"
FONT_FILES = {FONT: "DejaVuSansCondensed.ttf", FONT_BOLD: "DejaVuSansCondensed-Bold.ttf"}
FONT_DIR = Path(__file__).resolve().parent / "fonts"
LINE = colors.HexColor("#b1b4b6")
SHADE = colors.HexColor("#f3f2f1")
INK = colors.HexColor("#0b0c0c")
MUTED = colors.HexColor("#505a5f")


@cache
def register_fonts() -> None:
    """Make the fonts known to reportlab, once per process: reading a font file costs milliseconds.

    Every style and canvas of the documents names these fonts, so `styles()` and the page
    decoration call this first. No document sets italic; `<i>` would print upright, not fail.
    """
    for name, filename in FONT_FILES.items():
        registerFont(TTFont(name, str(FONT_DIR / filename)))
    registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


@cache
def styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    base = getSampleStyleSheet()["Normal"]
    body = ParagraphStyle(
        "body", parent=base, fontName=FONT, bulletFontName=FONT, fontSize=10, leading=13.5, textColor=INK
    )
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
        # 8.6 pt of DejaVu has the x-height of 9 pt of Helvetica, and its width: the tables'
        # columns, drawn for Helvetica, still hold "Stockholm" or "At the next audit" on a line.
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.6, leading=11.5),
        "cell-bold": ParagraphStyle("cell-bold", parent=body, fontName=FONT_BOLD, fontSize=8.6, leading=11.5),
        "cell-right": ParagraphStyle("cell-right", parent=body, fontSize=8.6, leading=11.5, alignment=2),
    }


def escape(text) -> str:
    """User text made safe for a Paragraph; line breaks kept."""
    return _xml_escape(str(text)).replace("\n", "<br/>")


def para(text, style: str = "body") -> Paragraph:
    return Paragraph(escape(text), styles()[style])


# Text of more lines than this is set a Paragraph a line: reportlab breaks all the lines of a
# Paragraph again each time it splits one (at a page's end, or into a table's pieces), so one
# Paragraph of thousands of lines cost the square of that, seconds.
MANY_LINES = 10


def paragraphs(text, style: str = "body") -> list[Flowable]:
    """User text of any length, for a story or a table cell: one Paragraph, or one a line.

    A Paragraph a line prints as the one Paragraph would (the style's space before the first
    line and after the last only), except that empty lines print only between lines of text,
    and several in a row as one.
    """
    lines = str(text).split("\n")
    if len(lines) <= MANY_LINES:
        return [para(text, style)]
    # An empty line goes with the line of text after it: a Paragraph prints a line break it
    # starts with, not one it ends with.
    texts, empty = [], False
    for line in lines:
        if not line.strip():
            empty = bool(texts)
            continue
        texts.append("\n" + line if empty else line)
        empty = False
    paragraph_style = styles()[style]
    last = len(texts) - 1
    return [
        Paragraph(escape(text), _spaced(paragraph_style, before=index == 0, after=index == last))
        for index, text in enumerate(texts)
    ] or [para("", style)]


@lru_cache(maxsize=64)
def _spaced(style: ParagraphStyle, *, before: bool, after: bool) -> ParagraphStyle:
    """The style, with its space before and after only where asked."""
    if (before or not style.spaceBefore) and (after or not style.spaceAfter):
        return style
    return ParagraphStyle(
        f"{style.name}-{int(before)}{int(after)}",
        parent=style,
        spaceBefore=style.spaceBefore if before else 0,
        spaceAfter=style.spaceAfter if after else 0,
    )


def bullets(lines: Sequence[str], style: str = "bullet") -> list[Paragraph]:
    return [Paragraph(escape(line), styles()[style], bulletText="•") for line in lines]


def summary_table(rows: Sequence[tuple[str, object]], *, key_width: float = 45 * mm) -> Table:
    """Key/value rows, like the summary list on the pages. Values may be text or flowables."""
    # No left padding, reportlab's default 6 pt on the right.
    widths = [key_width - 0 - 6, CONTENT_WIDTH - key_width - 0 - 6]
    data, spans = _rows_in_pieces(
        [[_cell(key, "cell-bold", width=widths[0]), _cell(value, width=widths[1])] for key, value in rows],
        widths,
    )
    table = Table(data, colWidths=[key_width, CONTENT_WIDTH - key_width], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                *_text_commands((0, 0), (0, -1), "cell-bold"),
                *_text_commands((1, 0), (1, -1), "cell"),
                *_rule_and_padding_commands(spans),
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
    # reportlab's default padding, 6 pt on either side (subtracted as the Table does, to the bit).
    text_widths = [CONTENT_WIDTH * width - 6 - 6 for width in widths]

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

    # The header stays one row: it repeats on every page.
    body, spans = _rows_in_pieces(
        [cells(row, bold=total_row and index == len(rows) - 1) for index, row in enumerate(rows)],
        text_widths,
        first_row=1,
    )
    table = Table(
        [cells(header, bold=True), *body],
        colWidths=[CONTENT_WIDTH * width for width in widths],
        repeatRows=1,
        hAlign="LEFT",
    )
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        *_text_commands((0, 1), (-1, -1), "cell"),
        *_text_commands((0, 0), (-1, 0), "cell-bold"),
        *_rule_and_padding_commands([(0, 0), *spans]),
    ]
    if total_row and rows:
        first, _last = spans[-1]
        commands.append(("LINEABOVE", (0, first), (-1, first), 1, INK))
        commands += _text_commands((0, first), (-1, -1), "cell-bold")
    table.setStyle(TableStyle(commands))
    return table


# A table row never splits over two pages: reportlab moves a row that does not fit on to the next
# page, and raises LayoutError for a row taller than the page (a client's long root cause made
# the NCR a 500). So a cell taller than this is cut, before its table is built, into pieces no
# taller, a row each, and the table breaks between them as between any rows. Six lines of a cell:
# a break leaves at most that much of a page blank, and the smallest frame (the certificate's
# first page, above its foot) holds several pieces.
PIECE_HEIGHT = 6 * 11.5


def _rows_in_pieces(
    rows: list[list], widths: Sequence[float], *, first_row: int = 0
) -> tuple[list[list], list[tuple[int, int]]]:
    """The rows, a cell taller than PIECE_HEIGHT cut into pieces over as many rows as it needs.

    Returns the rows to build the table of and, for each row given, the first and last index of
    the rows it became (counting from `first_row`, the index of the first one in the table).
    """
    table_rows, spans = [], []
    for row in rows:
        pieces = [_pieces(cell, width) for cell, width in zip(row, widths, strict=True)]
        count = max(len(cell_pieces) for cell_pieces in pieces)
        start = first_row + len(table_rows)
        table_rows += [
            [cell_pieces[index] if index < len(cell_pieces) else "" for cell_pieces in pieces]
            for index in range(count)
        ]
        spans.append((start, start + count - 1))
    return table_rows, spans


def _pieces(cell, width: float) -> list:
    """The cell, as the only piece, or cut into lists of flowables each at most PIECE_HEIGHT high."""
    if isinstance(cell, str):
        return [cell]  # one line (`_cell`)
    flowables = list(cell) if isinstance(cell, list | tuple) else [cell]
    if sum(_height(flowable, width) for flowable in flowables) <= PIECE_HEIGHT:
        return [cell]
    pieces, piece, room = [], [], PIECE_HEIGHT
    for flowable in flowables:
        for part in _cut(flowable, width):
            height = _height(part, width)
            if height > room and piece:
                pieces.append(piece)
                piece, room = [], PIECE_HEIGHT
            piece.append(part)
            room -= height
    pieces.append(piece)
    return pieces


def _cut(flowable: Flowable, width: float) -> list[Flowable]:
    """The flowable in parts of at most PIECE_HEIGHT, split in halves of whole pieces.

    Halves, not a piece at a time: each split breaks the lines of what it splits again, so
    taking one piece off the top each time would cost the square of the text's length.
    """
    height = _height(flowable, width)
    if height <= PIECE_HEIGHT:
        return [flowable]
    # Flowable.split: [] when it splits nowhere (an image), [itself] when it fits after all.
    parts = flowable.split(width, (math.ceil(height / PIECE_HEIGHT) // 2) * PIECE_HEIGHT)
    if len(parts) < 2:
        return [flowable]  # whole, as it always was
    return [part for half in parts for part in _cut(half, width)]


def _height(flowable: Flowable, width: float) -> float:
    # The most a Table gives the flowable in a cell of that width: its height and spaces.
    return flowable.wrap(width, PIECE_HEIGHT)[1] + flowable.getSpaceBefore() + flowable.getSpaceAfter()


def _rule_and_padding_commands(spans: Sequence[tuple[int, int]]) -> list[tuple]:
    """A rule under each row given, and the pieces of a cut row set close, as one text."""
    commands = [("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]
    if all(first == last for first, last in spans):
        return [*commands, ("LINEBELOW", (0, 0), (-1, -1), 0.5, LINE)]
    for first, last in spans:
        commands.append(("LINEBELOW", (0, last), (-1, last), 0.5, LINE))
        if first != last:
            commands += [
                ("BOTTOMPADDING", (0, first), (-1, last - 1), 0),
                ("TOPPADDING", (0, first + 1), (-1, last), 0),
            ]
    return commands


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
        return Paragraph(f"<b>{escape(value)}</b>", styles()[style])
    text = "" if value is None else str(value)
    if width is not None and style in _TEXT_CELL_STYLES:
        font = styles()[style]
        if _fits_one_line(text, font.fontName, font.fontSize, width):
            return text
    flowables = paragraphs(text, style)
    return flowables[0] if len(flowables) == 1 else flowables


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


def numbered_canvas(*, header: str, title: str):
    """A canvas class that puts the shared header and footer on every page, "Page x of y" included.

    The number of pages is known only at the end, so each page's "Page x of y" is a form (a PDF
    XObject) that the page names as it is written and that is drawn once the count is known.
    """
    register_fonts()

    class NumberedCanvas(pdf_canvas.Canvas):
        def __init__(self, *args, **kwargs):
            # Each page starts in our font, not reportlab's default Helvetica, which would be
            # named in every page though it sets no letter.
            super().__init__(*args, **{**kwargs, "initialFontName": FONT})
            self.pages_written = 0

        def showPage(self):  # reportlab's name
            self.decorate()
            self.pages_written += 1
            super().showPage()

        def save(self):
            width = PAGE_SIZE[0]
            for page in range(1, self.pages_written + 1):
                self.beginForm(f"page-number-{page}")
                self.setFont(FONT, 9)
                self.setFillColor(MUTED)
                self.drawRightString(
                    width - MARGIN,
                    9 * mm,
                    _("Page %(page)s of %(pages)s") % {"page": page, "pages": self.pages_written},
                )
                self.endForm()
            super().save()

        def decorate(self):
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
            self.doForm(f"page-number-{self.getPageNumber()}")
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
    document.build(story, canvasmaker=numbered_canvas(header=settings.CERTIFICATION_BODY_NAME, title=title))
    return buffer.getvalue()


# -- Wording and digests shared by the documents -----------------------------------------------


def format_date(value: datetime.date | None) -> str:
    """'1 Feb 2027' / '1 feb 2027': dates as people write them (config/formats, shared/UI.md)."""
    return formats.date_format(value, "DATE_FORMAT") if value else "–"


def format_dates(start: datetime.date | None, end: datetime.date | None) -> str:
    if not start:
        return _("Not yet set")
    if not end or end == start:
        return format_date(start)
    return f"{format_date(start)} – {format_date(end)}"


def format_days(days: Decimal | None) -> str:
    return "–" if days is None else formats.number_format(days, decimal_pos=1, use_l10n=True)


def format_money(amount: Decimal, currency: str) -> str:
    number = formats.number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)
    return f"{number} {currency}"


def person_name(user) -> str:
    """How a document names a person: their full name, else their username; nothing for no one."""
    return (user.get_full_name() or user.get_username()) if user else ""


def standard_line(standard: dict) -> str:
    """'ISO 9001:2015, Quality management systems (edition 2015)', from a document's plain values."""
    if standard.get("edition"):
        return _("%(code)s, %(title)s (edition %(edition)s)") % standard
    return f"{standard['code']}, {standard['title']}"


def clause_label(clause) -> str:
    """'4.1 General': a clause as the documents list it."""
    return f"{clause.number} {clause.title}"


def data_digest(data: dict) -> str:
    """SHA-256 of the data in a canonical form (sorted keys, dates and numbers as text)."""
    canonical = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
