"""The certificate PDF: what it says, its QR code, one file per revision, and who downloads it."""

import datetime
import hashlib
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone, translation
from pypdf import PdfReader

from audits.services import audit_update
from certificates.documents import (
    CERTIFICATE_TEMPLATE_VERSION,
    certificate_pdf_render,
    revision_pdf_store,
    verification_url,
)
from certificates.models import Certificate, CertificateRevision
from certificates.services import certificate_change_scope, decision_record
from certificates.tasks import generate_certificate_pdf
from core.actors import SYSTEM
from core.pdf import format_date
from reports.services import audit_close
from tests.conftest import CAST_NAMES, download, pdf_pages, pdf_text, qr_codes
from tests.factories import closing_report, ready_to_certify

SCOPE = "Inbound customer service by telephone, e-mail and chat."


def link_targets(content: bytes, page: int = 0) -> list[str]:
    annotations = PdfReader(io.BytesIO(content)).pages[page].get("/Annots") or []
    return [annotation.get_object()["/A"]["/URI"] for annotation in annotations]


def stored(revision: CertificateRevision) -> bytes:
    with revision.file.open("rb") as handle:
        return handle.read()


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def snapshot(**changes) -> dict:
    """A revision's snapshot as certificates.services._snapshot writes it."""
    return {
        "number": "CERT-2026-0042",
        "entity_name": "Nordkontakt AB",
        "entity_address": "Drottninggatan 1, 111 51 Stockholm, Sweden",
        "scope": SCOPE,
        "standards": [{"code": "ISO 18295-1:2017", "title": "Customer contact centres", "edition": "2017"}],
        "sites": [
            {
                "name": "Stockholm",
                "address": "Drottninggatan 1",
                "city": "Stockholm",
                "country": "SE",
                "scope": "",
            }
        ],
        "original_issue_date": "2026-05-04",
        "issue_date": "2026-06-01",
        "expiry_date": "2029-05-03",
        "revision": 2,
        **changes,
    }


@pytest.fixture
def closed(cast, onsite_audit):
    """Nordkontakt's stage 2, scoped and closed; its sites with street addresses."""
    cast.org_a.sites.filter(name="Göteborg").update(address="Kungsgatan 5", postal_code="411 19")
    cast.org_a.sites.filter(name="Malmö").update(address="Stortorget 2", activities="Outbound sales")
    audit_update(actor=SYSTEM, audit=onsite_audit, scope=SCOPE)
    audit_close(audit=onsite_audit, **closing_report(onsite_audit), user=cast.lead, recommendation="certify")
    onsite_audit.refresh_from_db()
    return onsite_audit


def _grant(audit, user):
    ready_to_certify(audit)
    decision_record(audit=audit, user=user, outcome="grant", rationale="Requirements met.")
    return Certificate.objects.get()


@pytest.fixture
def certificate(cast, closed, django_capture_on_commit_callbacks):
    """Granted, with the task that makes the PDF run as it would on commit."""
    with django_capture_on_commit_callbacks(execute=True):
        return _grant(closed, cast.staff)


@pytest.fixture
def unprinted(cast, closed):
    """Granted, but the task has not run: the worker is slow or down."""
    return _grant(closed, cast.staff)


def _reduce_scope(cast, certificate, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        certificate_change_scope(
            certificate=certificate,
            user=cast.staff,
            reason="Göteborg and Malmö closed",
            scope="Inbound customer service by telephone.",
            site_scopes=[(cast.org_a.sites.get(name="Stockholm"), "Inbound telephone")],
        )
    return certificate.revisions.get(revision=2)


# -- What it says -------------------------------------------------------------------------------


def test_it_prints_everything_the_certificate_states(cast, certificate):
    revision = certificate.revisions.get()
    assert revision.template_version == CERTIFICATE_TEMPLATE_VERSION
    content = stored(revision)
    assert content.startswith(b"%PDF")
    assert len(pdf_pages(content)) == 1
    text = pdf_text(content)
    today = timezone.localdate()
    for expected in [
        settings.CERTIFICATION_BODY_NAME,
        settings.CERTIFICATION_BODY_ADDRESS,
        "Certificate",
        certificate.number,
        "Nordkontakt AB",
        certificate.entity_address,
        "has been assessed and found to conform to",
        f"ISO 18295-1:2017, Customer contact centres (edition {cast.standard.edition})",
        SCOPE,
        "Kungsgatan 5, 411 19",
        "Stortorget 2",
        "Outbound sales",
        "Sweden",
        f"Verify the status of this certificate at {verification_url(certificate.number)}",
        "valid only as shown there",
    ]:
        assert expected in text, expected
    for site in certificate.sites.all():
        assert re.search(rf"{site.name}\n(.*\n)?{site.city}\n", text), site.name
    assert re.search(rf"Original issue date\s+{format_date(today)}", text)
    assert re.search(rf"Issue date of this revision\s+{format_date(today)}", text)
    assert re.search(rf"Expiry date\s+{format_date(certificate.expiry_date)}", text)
    assert re.search(r"Revision\s+1\n", text)
    # The status as of now is printed only on a copy that asks for it.
    assert "Status:" not in text


def test_it_encodes_the_verification_url_in_a_clickable_qr_code(certificate):
    content = stored(certificate.revisions.get())
    url = f"http://127.0.0.1:8000/verify/{certificate.number}/"
    assert verification_url(certificate.number) == url
    assert qr_codes(content) == [url]
    # The URL printed under the code and in the sentence is on the page too, and the area links to it.
    assert pdf_text(content).count(url) == 2
    assert url in link_targets(content)
    assert set(link_targets(content)) == {url}


def test_it_builds_the_verification_url_from_site_url(settings):
    settings.SITE_URL = "https://certs.example.se/"
    assert verification_url("CERT-2026-0001") == "https://certs.example.se/verify/CERT-2026-0001/"
    assert verification_url("CERT 2026#1") == "https://certs.example.se/verify/CERT%202026%231/"
    content = certificate_pdf_render(snapshot=snapshot(number="CERT 2026#1"))
    assert qr_codes(content) == ["https://certs.example.se/verify/CERT%202026%231/"]


def test_it_keeps_the_qr_code_on_page_1_when_the_sites_run_over(db):
    sites = [
        {"name": f"Site {n}", "address": f"Gatan {n}", "city": "Luleå", "country": "SE", "scope": "Telephone"}
        for n in range(1, 41)
    ]
    content = certificate_pdf_render(snapshot=snapshot(sites=sites))
    pages = pdf_pages(content)
    assert len(pages) > 1
    assert qr_codes(content) == [verification_url("CERT-2026-0042")]
    assert "Site 1\n" in pages[0]
    assert "Site 40\n" in pages[-1]
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]


def test_it_prints_the_status_when_asked(db):
    text = pdf_text(certificate_pdf_render(snapshot=snapshot(), status_label="Suspended"))
    assert "Status: Suspended" in text
    # A copy for the record states what the revision said, and nothing of a later status.
    assert "Status:" not in pdf_text(certificate_pdf_render(snapshot=snapshot()))


def test_it_renders_in_the_certification_bodys_language(settings):
    # Whoever makes it, in whatever language they use the site: the certificate is the body's.
    with translation.override("sv"):
        text = pdf_text(certificate_pdf_render(snapshot=snapshot()))
    assert "Sweden" in text.replace(settings.CERTIFICATION_BODY_ADDRESS, "")
    assert "Sverige" not in text
    assert "1 Jun 2026" in text
    settings.LANGUAGE_CODE = "sv"
    text = pdf_text(certificate_pdf_render(snapshot=snapshot()))
    assert "Sverige" in text
    assert "Sida 1 av 1" in text
    with translation.override("sv"):
        assert format_date(datetime.date(2026, 5, 4)) in text
    assert "4 May 2026" not in text


def test_it_prints_a_standard_without_an_edition(db):
    standards = [{"code": "Scheme X", "title": "Contact centre scheme", "edition": ""}]
    text = pdf_text(certificate_pdf_render(snapshot=snapshot(standards=standards)))
    assert "Scheme X, Contact centre scheme\n" in text
    assert "edition" not in text


# -- One file per revision ----------------------------------------------------------------------


def test_it_keeps_each_revisions_own_file(cast, certificate, django_capture_on_commit_callbacks):
    first = certificate.revisions.get(revision=1)
    assert first.file.name == f"certificates/{certificate.pk}/{certificate.number}-rev1.pdf"
    first_bytes = stored(first)

    second = _reduce_scope(cast, certificate, django_capture_on_commit_callbacks)
    assert second.file.name == f"certificates/{certificate.pk}/{certificate.number}-rev2.pdf"
    assert second.template_version == CERTIFICATE_TEMPLATE_VERSION
    second_text = pdf_text(stored(second))
    assert "Inbound customer service by telephone." in second_text
    assert SCOPE not in second_text
    assert "Göteborg" not in second_text
    assert re.search(r"Revision\s+2\n", second_text)

    first.refresh_from_db()
    assert first.file.name == f"certificates/{certificate.pk}/{certificate.number}-rev1.pdf"
    assert sha(stored(first)) == sha(first_bytes)
    # Revision 1's PDF still says what revision 1 said.
    first_text = pdf_text(first_bytes)
    assert SCOPE in first_text
    assert "Göteborg" in first_text


def test_it_stores_nothing_new_when_the_task_runs_again(certificate):
    revision = certificate.revisions.get()
    folder = revision.file.storage.path(f"certificates/{certificate.pk}")
    files_before = sorted(p.name for p in Path(folder).iterdir())
    content = stored(revision)

    assert generate_certificate_pdf(revision.pk) is False
    assert revision_pdf_store(revision=revision) is False
    assert generate_certificate_pdf(revision.pk + 1000) is False

    revision.refresh_from_db()
    assert sorted(p.name for p in Path(folder).iterdir()) == files_before
    assert files_before == [f"{certificate.number}-rev1.pdf"]
    assert stored(revision) == content


def test_it_makes_a_new_file_for_a_new_template_version_and_keeps_the_old(certificate):
    revision = certificate.revisions.get()
    old_name, old_bytes = revision.file.name, stored(revision)
    CertificateRevision.objects.filter(pk=revision.pk).update(template_version="certificate-0")

    assert revision_pdf_store(revision=revision) is True
    revision.refresh_from_db()
    assert revision.template_version == CERTIFICATE_TEMPLATE_VERSION
    assert revision.file.name != old_name
    assert revision.file.name.startswith(f"certificates/{certificate.pk}/{certificate.number}-rev1")
    # What was issued before is never overwritten.
    with revision.file.storage.open(old_name, "rb") as handle:
        assert handle.read() == old_bytes


def test_it_stores_the_file_when_the_task_runs(unprinted):
    revision = unprinted.revisions.get()
    assert not revision.file
    assert generate_certificate_pdf(revision.pk) is True
    revision.refresh_from_db()
    assert revision.file.name.endswith("-rev1.pdf")
    assert qr_codes(stored(revision)) == [verification_url(unprinted.number)]


# -- Downloads ----------------------------------------------------------------------------------


def test_it_lets_staff_and_the_clients_users_download(cast, certificate, login):
    for url in (f"/certificates/{certificate.pk}/pdf/", f"/certificates/{certificate.pk}/revisions/1/pdf/"):
        got = [login(cast.user(name)).get(url).status_code for name in CAST_NAMES]
        assert got == [302, 200, 404, 404, 200, 404], (url, dict(zip(CAST_NAMES, got, strict=True)))
        assert login(None).get(url).url.startswith("/login/")


def test_it_serves_the_stored_pdf_as_an_attachment(cast, certificate, login):
    response = login(cast.client).get(f"/certificates/{certificate.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{certificate.number}-rev1.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert download(response) == stored(certificate.revisions.get())


def test_it_serves_the_latest_revision_and_each_earlier_one(
    cast, certificate, login, django_capture_on_commit_callbacks
):
    first_bytes = stored(certificate.revisions.get(revision=1))
    second = _reduce_scope(cast, certificate, django_capture_on_commit_callbacks)
    client = login(cast.staff)

    latest = client.get(f"/certificates/{certificate.pk}/pdf/")
    assert latest["Content-Disposition"] == f'attachment; filename="{certificate.number}-rev2.pdf"'
    assert download(latest) == stored(second)
    earlier = client.get(f"/certificates/{certificate.pk}/revisions/1/pdf/")
    assert earlier["Content-Disposition"] == f'attachment; filename="{certificate.number}-rev1.pdf"'
    assert download(earlier) == first_bytes


def test_it_answers_404_for_a_missing_revision_or_certificate(cast, certificate, login):
    client = login(cast.staff)
    assert client.get(f"/certificates/{certificate.pk}/revisions/2/pdf/").status_code == 404
    assert client.get(f"/certificates/{certificate.pk + 1}/pdf/").status_code == 404
    assert client.get(f"/certificates/{certificate.pk + 1}/revisions/1/pdf/").status_code == 404


def test_it_refuses_other_methods(cast, certificate, login):
    client = login(cast.staff)
    assert client.post(f"/certificates/{certificate.pk}/pdf/").status_code == 405
    assert client.post(f"/certificates/{certificate.pk}/revisions/1/pdf/").status_code == 405
    assert client.head(f"/certificates/{certificate.pk}/pdf/").status_code == 200


def test_it_makes_the_pdf_on_demand_when_the_task_has_not_run(cast, unprinted, login):
    revision = unprinted.revisions.get()
    assert not revision.file

    response = login(cast.client).get(f"/certificates/{unprinted.pk}/revisions/1/pdf/")
    assert response.status_code == 200
    content = download(response)
    assert qr_codes(content) == [verification_url(unprinted.number)]
    revision.refresh_from_db()
    assert revision.file.name == f"certificates/{unprinted.pk}/{unprinted.number}-rev1.pdf"
    assert revision.template_version == CERTIFICATE_TEMPLATE_VERSION
    assert stored(revision) == content

    # Made once: the next download and the task, when it runs at last, serve and keep that file.
    assert download(login(cast.staff).get(f"/certificates/{unprinted.pk}/pdf/")) == content
    assert generate_certificate_pdf(revision.pk) is False
    revision.refresh_from_db()
    assert revision.file.name == f"certificates/{unprinted.pk}/{unprinted.number}-rev1.pdf"


def test_it_makes_the_pdf_again_when_its_file_is_lost(cast, certificate, login):
    revision = certificate.revisions.get()
    revision.file.storage.delete(revision.file.name)

    response = login(cast.staff).get(f"/certificates/{certificate.pk}/pdf/")
    assert response.status_code == 200
    assert download(response).startswith(b"%PDF")
    revision.refresh_from_db()
    assert revision.file.storage.exists(revision.file.name)


def test_it_serves_a_stored_pdf_in_a_fixed_number_of_queries(
    cast, certificate, login, django_assert_num_queries, django_capture_on_commit_callbacks
):
    # However many revisions: session, user, groups, membership, certificate, latest revision.
    _reduce_scope(cast, certificate, django_capture_on_commit_callbacks)
    client = login(cast.client)
    with django_assert_num_queries(6):
        response = client.get(f"/certificates/{certificate.pk}/pdf/")
    assert response.status_code == 200
    response.close()


def test_it_dates_the_pdf_from_the_revisions_snapshot(cast, certificate, django_capture_on_commit_callbacks):
    # The certificate's record moves on; revision 1's file was made from revision 1's snapshot.
    Certificate.objects.filter(pk=certificate.pk).update(
        entity_name="Renamed AB", expiry_date=certificate.expiry_date + datetime.timedelta(days=365)
    )
    revision = certificate.revisions.get()
    revision.file.storage.delete(revision.file.name)
    assert revision_pdf_store(revision=revision) is True
    text = pdf_text(stored(CertificateRevision.objects.get(pk=revision.pk)))
    assert "Nordkontakt AB" in text
    assert "Renamed AB" not in text
    assert format_date(certificate.expiry_date) in text
