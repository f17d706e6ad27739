"""Decisions and the certificate's life: who may decide, what each decision does, every transition."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.roles import STAFF, role_group
from audits.cycle import add_months
from audits.models import Audit, AuditStatus, AuditType, TeamMember
from certificates.models import Certificate, CertificateEventKind, CertificateStatus, DecisionOutcome
from certificates.services import (
    certificate_change_scope,
    certificate_restore,
    certificate_suspend,
    certificate_withdraw,
    certificates_daily,
    decision_problems,
    decision_record,
)
from core.errors import ConflictError, DomainError
from findings.models import Nonconformity, NonconformityStatus
from tests.factories import UserFactory, ready_to_certify


def _grant(audit, user, **kwargs):
    """Grant on the audit once its sampled sites have findings and its minors accepted plans."""
    ready_to_certify(audit)
    return decision_record(audit=audit, user=user, outcome="grant", rationale="Requirements met.", **kwargs)


def test_it_grants_and_issues_the_certificate(cast, closed_audit):
    decision = _grant(closed_audit, cast.staff)
    certificate = Certificate.objects.get()
    today = timezone.localdate()
    assert certificate.number == f"CERT-{today.year}-0001"
    assert certificate.decision == decision
    assert certificate.entity_name == "Nordkontakt AB"
    assert certificate.status == CertificateStatus.ACTIVE
    assert certificate.issue_date == certificate.original_issue_date == today
    # Three years, to the day before the decision's date: the 36-month cycle of the scheme.
    assert certificate.expiry_date == add_months(today, 36) - datetime.timedelta(days=1)
    assert certificate.revision == 1
    assert [site.name for site in certificate.sites.all()] == ["Stockholm", "Göteborg", "Malmö"]
    assert list(certificate.standards.all()) == [cast.standard]
    assert certificate.revisions.get().snapshot["number"] == certificate.number
    assert certificate.events.get().kind == CertificateEventKind.ISSUED
    closed_audit.programme.refresh_from_db()
    assert closed_audit.programme.decision_date == today


def test_it_refuses_a_decision_by_a_team_member(cast, closed_audit):
    # The lead is made staff too: still on the team, still refused.
    cast.lead.groups.add(role_group(STAFF))
    with pytest.raises(DomainError, match="You were on the team"):
        _grant(closed_audit, cast.lead)
    assert not Certificate.objects.exists()


def test_it_refuses_a_decision_by_someone_on_the_stage_1_team(cast, closed_audit):
    stage1 = closed_audit.programme.audits.get(audit_type=AuditType.STAGE1)
    TeamMember.objects.create(audit=stage1, user=cast.staff, role="auditor")
    problems = decision_problems(audit=closed_audit, user=cast.staff)
    assert any("Stage 1" in problem for problem in problems)
    with pytest.raises(DomainError):
        _grant(closed_audit, cast.staff)


def test_it_refuses_a_decision_by_someone_who_is_not_staff(cast, closed_audit):
    with pytest.raises(PermissionDenied):
        _grant(closed_audit, cast.auditor)


def test_it_refuses_a_decision_on_an_open_audit(cast, onsite_audit):
    with pytest.raises(ConflictError, match="not closed"):
        _grant(onsite_audit, cast.staff)


def test_it_refuses_a_grant_while_a_major_is_open(cast, closed_audit):
    Nonconformity.objects.update(grade="major")
    with pytest.raises(DomainError, match="Major nonconformities are not closed"):
        _grant(closed_audit, cast.staff)
    Nonconformity.objects.update(status=NonconformityStatus.CLOSED)
    assert _grant(closed_audit, cast.staff).outcome == DecisionOutcome.GRANT


def test_it_refuses_a_second_decision_and_the_wrong_outcome(cast, closed_audit):
    ready_to_certify(closed_audit)
    with pytest.raises(DomainError, match="grant certification, refuse"):
        decision_record(audit=closed_audit, user=cast.staff, outcome="renew", rationale="x")
    with pytest.raises(DomainError, match="rationale"):
        decision_record(audit=closed_audit, user=cast.staff, outcome="grant", rationale=" ")
    _grant(closed_audit, cast.staff)
    with pytest.raises(ConflictError, match="already has its decision"):
        _grant(closed_audit, cast.staff)


def test_it_refuses_a_decision_dated_in_the_future_or_before_closing(cast, closed_audit):
    today = timezone.localdate()
    with pytest.raises(DomainError, match="future"):
        _grant(closed_audit, cast.staff, decided_on=today + datetime.timedelta(days=1))
    with pytest.raises(DomainError, match="before the audit was closed"):
        _grant(closed_audit, cast.staff, decided_on=today - datetime.timedelta(days=1))


def test_it_refuses_a_grant_for_a_stage_1(cast, closed_audit):
    stage1 = closed_audit.programme.audits.get(audit_type=AuditType.STAGE1)
    Audit.objects.filter(pk=stage1.pk).update(status=AuditStatus.CLOSED, closed_at=timezone.now())
    with pytest.raises(DomainError, match="stage 1"):
        _grant(stage1, cast.staff)


def test_it_refuses_a_decision_on_an_audit_outside_a_programme(cast, closed_audit, api):
    # The API makes audits outside a programme; a decision has no cycle there to start or continue
    # (it once failed with a server error on granting).
    Audit.objects.filter(pk=closed_audit.pk).update(programme=None)
    closed_audit.refresh_from_db()
    assert "no certification programme" in " ".join(decision_problems(audit=closed_audit, user=cast.staff))
    with pytest.raises(DomainError, match="no certification programme"):
        _grant(closed_audit, cast.staff)
    response = api(cast.staff).post(
        f"/api/v1/audits/{closed_audit.pk}/decision/",
        {"outcome": "grant", "rationale": "Requirements met."},
        format="json",
    )
    assert response.status_code == 400
    assert "no certification programme" in response.content.decode()
    assert not Certificate.objects.exists()


@pytest.fixture
def certificate(cast, closed_audit):
    _grant(closed_audit, cast.staff)
    return Certificate.objects.get()


def test_it_suspends_restores_and_withdraws(cast, certificate):
    with pytest.raises(DomainError, match="reason"):
        certificate_suspend(certificate=certificate, user=cast.staff, reason="")
    certificate_suspend(certificate=certificate, user=cast.staff, reason="No answer to NC within 90 days")
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.SUSPENDED
    today = timezone.localdate()
    assert (certificate.suspended_until - today).days in range(181, 185)
    with pytest.raises(ConflictError, match="cannot be suspended"):
        certificate_suspend(certificate=certificate, user=cast.staff, reason="again")
    certificate_restore(certificate=certificate, user=cast.staff, reason="Answered")
    certificate.refresh_from_db()
    assert (certificate.status, certificate.suspended_until) == (CertificateStatus.ACTIVE, None)
    with pytest.raises(ConflictError, match="cannot be restored"):
        certificate_restore(certificate=certificate, user=cast.staff)
    certificate_withdraw(certificate=certificate, user=cast.staff, reason="Client asked to end it")
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.WITHDRAWN
    with pytest.raises(ConflictError):
        certificate_suspend(certificate=certificate, user=cast.staff, reason="x")
    kinds = list(certificate.events.values_list("kind", "by__username"))
    assert kinds == [
        ("issued", "staff"),
        ("suspended", "staff"),
        ("restored", "staff"),
        ("withdrawn", "staff"),
    ]


def test_it_refuses_a_suspension_longer_than_the_policy(cast, certificate):
    far = timezone.localdate() + datetime.timedelta(days=400)
    with pytest.raises(DomainError, match="at most 6 months"):
        certificate_suspend(certificate=certificate, user=cast.staff, reason="x", until=far)
    with pytest.raises(DomainError, match="after today"):
        certificate_suspend(certificate=certificate, user=cast.staff, reason="x", until=timezone.localdate())


def test_it_lets_only_staff_change_a_certificate(cast, certificate):
    for user in (cast.lead, cast.client, UserFactory()):
        with pytest.raises(PermissionDenied):
            certificate_suspend(certificate=certificate, user=user, reason="x")


def test_it_reduces_the_scope_as_a_new_revision(cast, certificate):
    stockholm = cast.org_a.sites.get(name="Stockholm")
    certificate_change_scope(
        certificate=certificate,
        user=cast.staff,
        reason="Göteborg and Malmö closed",
        scope="Inbound customer service by telephone.",
        site_scopes=[(stockholm, "Inbound telephone")],
    )
    certificate.refresh_from_db()
    assert certificate.revision == 2
    assert [(site.name, site.scope) for site in certificate.sites.all()] == [
        ("Stockholm", "Inbound telephone")
    ]
    assert list(certificate.revisions.values_list("revision", flat=True)) == [1, 2]
    assert certificate.revisions.get(revision=1).snapshot["sites"][1]["name"] == "Göteborg"
    with pytest.raises(DomainError, match="another|not a site"):
        certificate_change_scope(
            certificate=certificate,
            user=cast.staff,
            reason="x",
            scope="y",
            site_scopes=[(cast.org_b.sites.get(), "")],
        )


def test_it_expires_and_flags_overdue_suspensions_once(cast, certificate):
    certificate_suspend(certificate=certificate, user=cast.staff, reason="x")
    certificate.refresh_from_db()
    day_after = certificate.suspended_until + datetime.timedelta(days=1)
    assert certificates_daily(today=day_after) == {"expired": 0, "suspensions_overdue": 1}
    assert certificates_daily(today=day_after) == {"expired": 0, "suspensions_overdue": 0}
    after_expiry = certificate.expiry_date + datetime.timedelta(days=1)
    assert certificates_daily(today=after_expiry)["expired"] == 1
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.EXPIRED
    assert certificate.events.filter(kind="expired", by__isnull=True).exists()


def test_it_renews_on_recertification_and_plans_the_next_cycle(cast, certificate):
    programme = certificate.programme
    recertification = programme.audits.get(audit_type=AuditType.RECERTIFICATION)
    Audit.objects.filter(pk=recertification.pk).update(status=AuditStatus.CLOSED, closed_at=timezone.now())
    old_expiry = certificate.expiry_date
    decision_record(audit=recertification, user=cast.staff, outcome="renew", rationale="Recertified.")
    certificate.refresh_from_db()
    assert certificate.number.startswith("CERT-")
    assert certificate.revision == 2
    assert certificate.expiry_date == add_months(
        old_expiry + datetime.timedelta(days=1), 36
    ) - datetime.timedelta(days=1)
    assert certificate.events.last().kind == CertificateEventKind.RENEWED
    surveillances = programme.audits.filter(audit_type=AuditType.SURVEILLANCE).order_by("sequence")
    assert list(surveillances.values_list("sequence", flat=True)) == [1, 2, 3, 4]
    assert surveillances.last().due_date is not None
    assert programme.audits.filter(audit_type=AuditType.RECERTIFICATION).count() == 2


def test_it_maintains_after_surveillance(cast, certificate):
    surveillance = certificate.programme.audits.get(audit_type=AuditType.SURVEILLANCE, sequence=1)
    Audit.objects.filter(pk=surveillance.pk).update(status=AuditStatus.CLOSED, closed_at=timezone.now())
    with pytest.raises(DomainError, match="maintain"):
        decision_record(audit=surveillance, user=cast.staff, outcome="grant", rationale="x")
    decision_record(audit=surveillance, user=cast.staff, outcome="maintain", rationale="Still effective.")
    assert certificate.events.last().kind == CertificateEventKind.MAINTAINED
