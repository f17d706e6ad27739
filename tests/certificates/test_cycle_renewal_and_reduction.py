"""The certification cycle on the certificate (ISO/IEC 17021-1 9.6.3, 9.6.5): renewal based on the
old expiry, restoration within the scheme's months after expiry with the lapse shown, and the end
of a suspension by reducing the scope."""

import datetime

import pytest
from django.utils import timezone

from audits.cycle import add_months
from audits.models import Audit, AuditStatus, AuditType
from certificates.models import Certificate, CertificateEventKind, CertificateStatus, Decision
from certificates.services import (
    certificate_change_scope,
    certificate_suspend,
    certificates_daily,
    decision_record,
)
from core.errors import ConflictError, DomainError
from tests.conftest import download, page_text, pdf_text

DAY = datetime.timedelta(days=1)


def _expiring_on(certificate, expiry: datetime.date) -> Certificate:
    """The certificate as if granted three years before `expiry` (a decision cannot be dated ahead)."""
    issued = add_months(expiry + DAY, -36)
    Certificate.objects.filter(pk=certificate.pk).update(
        original_issue_date=issued, issue_date=issued, expiry_date=expiry
    )
    certificate.refresh_from_db()
    return certificate


def _recertification(certificate) -> Audit:
    audit = certificate.programme.audits.get(audit_type=AuditType.RECERTIFICATION)
    Audit.objects.filter(pk=audit.pk).update(status=AuditStatus.CLOSED, closed_at=timezone.now())
    return audit


def _renew(certificate, user):
    return decision_record(
        audit=_recertification(certificate), user=user, outcome="renew", rationale="Recertified."
    )


def _next_cycle_end(expiry: datetime.date) -> datetime.date:
    return add_months(expiry + DAY, 36) - DAY


# -- Renewal ------------------------------------------------------------------------------------


def test_it_bases_the_expiry_on_the_old_one_when_the_renewal_comes_after_it(cast, certificate):
    today = timezone.localdate()
    old_expiry = today - 40 * DAY
    _expiring_on(certificate, old_expiry)

    _renew(certificate, cast.staff)

    certificate.refresh_from_db()
    # Not today + 36 months: the restored certificate keeps the prior cycle's rhythm.
    assert certificate.expiry_date == _next_cycle_end(old_expiry)
    assert certificate.issue_date == today
    assert certificate.status == CertificateStatus.ACTIVE
    assert (certificate.lapsed_from, certificate.lapsed_until) == (old_expiry + DAY, today - DAY)
    latest = certificate.revisions.order_by("-revision").first()
    assert latest.snapshot["lapsed_from"] == (old_expiry + DAY).isoformat()
    assert "lapse" in latest.reason


def test_it_restores_an_expired_certificate_marked_by_the_daily_run(cast, certificate):
    today = timezone.localdate()
    old_expiry = today - 100 * DAY
    _expiring_on(certificate, old_expiry)
    certificates_daily(today=today)
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.EXPIRED

    _renew(certificate, cast.staff)

    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.ACTIVE
    assert certificate.expiry_date == _next_cycle_end(old_expiry)


def test_it_shows_no_lapse_when_renewed_before_expiry(cast, certificate):
    old_expiry = timezone.localdate() + 30 * DAY
    _expiring_on(certificate, old_expiry)

    _renew(certificate, cast.staff)

    certificate.refresh_from_db()
    assert certificate.expiry_date == _next_cycle_end(old_expiry)
    assert (certificate.lapsed_from, certificate.lapsed_until) == (None, None)


def test_it_anchors_the_next_cycle_on_the_old_expiry_not_on_an_early_decision(cast, certificate):
    today = timezone.localdate()
    old_expiry = today + 90 * DAY
    _expiring_on(certificate, old_expiry)

    _renew(certificate, cast.staff)

    certificate.refresh_from_db()
    programme = certificate.programme
    new_start = old_expiry + DAY
    third = programme.audits.get(audit_type=AuditType.SURVEILLANCE, sequence=3)
    second_recertification = programme.audits.get(audit_type=AuditType.RECERTIFICATION, sequence=2)
    assert third.due_date == add_months(new_start, 12)
    assert second_recertification.due_date == certificate.expiry_date - DAY


def test_it_refuses_a_renewal_more_than_6_months_after_expiry(cast, certificate, api):
    old_expiry = add_months(timezone.localdate(), -7)
    _expiring_on(certificate, old_expiry)
    recertification = _recertification(certificate)

    with pytest.raises(ConflictError, match="start over from a stage 2 audit"):
        decision_record(audit=recertification, user=cast.staff, outcome="renew", rationale="Late.")
    response = api(cast.staff).post(
        f"/api/v1/audits/{recertification.pk}/decision/",
        {"outcome": "renew", "rationale": "Late."},
        format="json",
    )

    assert response.status_code == 409
    assert "more than 6 months" in response.json()["detail"]
    certificate.refresh_from_db()
    assert certificate.expiry_date == old_expiry
    assert not Decision.objects.filter(audit=recertification).exists()
    assert not certificate.programme.audits.filter(audit_type=AuditType.SURVEILLANCE, sequence=3).exists()


def test_it_follows_the_schemes_restoration_window(cast, certificate):
    cast.standard.scheme.restore_after_expiry_months = 9
    cast.standard.scheme.save(update_fields=["restore_after_expiry_months"])
    old_expiry = add_months(timezone.localdate(), -7)
    _expiring_on(certificate, old_expiry)

    _renew(certificate, cast.staff)

    certificate.refresh_from_db()
    assert certificate.expiry_date == _next_cycle_end(old_expiry)


def test_it_states_the_lapse_on_the_page_the_pdf_and_public_verification(cast, certificate, login, api):
    today = timezone.localdate()
    _expiring_on(certificate, today - 40 * DAY)
    _renew(certificate, cast.staff)
    certificate.refresh_from_db()

    page = page_text(login(cast.staff).get(f"/certificates/{certificate.pk}/"))
    assert "Lapse in certification" in page
    assert "Not certified from" in page
    public = page_text(login(None).get(f"/verify/{certificate.number}/"))
    assert "Not certified from" in public
    record = api(None).get(f"/api/v1/public/certificates/{certificate.number}/").json()
    assert record["lapsed_from"] == certificate.lapsed_from.isoformat()
    assert record["lapsed_until"] == (today - DAY).isoformat()
    text = " ".join(pdf_text(download(login(cast.staff).get(f"/certificates/{certificate.pk}/pdf/"))).split())
    assert "Not certified" in text
    assert "(restored after expiry)" in text


# -- Suspension ended by reducing the scope -----------------------------------------------------


@pytest.fixture
def suspended(cast, certificate):
    certificate_suspend(certificate=certificate, user=cast.staff, reason="Malmö failed its audit")
    certificate.refresh_from_db()
    return certificate


def test_it_reduces_a_suspended_certificate_and_makes_it_active_again(cast, suspended):
    stockholm, goteborg = (cast.org_a.sites.get(name=name) for name in ("Stockholm", "Göteborg"))

    certificate_change_scope(
        certificate=suspended,
        user=cast.staff,
        reason="Malmö does not meet the requirements: taken out of the scope.",
        scope=suspended.scope,
        site_scopes=[(stockholm, ""), (goteborg, "")],
    )

    suspended.refresh_from_db()
    assert suspended.status == CertificateStatus.ACTIVE
    assert (suspended.suspended_until, suspended.status_reason) == (None, "")
    assert suspended.revision == 2
    assert [site.name for site in suspended.sites.all()] == ["Stockholm", "Göteborg"]
    event = suspended.events.last()
    assert event.kind == CertificateEventKind.SCOPE_REDUCED
    assert "Malmö does not meet" in event.reason
    assert suspended.revisions.get(revision=2).reason.startswith("Malmö does not meet")


def test_it_refuses_to_widen_a_suspended_certificate(cast, suspended):
    stockholm = cast.org_a.sites.get(name="Stockholm")
    suspended.sites.exclude(site=stockholm).delete()
    goteborg = cast.org_a.sites.get(name="Göteborg")
    with pytest.raises(DomainError, match="can only be reduced"):
        certificate_change_scope(
            certificate=suspended,
            user=cast.staff,
            reason="Add Göteborg",
            scope=suspended.scope,
            site_scopes=[(stockholm, ""), (goteborg, "")],
        )
    suspended.refresh_from_db()
    assert suspended.status == CertificateStatus.SUSPENDED


def test_it_refuses_a_reduction_that_takes_nothing_out(cast, suspended):
    with pytest.raises(DomainError, match="Nothing is taken out"):
        certificate_change_scope(
            certificate=suspended,
            user=cast.staff,
            reason="Same",
            scope=suspended.scope,
            site_scopes=[(entry.site, entry.scope) for entry in suspended.sites.all()],
        )
    narrowed = certificate_change_scope(
        certificate=suspended,
        user=cast.staff,
        reason="Chat is no longer certified.",
        scope="Inbound customer service by telephone and e-mail.",
        site_scopes=[(entry.site, entry.scope) for entry in suspended.sites.all()],
    )
    assert narrowed.status == CertificateStatus.ACTIVE


def test_it_reduces_a_suspended_certificate_over_the_api(cast, suspended, api):
    stockholm = cast.org_a.sites.get(name="Stockholm")
    malmo = cast.org_a.sites.get(name="Malmö")
    url = f"/api/v1/certificates/{suspended.pk}/scope/"
    body = {"reason": "Only Stockholm remains.", "scope": suspended.scope, "sites": [{"site": stockholm.pk}]}

    response = api(cast.staff).post(url, body, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "active"
    assert [site["name"] for site in response.json()["sites"]] == ["Stockholm"]
    assert response.json()["events"][-1]["kind"] == "scope_reduced"
    certificate_suspend(certificate=suspended, user=cast.staff, reason="Again")
    widened = {**body, "sites": [{"site": stockholm.pk}, {"site": malmo.pk}]}
    refused = api(cast.staff).post(url, widened, format="json")
    assert refused.status_code == 400
    assert "can only be reduced" in refused.content.decode()


def test_it_offers_the_reduction_of_a_suspended_certificate_on_its_page(cast, suspended, login):
    stockholm = cast.org_a.sites.get(name="Stockholm")
    client = login(cast.staff)
    page = page_text(client.get(f"/certificates/{suspended.pk}/"))
    assert "Reduce the scope and end the suspension" in page

    response = client.post(
        f"/certificates/{suspended.pk}/scope/",
        {
            "scope-reason": "Göteborg and Malmö taken out.",
            "scope-scope": suspended.scope,
            f"scope-site_{stockholm.pk}": "on",
            f"scope-site_{stockholm.pk}_scope": "",
        },
    )

    assert response.status_code == 302
    suspended.refresh_from_db()
    assert suspended.status == CertificateStatus.ACTIVE
    assert [site.name for site in suspended.sites.all()] == ["Stockholm"]
