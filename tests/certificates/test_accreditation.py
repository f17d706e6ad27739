"""Accreditation per scheme: the mark and number on certificates of accredited schemes only."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from PIL import Image
from pypdf import PdfReader

from certificates.documents import certificate_pdf_render
from certificates.models import Certificate
from certificates.services import decision_record
from standards.models import CertificationScheme
from tests.conftest import pdf_text
from tests.factories import ready_to_certify


def png(size=(120, 60), color=(0, 70, 140)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def accredit(scheme: CertificationScheme, *, mark: bool = True) -> CertificationScheme:
    scheme.accredited = True
    scheme.accreditation_body = "Swedac"
    scheme.accreditation_number = "10203"
    if mark:
        scheme.accreditation_mark.save("swedac.png", ContentFile(png()), save=False)
    scheme.save()
    return scheme


def grant(cast, closed_audit) -> Certificate:
    ready_to_certify(closed_audit)
    decision_record(audit=closed_audit, user=cast.staff, outcome="grant", rationale="Requirements met.")
    return Certificate.objects.get()


@pytest.fixture
def accredited_certificate(cast, closed_audit):
    accredit(cast.standard.scheme)
    return grant(cast, closed_audit)


def images_on_page_1(content: bytes) -> int:
    return len(PdfReader(io.BytesIO(content)).pages[0].images)


def test_it_prints_the_mark_and_number_on_an_accredited_schemes_certificate(accredited_certificate):
    revision = accredited_certificate.revisions.get()
    assert revision.snapshot["accreditations"] == [
        {
            "standard": accredited_certificate.standards.get().code,
            "scheme": accredited_certificate.standards.get().scheme.pk,
            "body": "Swedac",
            "number": "10203",
            "mark": accredited_certificate.standards.get().scheme.accreditation_mark.name,
        }
    ]
    content = certificate_pdf_render(snapshot=revision.snapshot)
    text = " ".join(pdf_text(content).split())
    assert "accredited by Swedac, accreditation number 10203" in text
    assert images_on_page_1(content) == 1


def test_it_prints_no_mark_nor_number_when_the_scheme_is_not_accredited(cast, certificate):
    revision = certificate.revisions.get()
    assert revision.snapshot["accreditations"] == []
    content = certificate_pdf_render(snapshot=revision.snapshot)
    assert "accreditation number" not in pdf_text(content)
    assert images_on_page_1(content) == 0


def test_it_prints_the_number_in_words_when_the_mark_file_is_gone(accredited_certificate):
    snapshot = accredited_certificate.revisions.get().snapshot
    snapshot["accreditations"][0]["mark"] = "accreditation-marks/missing.png"
    content = certificate_pdf_render(snapshot=snapshot)
    assert "accreditation number 10203" in " ".join(pdf_text(content).split())
    assert images_on_page_1(content) == 0


def test_it_shows_the_mark_and_number_on_the_public_page(accredited_certificate, client):
    scheme = accredited_certificate.standards.get().scheme
    page = client.get(f"/verify/{accredited_certificate.number}/").content.decode()
    assert "accredited by Swedac, accreditation number 10203" in page
    assert f'src="/accreditation-marks/{scheme.pk}/"' in page
    mark = client.get(f"/accreditation-marks/{scheme.pk}/")
    assert mark.status_code == 200
    assert mark["Content-Type"] == "image/png"
    assert mark.content == png()


def test_it_shows_no_accreditation_on_the_public_page_of_an_unaccredited_scheme(cast, certificate, client):
    page = client.get(f"/verify/{certificate.number}/").content.decode()
    assert "accreditation number" not in page
    assert "accreditation-marks" not in page
    assert client.get(f"/accreditation-marks/{cast.standard.scheme.pk}/").status_code == 404


def test_it_shows_a_change_of_accreditation_at_once_on_the_public_page(cast, certificate, client):
    assert "accreditation number" not in client.get(f"/verify/{certificate.number}/").content.decode()
    accredit(cast.standard.scheme)
    # The page is rendered once per version; a scheme's change is a new version.
    assert "accreditation number 10203" in client.get(f"/verify/{certificate.number}/").content.decode()


def test_it_hides_the_mark_once_the_scheme_is_no_longer_accredited(accredited_certificate, client):
    scheme = accredited_certificate.standards.get().scheme
    CertificationScheme.objects.filter(pk=scheme.pk).update(accredited=False)
    assert client.get(f"/accreditation-marks/{scheme.pk}/").status_code == 404
    assert client.get("/accreditation-marks/999999999/").status_code == 404


def test_it_refuses_to_post_to_the_mark(accredited_certificate, client):
    scheme = accredited_certificate.standards.get().scheme
    assert client.post(f"/accreditation-marks/{scheme.pk}/").status_code == 405


def test_it_accepts_a_png_mark(cast):
    scheme = cast.standard.scheme
    scheme.accreditation_mark = SimpleUploadedFile("mark.png", png(), content_type="image/png")
    scheme.full_clean()


@pytest.mark.parametrize(
    "content",
    [
        b"not a picture at all",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,  # a PNG signature over garbage
        b"%PDF-1.7\n",
        png()[:60],  # truncated
    ],
)
def test_it_refuses_a_mark_that_is_not_a_readable_picture(cast, content):
    scheme = cast.standard.scheme
    scheme.accreditation_mark = SimpleUploadedFile("mark.png", content, content_type="image/png")
    with pytest.raises(ValidationError) as refused:
        scheme.full_clean()
    assert "accreditation_mark" in refused.value.message_dict


def test_it_refuses_an_accredited_scheme_without_body_or_number(cast):
    scheme = cast.standard.scheme
    scheme.accredited = True
    with pytest.raises(ValidationError) as refused:
        scheme.full_clean()
    assert set(refused.value.message_dict) >= {"accreditation_body", "accreditation_number"}
    with pytest.raises(IntegrityError), transaction.atomic():
        scheme.save()


def test_it_lets_staff_upload_the_mark_in_the_admin(cast, login):
    scheme = cast.standard.scheme
    client = login(cast.staff)
    url = f"/admin/standards/certificationscheme/{scheme.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert b"accreditation_mark" in page.content
