"""Shared reportlab pieces for the certification body's PDFs: plan, quote, report, NCR, certificate.

Every document has the body's name in the header and "Page x of y" in the footer. The built-in
Helvetica is used: it covers Swedish (å ä ö) and needs no font files. User text must go through
`para()` (or `escape()`), because a Paragraph reads its text as markup.
"""

import io
from collections.abc import Sequence
from functools import cache
from xml.sax.saxutils import escape as _xml_escape

from django.conf import settings
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

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


def para(text, style: str = "body") -> Paragraph:
    return Paragraph(escape(text), styles()[style])


def bullets(lines: Sequence[str], style: str = "bullet") -> list[Paragraph]:
    return [Paragraph(escape(line), styles()[style], bulletText="•") for line in lines]


def summary_table(rows: Sequence[tuple[str, object]], *, key_width: float = 45 * mm) -> Table:
    """Key/value rows, like the summary list on the pages. Values may be text or flowables."""
    data = [[para(key, "cell-bold"), _cell(value)] for key, value in rows]
    table = Table(data, colWidths=[key_width, CONTENT_WIDTH - key_width], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, LINE),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
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

    def cells(row, *, bold=False):
        return [
            _cell(value, "cell-right" if index in right else ("cell-bold" if bold else "cell"), bold=bold)
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
    ]
    if total_row and rows:
        commands.append(("LINEABOVE", (0, -1), (-1, -1), 1, INK))
    table.setStyle(TableStyle(commands))
    return table


def _cell(value, style: str = "cell", *, bold: bool = False):
    if isinstance(value, Flowable | list):
        return value
    if bold and style == "cell-right":
        return Paragraph(f"<b>{escape(value)}</b>", styles()[style])
    return para("" if value is None else value, style)


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
