"""What the certification journey in the browser (tests/e2e/test_journey_certification.py) found and fixed.

- The public pages wrote dates as "Nov. 27, 2099" (Django's English DATE_FORMAT); shared/UI.md wants
  them as people write them: 27 Nov 2099, and in Swedish 27 nov 2099 (config/formats).
- On a phone the public page's heading broke the certificate number at its hyphens ("CERT-2026-" /
  "0001"); the number is now one unbreakable piece in the heading.
"""

import datetime
import re

import pytest
from django.utils import formats, translation

from audits.services import audit_update
from certificates.models import Certificate, CertificateStatus
from certificates.services import decision_record
from core.pdf import format_date
from reports.services import audit_close

EXPIRY = datetime.date(2099, 11, 27)
SUSPENDED_UNTIL = datetime.date(2099, 1, 27)


@pytest.fixture
def certificate(cast, onsite_audit):
    """Nordkontakt's certificate, suspended, with dates far enough ahead never to lapse."""
    audit_update(audit=onsite_audit, scope="Inbound customer service by telephone, e-mail and chat.")
    audit_close(audit=onsite_audit, user=cast.lead, recommendation="certify")
    decision_record(audit=onsite_audit, user=cast.staff, outcome="grant", rationale="Requirements met.")
    Certificate.objects.update(
        expiry_date=EXPIRY, status=CertificateStatus.SUSPENDED, suspended_until=SUSPENDED_UNTIL
    )
    return Certificate.objects.get()


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_it_writes_public_dates_as_people_write_them(certificate, client):
    verify = _text(client.get(f"/verify/{certificate.number}/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "<dd>27 Nov 2099</dd>" in verify
    assert "Suspended until 27 Jan 2099" in verify
    assert "Nov." not in verify
    register = _text(client.get("/register/?q=Nordkontakt", HTTP_ACCEPT_LANGUAGE="en"))
    assert ">27 Nov 2099</td>" in register
    assert "Nov." not in register


def test_it_writes_public_dates_as_swedes_write_them(certificate, client):
    with translation.override("sv"):
        assert format_date(EXPIRY) == formats.date_format(EXPIRY, "DATE_FORMAT") == "27 nov 2099"
    verify = _text(client.get(f"/verify/{certificate.number}/", HTTP_ACCEPT_LANGUAGE="sv"))
    assert "<dd>27 nov 2099</dd>" in verify
    assert "27 jan 2099" in verify
    assert "Nov" not in verify
    register = _text(client.get("/register/?q=Nordkontakt", HTTP_ACCEPT_LANGUAGE="sv"))
    assert ">27 nov 2099</td>" in register


def test_it_keeps_the_certificate_number_in_one_piece(certificate, client):
    body = _text(client.get(f"/verify/{certificate.number}/"))
    assert f'<h1>Certificate <span class="certificate-number">{certificate.number}</span></h1>' in body
    swedish = _text(client.get(f"/verify/{certificate.number}/", HTTP_ACCEPT_LANGUAGE="sv"))
    assert f'<h1>Certifikat <span class="certificate-number">{certificate.number}</span></h1>' in swedish
