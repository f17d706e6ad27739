"""The certificate PDF (ISO/IEC 17021-1 8.2.2): one A4 page per revision, with a QR code to verify it.

`certificate_pdf_render` turns a revision's snapshot into bytes and reads nothing else, so each
revision's PDF says what that revision said, whatever the certificate says today.
`revision_pdf_store` keeps the PDF with its revision; the task and the download views call it.

The dates, the QR code and the verification text sit in a fixed block at the foot of the first
page; the sites flow above it and, for a certificate with many sites, on to further pages. So the
QR code is always on page 1, however long the list of sites.
"""

import datetime
import io
import itertools
import logging
import urllib.parse
from functools import cache

import qrcode
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django_countries import countries
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    Image,
    KeepInFrame,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from certificates.models import CertificateRevision
from core import pdf
from core.pdf import format_date, standard_line

logger = logging.getLogger(__name__)

# 2: the accreditation mark and number of accredited schemes.
CERTIFICATE_TEMPLATE_VERSION = "certificate-2"

# The foot of page 1: dates beside the QR code, then the verification text.
FOOT_HEIGHT = 72 * mm
FOOT_GAP = 4 * mm
QR_SIZE = 36 * mm
QR_BORDER = 4  # modules of quiet zone
QR_COLUMN = 62 * mm


def verification_url(certificate_number: str) -> str:
    """The public page where anyone can check the certificate's status now (printed and in the QR code)."""
    return settings.SITE_URL.rstrip("/") + "/verify/" + urllib.parse.quote(certificate_number) + "/"


# -- Rendering ----------------------------------------------------------------------------------


@cache
def _styles() -> dict[str, ParagraphStyle]:
    base = pdf.styles()
    centred = {"parent": base["body"], "alignment": TA_CENTER}
    return {
        "title": ParagraphStyle(
            "cert-title", **centred, fontName=pdf.FONT_BOLD, fontSize=26, leading=30, spaceAfter=6
        ),
        "number": ParagraphStyle("cert-number", **centred, fontSize=12, leading=15, spaceAfter=4),
        "status": ParagraphStyle(
            "cert-status", **centred, fontName=pdf.FONT_BOLD, fontSize=12, leading=15, spaceAfter=4
        ),
        "lead": ParagraphStyle(
            "cert-lead", **centred, fontSize=10.5, leading=14, textColor=pdf.MUTED, spaceBefore=8
        ),
        "entity": ParagraphStyle(
            "cert-entity", **centred, fontName=pdf.FONT_BOLD, fontSize=16, leading=20, spaceBefore=4
        ),
        "address": ParagraphStyle("cert-address", **centred, fontSize=10.5, leading=14, spaceAfter=4),
        "standard": ParagraphStyle(
            "cert-standard", **centred, fontName=pdf.FONT_BOLD, fontSize=12, leading=15, spaceBefore=2
        ),
        "url": ParagraphStyle("cert-url", **centred, fontSize=7, leading=9, textColor=pdf.MUTED),
    }


def _para(text, style: str) -> Paragraph:
    return Paragraph(pdf.escape(text), _styles()[style])


def _link(url: str) -> str:
    """The URL as a clickable link inside a Paragraph's markup."""
    safe = pdf.escape(url)
    return f'<a href="{safe}">{safe}</a>'


def _date(value: str) -> str:
    return format_date(datetime.date.fromisoformat(value)) if value else "–"


def _country(code: str) -> str:
    # In the active language: the body's, as the whole certificate is.
    return countries.name(code) or code


class QrLink(Flowable):
    """The QR code of a URL, square, and a link to the URL over the same area.

    The `qrcode` package encodes the URL (as it does the two-factor set-up code on the web page);
    each run of dark modules in a row is one filled rectangle on the canvas.
    """

    def __init__(self, url: str, size: float):
        super().__init__()
        self.url = url
        self.size = size

    def wrap(self, available_width, available_height):
        return self.size, self.size

    def draw(self):
        modules = qr_modules(self.url)
        box = self.size / len(modules)
        self.canv.saveState()
        self.canv.setFillColor(colors.black)
        for row_index, row in enumerate(modules):
            y = self.size - (row_index + 1) * box
            column = 0
            for dark, run in itertools.groupby(row):
                count = len(list(run))
                if dark:
                    self.canv.rect(column * box, y, count * box, box, stroke=0, fill=1)
                column += count
        self.canv.restoreState()
        # relative: the rectangle is in the flowable's own coordinates, wherever it was placed.
        self.canv.linkURL(self.url, (0, 0, self.size, self.size), relative=1, thickness=0)


def qr_modules(url: str) -> list[list[bool]]:
    """The QR code's matrix with its quiet zone, True for a dark module."""
    # Level M survives a crease or a smudge on a printed copy better than the default L.
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QR_BORDER)
    code.add_data(url)
    code.make(fit=True)
    return code.get_matrix()


def _dates_table(snapshot: dict) -> Table:
    rows = [
        (_("Original issue date"), _date(snapshot["original_issue_date"])),
        (_("Issue date of this revision"), _date(snapshot["issue_date"])),
        (_("Expiry date"), _date(snapshot["expiry_date"])),
        (_("Revision"), str(snapshot["revision"])),
    ]
    # Restored after it expired: the lapse is part of the certificate's dates (a snapshot from
    # before lapses were recorded has no such key, and had no lapse).
    if snapshot.get("lapsed_from"):
        rows.append(
            (
                _("Not certified"),
                _("%(start)s to %(end)s (restored after expiry)")
                % {"start": _date(snapshot["lapsed_from"]), "end": _date(snapshot["lapsed_until"])},
            )
        )
    width = pdf.CONTENT_WIDTH - QR_COLUMN - 6 * mm
    table = Table(
        [[pdf.para(key, "cell-bold"), pdf.para(value, "cell")] for key, value in rows],
        colWidths=[width * 0.55, width * 0.45],
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                # reportlab's Table sets its own default font (Helvetica) for each cell it draws.
                ("FONT", (0, 0), (-1, -1), pdf.FONT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, pdf.LINE),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _foot(snapshot: dict, url: str) -> list:
    """The block at the foot of page 1: dates, the QR code with its URL, and how to verify."""
    qr = [QrLink(url, QR_SIZE), Spacer(1, 1.5 * mm), Paragraph(_link(url), _styles()["url"])]
    side_by_side = Table(
        [[_dates_table(snapshot), qr]],
        colWidths=[pdf.CONTENT_WIDTH - QR_COLUMN, QR_COLUMN],
        hAlign="LEFT",
    )
    side_by_side.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), pdf.FONT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (1, 0), (1, 0), "CENTER"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    # The sentence is escaped as text; then the URL in it becomes a link.
    verify = pdf.escape(_("Verify the status of this certificate at %(url)s") % {"url": url})
    verify_markup = verify.replace(pdf.escape(url), _link(url))
    return [
        side_by_side,
        Spacer(1, 3 * mm),
        Paragraph(verify_markup + ".", pdf.styles()["body"]),
        pdf.para(
            _(
                "The status of the certificate is valid only as shown there: it may have been suspended, "
                "withdrawn or expired since this copy was printed."
            ),
            "small",
        ),
        pdf.para(
            _("Issued by %(body)s, %(address)s.")
            % {"body": settings.CERTIFICATION_BODY_NAME, "address": settings.CERTIFICATION_BODY_ADDRESS},
            "small",
        ),
    ]


def _body(snapshot: dict, status_label: str | None) -> list:
    """What flows above the foot: who is certified, to what, for what, and where."""
    story = [
        _para(_("Certificate"), "title"),
        _para(_("Certificate number %(number)s") % {"number": snapshot["number"]}, "number"),
    ]
    if status_label:
        story.append(_para(_("Status: %(status)s") % {"status": status_label}, "status"))
    story += [
        _para(_("This is to certify that"), "lead"),
        _para(snapshot["entity_name"], "entity"),
        _para(snapshot["entity_address"], "address"),
        _para(_("has been assessed and found to conform to"), "lead"),
        *[_para(standard_line(standard), "standard") for standard in snapshot["standards"]],
        pdf.para(_("Scope"), "h3"),
        *pdf.paragraphs(snapshot["scope"]),
        pdf.para(_("Sites covered"), "h3"),
    ]
    rows = [
        [
            site["name"],
            "\n".join(filter(None, [site["address"], site["city"], _country(site["country"])])),
            site["scope"] or _("As the certificate's scope"),
        ]
        for site in snapshot["sites"]
    ]
    story.append(
        pdf.data_table(
            [_("Site"), _("Address"), _("Scope at the site")],
            rows or [["–", "", ""]],
            widths=[0.25, 0.33, 0.42],
        )
    )
    story += _accreditation(snapshot)
    return story


MARK_HEIGHT = 18 * mm
MARK_MAX_WIDTH = 40 * mm


def _mark(name: str) -> Flowable | None:
    """The accreditation mark as stored, scaled to fit; None when it is gone or unreadable.

    A mark replaced since the revision was issued may have been cleared away with the orphan files:
    the certificate then states the accreditation in words only, never fails to print.
    """
    if not name:
        return None
    try:
        with default_storage.open(name, "rb") as handle:
            data = io.BytesIO(handle.read())
        width, height = ImageReader(data).getSize()
        data.seek(0)
    except Exception:
        logger.warning("Accreditation mark %s could not be read; printed without it.", name)
        return None
    scale = min(MARK_HEIGHT / height, MARK_MAX_WIDTH / width)
    return Image(data, width=width * scale, height=height * scale, hAlign="LEFT")


def _accreditation(snapshot: dict) -> list:
    """The accreditation mark and number of each accredited standard; nothing for the others.

    Snapshots from before accreditation was recorded have no such key, and carried none.
    """
    story: list = []
    for accreditation in snapshot.get("accreditations") or []:
        mark = _mark(accreditation["mark"])
        text = pdf.para(
            _("%(standard)s: accredited by %(body)s, accreditation number %(number)s")
            % {
                "standard": accreditation["standard"],
                "body": accreditation["body"],
                "number": accreditation["number"],
            },
            "small",
        )
        story += [Spacer(1, 2 * mm), *([mark] if mark else []), text]
    return story


def _frame(bottom: float, frame_height: float, frame_id: str) -> Frame:
    # No padding: the text lines up with the header and footer rules, and the tables, sized to
    # the content width, fit exactly.
    return Frame(
        pdf.MARGIN,
        bottom,
        pdf.CONTENT_WIDTH,
        frame_height,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id=frame_id,
    )


def _render(snapshot: dict, status_label: str | None) -> bytes:
    url = verification_url(snapshot["number"])
    height = pdf.PAGE_SIZE[1]
    top = height - pdf.MARGIN - 4 * mm
    first_bottom = pdf.MARGIN + FOOT_HEIGHT + FOOT_GAP

    def draw_foot(canvas, document):
        canvas.saveState()
        foot = _frame(pdf.MARGIN, FOOT_HEIGHT, "foot")
        # Shrunk rather than cut should a very long SITE_URL make it taller than planned.
        foot.addFromList(
            [KeepInFrame(pdf.CONTENT_WIDTH, FOOT_HEIGHT, _foot(snapshot, url), mode="shrink")], canvas
        )
        canvas.restoreState()

    title = _("Certificate")
    buffer = io.BytesIO()
    document = BaseDocTemplate(
        buffer,
        pagesize=pdf.PAGE_SIZE,
        leftMargin=pdf.MARGIN,
        rightMargin=pdf.MARGIN,
        topMargin=pdf.MARGIN + 4 * mm,
        bottomMargin=pdf.MARGIN,
        title=f"{title} {snapshot['number']}",
        subject=snapshot["entity_name"],
        author=settings.CERTIFICATION_BODY_NAME,
        creator="Certdesk",
    )
    document.addPageTemplates(
        [
            PageTemplate(
                id="certificate",
                frames=[_frame(first_bottom, top - first_bottom, "body")],
                onPage=draw_foot,
                autoNextPageTemplate="continued",
            ),
            # Further pages carry only what did not fit: the rest of a long list of sites.
            PageTemplate(
                id="continued",
                frames=[_frame(pdf.MARGIN, top - pdf.MARGIN, "rest")],
            ),
        ]
    )
    # The shared header and "Page x of y" footer, as on every document of the body.
    canvasmaker = pdf.numbered_canvas(
        header=settings.CERTIFICATION_BODY_NAME, title=f"{title} {snapshot['number']}"
    )
    document.build(_body(snapshot, status_label), canvasmaker=canvasmaker)
    return buffer.getvalue()


def certificate_pdf_render(*, snapshot: dict, status_label: str | None = None) -> bytes:
    """The certificate as PDF bytes, from a revision's snapshot; reads nothing else, writes nothing.

    Always in the certification body's language: the certificate is the body's statement, whoever
    happens to make the PDF. `status_label`, when given, prints the status as of now on the copy.
    """
    with translation.override(settings.LANGUAGE_CODE):
        return _render(snapshot, status_label)


# -- Storing ------------------------------------------------------------------------------------


def revision_has_pdf(revision: CertificateRevision) -> bool:
    """Whether the revision's PDF of the current template is there to be served."""
    name = revision.file.name
    if not name:
        return False
    return revision.template_version == CERTIFICATE_TEMPLATE_VERSION and revision.file.storage.exists(name)


@transaction.atomic
def revision_pdf_store(*, revision: CertificateRevision) -> bool:
    """Make and keep the revision's PDF; False when it already has one of this template version.

    The PDF is made from the revision's own snapshot and saved under the revision's own name, so
    a later revision never touches an earlier one's file.
    """
    # One generation at a time per revision: the task and an on-demand download may race.
    revision = (
        CertificateRevision.objects.select_for_update().select_related("certificate").get(pk=revision.pk)
    )
    if revision_has_pdf(revision):
        return False
    content = certificate_pdf_render(snapshot=revision.snapshot)
    # upload_to names the file <number>-rev<n>.pdf; a file left under that name (an older template,
    # say) is kept, and the storage picks a free name for this one. The file is written before the
    # row, so the row never points at a missing file.
    revision.file.save(
        f"{revision.certificate.number}-rev{revision.revision}.pdf", ContentFile(content), save=False
    )
    revision.template_version = CERTIFICATE_TEMPLATE_VERSION
    revision.save(update_fields=["file", "template_version"])
    logger.info("Stored certificate PDF %s for %s (%s bytes).", revision.file.name, revision, len(content))
    return True
