"""The certificate's QR code, drawn fast: the same code and the same squares as reportlab's widget.

certificates/documents.py encodes the URL with reportlab's encoder but scores its 8 mask patterns
with its own `_mask_penalty`, and fills the runs of dark modules straight on the canvas instead of
through QrCodeWidget's shapes. These tests pin both to reportlab's own result, so the printed code
is the one reportlab would print, without timing anything.
"""

import io
import re

import pytest
from pypdf import PdfReader
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import qrencoder
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.pdfgen.canvas import Canvas

from certificates.documents import QR_SIZE, QrLink, _mask_penalty, _qr_modules

# Short to long: QR versions 2 to 19, so codes with and without the version information block (7+).
URLS = [
    "https://c.example/verify/C-1/",
    "http://127.0.0.1:8000/verify/CERT-2024-17552/",
    "https://certdesk.example.se/verify/CERT-2026-0042/",
    "https://certdesk.example.se/verify/" + "CERT-2026-000042%2FEXTRA" * 4 + "/",
    "https://certdesk.example.se/verify/" + "x" * 300 + "/",
]


def run_count(modules) -> int:
    """The runs of dark modules, row by row: one filled rectangle each."""
    return sum(len(re.findall(rb"\x01+", bytes(row))) for row in modules)


def drawn(draw) -> str:
    """The page content that `draw(canvas)` writes, uncompressed."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pageCompression=0)
    draw(canvas)
    canvas.showPage()
    canvas.save()
    return PdfReader(buffer).pages[0].get_contents().get_data().decode("latin-1")


def filled_rectangles(content: str) -> list[tuple[float, ...]]:
    return [tuple(map(float, match)) for match in re.findall(r"(\S+) (\S+) (\S+) (\S+) re f\*", content)]


def draw_widget(url: str, canvas) -> None:
    """The QR code as reportlab's widget draws it, at the certificate's size."""
    drawing = Drawing(QR_SIZE, QR_SIZE)
    drawing.add(QrCodeWidget(url, barLevel="M", barWidth=QR_SIZE, barHeight=QR_SIZE))
    renderPDF.draw(drawing, canvas, 0, 0)


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("level", ["L", "M", "Q", "H"])
def test_the_mask_penalty_is_reportlabs_for_every_mask(url, level):
    code = qrencoder.QRCode(None, getattr(qrencoder.QRErrorCorrectLevel, level))
    code.addData(url)
    code.version = code.calculate_version()
    for pattern in range(8):
        code.makeImpl(True, pattern)
        assert _mask_penalty(code.modules) == qrencoder.QRUtil.getLostPoint(code), pattern


@pytest.mark.parametrize("url", URLS)
def test_it_encodes_the_url_as_reportlabs_widget_does(url):
    widget = QrCodeWidget(url, barLevel="M")
    widget.qr.make()
    assert _qr_modules(url) == widget.qr.modules


@pytest.mark.parametrize("url", [URLS[1], URLS[3]])
def test_it_fills_the_squares_of_reportlabs_widget_one_rectangle_a_run(url):
    content = drawn(lambda canvas: QrLink(url, QR_SIZE).drawOn(canvas, 0, 0))
    rectangles = filled_rectangles(content)
    assert rectangles == filled_rectangles(drawn(lambda canvas: draw_widget(url, canvas)))
    assert len(rectangles) == run_count(_qr_modules(url))
    # One graphics state for the whole code (the flowable's and the code's own), not one a run.
    assert content.split().count("q") == 2
