"""The decision page and the certificate pages: who may see and act, and what each step shows."""

import pytest

from accounts.roles import STAFF, role_group
from audits.services import audit_update
from certificates.models import Certificate, CertificateStatus, Decision
from certificates.services import decision_record
from core.actors import SYSTEM
from findings.services import finding_create
from reports.services import audit_close
from tests.conftest import CAST_NAMES, page_text, qr_codes
from tests.factories import closing_report, ready_to_certify


def test_it_guards_the_decision_page(cast, closed_audit, login):
    got = [
        login(cast.user(name)).get(f"/audits/{closed_audit.pk}/decision/").status_code for name in CAST_NAMES
    ]
    assert got == [302, 200, 403, 404, 403, 404]


def test_it_grants_in_the_browser_and_opens_the_certificate(cast, closed_audit, login):
    ready_to_certify(closed_audit)
    response = login(cast.staff).post(
        f"/audits/{closed_audit.pk}/decision/",
        {"outcome": "grant", "rationale": "Effective system; minor answered."},
    )
    certificate = Certificate.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/certificates/{certificate.pk}/"
    body = page_text(login(cast.staff).get(f"/audits/{closed_audit.pk}/"))
    assert certificate.number in body
    assert "Grant certification" in body


def test_it_shows_why_a_team_member_cannot_decide(cast, closed_audit, login):
    cast.lead.groups.add(role_group(STAFF))
    body = page_text(login(cast.lead).get(f"/audits/{closed_audit.pk}/decision/"))
    assert "You were on the team" in body
    assert "Rationale" not in body  # no decision form at all
    response = login(cast.lead).post(
        f"/audits/{closed_audit.pk}/decision/", {"outcome": "grant", "rationale": "x"}
    )
    assert response.status_code == 400
    assert "You were on the team" in page_text(response)
    assert not Decision.objects.exists()


def test_it_keeps_the_rationale_when_the_form_is_wrong(cast, closed_audit, login):
    response = login(cast.staff).post(
        f"/audits/{closed_audit.pk}/decision/", {"outcome": "renew", "rationale": "My careful rationale"}
    )
    assert response.status_code == 400
    body = page_text(response)
    assert "My careful rationale" in body
    assert "Select a valid choice" in body


def test_it_guards_the_certificate_pages(cast, certificate, login):
    urls = {
        "list": ("/certificates/", [302, 200, 200, 200, 200, 200]),
        "detail": (f"/certificates/{certificate.pk}/", [302, 200, 404, 404, 200, 404]),
    }
    for name, (url, expected) in urls.items():
        got = [login(cast.user(user)).get(url).status_code for user in CAST_NAMES]
        assert got == expected, f"{name}: {dict(zip(CAST_NAMES, got, strict=True))}"
    assert certificate.number not in page_text(login(cast.other).get("/certificates/"))
    assert certificate.number not in page_text(login(cast.lead).get("/certificates/"))


def test_it_shows_the_client_no_internal_reasons_or_forms(cast, certificate, login):
    login(cast.staff).post(
        f"/certificates/{certificate.pk}/suspend/", {"suspend-reason": "Internal: no answer for 95 days"}
    )
    body = page_text(login(cast.client).get(f"/certificates/{certificate.pk}/"))
    assert "Suspended" in body
    assert "Internal: no answer for 95 days" not in body
    assert "Requirements met." not in body
    assert 'action="/certificates/' not in body


@pytest.mark.parametrize(
    ("url", "data", "status"),
    [
        ("suspend", {"suspend-reason": "No answer to NC-2026-0001"}, CertificateStatus.SUSPENDED),
        ("withdraw", {"withdraw-reason": "Client ended the contract"}, CertificateStatus.WITHDRAWN),
    ],
)
def test_it_changes_the_status_from_the_page(url, data, status, cast, certificate, login):
    response = login(cast.staff).post(f"/certificates/{certificate.pk}/{url}/", data)
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == status
    assert certificate.events.last().reason == next(iter(data.values()))


def test_it_refuses_a_suspension_without_reason_and_out_of_turn(cast, certificate, login):
    response = login(cast.staff).post(f"/certificates/{certificate.pk}/suspend/", {"suspend-reason": ""})
    assert response.status_code == 400
    response = login(cast.staff).post(f"/certificates/{certificate.pk}/restore/", {"restore-reason": "x"})
    assert response.status_code == 400
    assert "cannot be restored" in page_text(response)
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.ACTIVE


def test_it_lets_only_staff_act(cast, certificate, login):
    assert (
        login(cast.client)
        .post(f"/certificates/{certificate.pk}/suspend/", {"suspend-reason": "x"})
        .status_code
        == 403
    )
    assert (
        login(cast.other)
        .post(f"/certificates/{certificate.pk}/suspend/", {"suspend-reason": "x"})
        .status_code
        == 404
    )
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.ACTIVE


def test_it_changes_the_scope_as_a_new_revision(cast, certificate, login):
    stockholm = cast.org_a.sites.get(name="Stockholm")
    response = login(cast.staff).post(
        f"/certificates/{certificate.pk}/scope/",
        {
            "scope-reason": "Göteborg and Malmö closed",
            "scope-scope": "Inbound customer service by telephone.",
            f"scope-site_{stockholm.pk}": "on",
            f"scope-site_{stockholm.pk}_scope": "Telephone",
        },
    )
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.revision == 2
    assert list(certificate.sites.values_list("name", "scope")) == [("Stockholm", "Telephone")]


def test_it_shows_staff_decisions_waiting(cast, closed_audit, login):
    body = page_text(login(cast.staff).get("/"))
    assert "Decisions waiting" in body
    assert f'href="/audits/{closed_audit.pk}/decision/"' in body
    ready_to_certify(closed_audit)
    decision_record(audit=closed_audit, user=cast.staff, outcome="grant", rationale="ok")
    body = page_text(login(cast.staff).get("/"))
    assert f'href="/audits/{closed_audit.pk}/decision/"' not in body
    assert "No decision is waiting." in body


def test_it_goes_from_a_closed_stage_2_to_a_verified_and_suspended_certificate(
    cast, onsite_audit, login, settings, django_capture_on_commit_callbacks
):
    """The issue's "done when": NCs closed, decision in the browser, QR to the public page, suspend."""
    from urllib.parse import urlsplit

    from findings.models import Nonconformity
    from findings.ncr import nonconformity_respond, nonconformity_review, nonconformity_verify

    settings.SITE_URL = "https://certdesk.example.se"
    audit_update(actor=SYSTEM, audit=onsite_audit, scope="Inbound customer service.")
    finding_create(
        audit=onsite_audit,
        user=cast.lead,
        clause=onsite_audit.clause_41,
        site=onsite_audit.stockholm,
        grade="major",
        statement="No complaints handling.",
    )
    audit_close(
        audit=onsite_audit,
        **closing_report(onsite_audit),
        user=cast.lead,
        recommendation="certify_after_majors",
    )
    major = Nonconformity.objects.get()
    # Refused while the major is open, and for the lead at any time.
    body = page_text(login(cast.staff).get(f"/audits/{onsite_audit.pk}/decision/"))
    assert major.number in body
    nonconformity_respond(
        nonconformity=major, user=cast.client, correction="c", root_cause="r", corrective_action="a"
    )
    nonconformity_review(nonconformity=major, user=cast.lead, decision="accept")
    nonconformity_verify(nonconformity=major, user=cast.lead, comment="Seen on site.", method="on_site")
    cast.lead.groups.add(role_group(STAFF))
    refused = login(cast.lead).post(
        f"/audits/{onsite_audit.pk}/decision/", {"outcome": "grant", "rationale": "x"}
    )
    assert refused.status_code == 400

    ready_to_certify(onsite_audit)  # the other sampled sites were audited too
    with django_capture_on_commit_callbacks(execute=True):
        login(cast.staff).post(
            f"/audits/{onsite_audit.pk}/decision/", {"outcome": "grant", "rationale": "Met."}
        )
    certificate = Certificate.objects.get()
    pdf = login(cast.client).get(f"/certificates/{certificate.pk}/pdf/")
    assert pdf.status_code == 200
    [url] = qr_codes(b"".join(pdf.streaming_content))
    path = urlsplit(url).path
    public = login(None).get(path)
    assert public.status_code == 200
    assert "Active" in page_text(public)
    login(cast.staff).post(f"/certificates/{certificate.pk}/suspend/", {"suspend-reason": "Client asked"})
    public = page_text(login(None).get(path))
    assert "Suspended" in public
    assert "Client asked" not in public
