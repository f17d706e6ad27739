"""Complaints and appeals through their services: every state change, refusal and deadline."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from audits.models import AuditType
from certificates.models import CertificateEvent, CertificateEventKind, CertificateStatus
from certificates.services import certificate_suspend
from complaints.models import (
    AppealAgainst,
    CaseOutcome,
    CaseSource,
    CaseState,
    Complaint,
    EntryKind,
    OutcomeLetter,
)
from complaints.services import (
    appeal_file,
    appeal_reinstate,
    case_acknowledge,
    case_assign,
    case_close,
    case_deadlines,
    case_decide,
    case_report_progress,
    complaint_file,
    complaint_special_audit,
    complaint_suspend,
)
from core.errors import ConflictError, DomainError
from core.working_days import add_working_days
from tests.conftest import pdf_text

TODAY = timezone.localdate


def test_it_files_a_public_complaint_with_a_number_deadlines_and_a_receipt_in_the_submitters_language(
    cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        complaint = complaint_file(
            user=None,
            source=CaseSource.PUBLIC,
            subject="Certificate mark misused",
            description="Kundtjänst Norr uses your mark on a product.",
            submitter_name="Eva Ek",
            submitter_email="eva@example.se",
            submitter_language="sv",
        )
    year = TODAY().year
    assert complaint.number == f"K-{year}-0001"
    assert complaint.state == CaseState.RECEIVED
    assert complaint.acknowledge_by == add_working_days(TODAY(), 5)
    assert complaint.answer_by == TODAY() + datetime.timedelta(days=30)
    assert complaint.timeline.get().kind == EntryKind.RECEIVED
    (message,) = mail.outbox
    assert message.to == ["eva@example.se"]
    assert complaint.number in message.subject
    assert "Tack" in message.body  # Swedish
    second = complaint_file(
        user=None, source="public", subject="s", description="d", submitter_name="A", submitter_email="a@b.se"
    )
    assert second.number == f"K-{year}-0002"


def test_it_counts_working_days_over_a_weekend():
    friday = datetime.date(2026, 12, 4)
    assert add_working_days(friday, 5) == datetime.date(2026, 12, 11)
    assert add_working_days(friday, 1) == datetime.date(2026, 12, 7)


def test_it_skips_the_bodys_public_holidays(settings):
    # Christmas Day and Boxing Day 2025 fall on Thursday and Friday, New Year's Day 2026 on Thursday.
    tuesday = datetime.date(2025, 12, 23)
    assert add_working_days(tuesday, 5) == datetime.date(2026, 1, 2)
    settings.CERTIFICATION_BODY_HOLIDAYS = ""
    assert add_working_days(tuesday, 5) == datetime.date(2025, 12, 30)


def test_a_complaint_received_before_easter_is_acknowledged_after_it():
    # Good Friday 3 April and Easter Monday 6 April 2026 are Swedish public holidays.
    deadline, _answer = case_deadlines(received_on=datetime.date(2026, 4, 2), scheme=None)
    assert deadline == datetime.date(2026, 4, 13)


def test_it_takes_the_deadlines_from_the_scheme_of_the_certificate_complained_about(cast, certificate):
    scheme = cast.standard.scheme
    scheme.complaint_acknowledge_working_days, scheme.complaint_answer_days = 2, 10
    scheme.save()
    complaint = complaint_file(
        user=cast.staff,
        source=CaseSource.STAFF,
        subject="Call",
        description="A customer called about Nordkontakt's service.",
        submitter_name="Per",
        submitter_email="per@example.se",
        certificate=certificate,
    )
    assert complaint.organization == cast.org_a
    assert complaint.about == "client"
    assert (complaint.acknowledge_by, complaint.answer_by) == case_deadlines(
        received_on=TODAY(), scheme=scheme
    )
    assert complaint.answer_by == TODAY() + datetime.timedelta(days=10)


def test_it_refuses_a_public_complaint_without_a_subject_or_an_address(cast):
    with pytest.raises(DomainError) as refusal:
        complaint_file(
            user=None,
            source="public",
            subject=" ",
            description="d",
            submitter_name="A",
            submitter_email="a@b.se",
        )
    assert refusal.value.field == "subject"
    with pytest.raises(DomainError) as refusal:
        complaint_file(
            user=None, source="public", subject="s", description="d", submitter_name="A", submitter_email=""
        )
    assert refusal.value.field == "submitter_email"
    assert not Complaint.objects.exists()


def test_it_files_a_portal_complaint_as_the_client_user(cast):
    cast.client.language = "sv"
    cast.client.email = "anna@nordkontakt.se"
    cast.client.save()
    complaint = complaint_file(
        user=cast.client, source=CaseSource.PORTAL, subject="Invoice", description="Twice."
    )
    assert complaint.submitted_by == cast.client
    assert complaint.submitter_organization == cast.org_a
    assert complaint.submitter_email == "anna@nordkontakt.se"
    assert complaint.submitter_language == "sv"


def test_it_refuses_the_portal_and_staff_recording_to_those_without_the_role(cast):
    with pytest.raises(PermissionDenied):
        complaint_file(user=cast.auditor, source=CaseSource.PORTAL, subject="s", description="d")
    with pytest.raises(PermissionDenied):
        complaint_file(
            user=cast.client,
            source=CaseSource.STAFF,
            subject="s",
            description="d",
            submitter_name="A",
            submitter_email="a@b.se",
        )
    assert not Complaint.objects.exists()


def test_it_acknowledges_once_by_staff_with_an_email(
    cast, public_complaint, django_capture_on_commit_callbacks
):
    with pytest.raises(PermissionDenied):
        case_acknowledge(user=cast.lead, case=public_complaint)
    with django_capture_on_commit_callbacks(execute=True):
        case = case_acknowledge(user=cast.staff, case=public_complaint)
    assert case.state == CaseState.ACKNOWLEDGED
    assert case.handler == cast.staff
    assert case.acknowledged_on == TODAY()
    (message,) = mail.outbox
    assert message.to == ["eva@example.se"]
    with pytest.raises(ConflictError, match="acknowledged"):
        case_acknowledge(user=cast.staff, case=case)


def test_it_refuses_to_investigate_before_acknowledgement(cast, public_complaint):
    with pytest.raises(ConflictError, match="Acknowledge"):
        case_assign(user=cast.staff, case=public_complaint, investigator=cast.auditor)
    public_complaint.refresh_from_db()
    assert public_complaint.investigator is None


def test_it_refuses_a_handler_who_is_not_staff(cast, public_complaint):
    with pytest.raises(DomainError) as refusal:
        case_assign(user=cast.staff, case=public_complaint, handler=cast.lead)
    assert refusal.value.field == "handler"


def test_it_puts_the_case_under_investigation_when_an_investigator_is_named(cast, investigating):
    assert investigating.state == CaseState.INVESTIGATING
    assert investigating.investigator == cast.auditor
    assert investigating.timeline.filter(kind=EntryKind.ASSIGNED, visible_to_submitter=False).exists()


def test_it_refuses_the_audit_team_as_investigator_of_a_complaint_about_the_audit(cast, closed_audit):
    complaint = complaint_file(
        user=cast.staff,
        source=CaseSource.STAFF,
        subject="Audit",
        description="Too short.",
        submitter_name="Anna",
        submitter_email="anna@example.se",
        organization=cast.org_a,
    )
    Complaint.objects.filter(pk=complaint.pk).update(audit=closed_audit)
    complaint.refresh_from_db()
    case_acknowledge(user=cast.staff, case=complaint)
    with pytest.raises(
        DomainError, match=r"team of the audit complained about.*ISO/IEC 17021-1 9\.8"
    ) as refusal:
        case_assign(user=cast.staff, case=complaint, investigator=cast.lead)
    assert refusal.value.field == "investigator"
    complaint.refresh_from_db()
    assert complaint.investigator is None and complaint.state == CaseState.ACKNOWLEDGED


def test_it_lets_the_investigator_report_progress_and_mails_only_the_visible(
    cast, investigating, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        internal = case_report_progress(user=cast.auditor, case=investigating, text="Called the lead.")
    assert not internal.visible_to_submitter
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        case_report_progress(
            user=cast.auditor, case=investigating, text="We are checking records.", visible_to_submitter=True
        )
    (message,) = mail.outbox
    assert "We are checking records." in message.body
    with pytest.raises(PermissionDenied):
        case_report_progress(user=cast.lead, case=investigating, text="x")


def test_it_decides_with_reasons_and_sends_the_outcome_letter_in_the_submitters_language(
    cast, investigating, django_capture_on_commit_callbacks
):
    with pytest.raises(PermissionDenied):
        case_decide(user=cast.auditor, case=investigating, outcome="upheld", reasons="x")
    with pytest.raises(DomainError) as refusal:
        case_decide(user=cast.staff, case=investigating, outcome="upheld", reasons=" ")
    assert refusal.value.field == "reasons"
    with pytest.raises(DomainError):
        case_decide(user=cast.staff, case=investigating, outcome="maybe", reasons="x")
    with django_capture_on_commit_callbacks(execute=True):
        case = case_decide(
            user=cast.staff, case=investigating, outcome=CaseOutcome.PARTLY, reasons="The tone was wrong."
        )
    assert case.state == CaseState.DECIDED
    assert case.decided_by == cast.staff and case.decided_on == TODAY()
    letter = OutcomeLetter.objects.get(case_number=case.number)
    assert letter.language == "sv"
    text = pdf_text(letter.file.read())
    assert case.number in text and "Delvis" in text and "The tone was wrong." in text
    (message,) = mail.outbox
    assert message.attachments[0][0] == f"{case.number}.pdf"
    with pytest.raises(ConflictError):
        case_decide(user=cast.staff, case=case, outcome="upheld", reasons="Again.")


def test_it_closes_only_a_decided_case(cast, investigating):
    with pytest.raises(ConflictError, match="closed"):
        case_close(user=cast.staff, case=investigating)
    case_decide(user=cast.staff, case=investigating, outcome="not_upheld", reasons="No evidence.")
    case = case_close(user=cast.staff, case=investigating)
    assert case.state == CaseState.CLOSED and case.closed_on == TODAY()
    with pytest.raises(ConflictError):
        case_report_progress(user=cast.staff, case=case, text="Late note.")


def test_it_arranges_a_special_audit_after_a_complaint_about_a_client(cast, certificate):
    complaint = complaint_file(
        user=cast.staff,
        source="staff",
        subject="Service",
        description="Unanswered calls.",
        submitter_name="Per",
        submitter_email="per@example.se",
        certificate=certificate,
    )
    with pytest.raises(PermissionDenied):
        complaint_special_audit(user=cast.lead, complaint=complaint, reason="Check the queues.")
    audit = complaint_special_audit(user=cast.staff, complaint=complaint, reason="Check the queues.")
    assert audit.audit_type == AuditType.SPECIAL
    assert audit.programme == certificate.programme
    assert complaint.number in audit.scope
    complaint.refresh_from_db()
    assert complaint.special_audit == audit
    with pytest.raises(ConflictError, match="already"):
        complaint_special_audit(user=cast.staff, complaint=complaint, reason="Again.")


def test_it_refuses_an_audit_or_suspension_after_a_complaint_about_the_body(cast, public_complaint):
    with pytest.raises(ConflictError, match="certified client"):
        complaint_special_audit(user=cast.staff, complaint=public_complaint, reason="x")
    with pytest.raises(ConflictError, match="certified client"):
        complaint_suspend(user=cast.staff, complaint=public_complaint, reason="x")


def test_it_suspends_the_certificate_complained_about_through_the_certificates_service(cast, certificate):
    complaint = complaint_file(
        user=cast.staff,
        source="staff",
        subject="Mark",
        description="Misuse.",
        submitter_name="Per",
        submitter_email="per@example.se",
        certificate=certificate,
    )
    with pytest.raises(DomainError):
        complaint_suspend(user=cast.staff, complaint=complaint, reason=" ")
    complaint_suspend(user=cast.staff, complaint=complaint, reason="Misuse of the mark.")
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.SUSPENDED
    event = certificate.events.get(kind=CertificateEventKind.SUSPENDED)
    assert complaint.number in event.reason and "Misuse of the mark." in event.reason
    assert complaint.timeline.filter(kind=EntryKind.SUSPENSION).exists()


@pytest.fixture
def suspension(cast, certificate):
    certificate_suspend(certificate=certificate, user=cast.staff, reason="No answer to the NCR.")
    return CertificateEvent.objects.get(certificate=certificate, kind=CertificateEventKind.SUSPENDED)


@pytest.fixture
def suspension_appeal(cast, suspension):
    return appeal_file(
        user=cast.client,
        source="portal",
        subject="We answered",
        description="Our answer was sent in time.",
        certificate_event=suspension,
    )


def test_it_files_an_appeal_against_the_clients_own_suspension(cast, suspension_appeal):
    assert suspension_appeal.number.startswith(f"A-{TODAY().year}-")
    assert suspension_appeal.against == AppealAgainst.SUSPENSION
    assert suspension_appeal.organization == cast.org_a


def test_it_refuses_an_appeal_against_another_clients_decision(cast, suspension):
    with pytest.raises(DomainError) as refusal:
        appeal_file(
            user=cast.other, source="portal", subject="s", description="d", certificate_event=suspension
        )
    assert refusal.value.field == "against"
    with pytest.raises(DomainError):
        appeal_file(
            user=cast.client, source="public", subject="s", description="d", certificate_event=suspension
        )


def _to_investigation(cast, appeal, investigator):
    case_acknowledge(user=cast.staff, case=appeal)
    return case_assign(user=cast.staff, case=appeal, investigator=investigator)


def test_it_refuses_the_appeal_decision_to_who_suspended(cast, staff2, suspension_appeal):
    appeal = _to_investigation(cast, suspension_appeal, staff2)
    with pytest.raises(DomainError, match=r"ISO/IEC 17021-1 9\.7"):
        case_decide(user=cast.staff, case=appeal, outcome="upheld", reasons="Answered in time.")
    appeal.refresh_from_db()
    assert appeal.state == CaseState.INVESTIGATING


def test_it_refuses_the_decider_and_the_team_on_an_appeal_against_a_decision(cast, staff2, certificate):
    appeal = appeal_file(
        user=cast.client,
        source="portal",
        subject="Scope",
        description="Göteborg left out.",
        decision=certificate.decision,
    )
    case_acknowledge(user=staff2, case=appeal)
    with pytest.raises(DomainError, match=r"9\.5\.1\.2"):
        case_assign(user=staff2, case=appeal, investigator=cast.lead)
    case_assign(user=staff2, case=appeal, investigator=staff2)
    with pytest.raises(DomainError, match="You made the decision appealed"):
        case_decide(user=cast.staff, case=appeal, outcome="not_upheld", reasons="x")
    case_decide(user=staff2, case=appeal, outcome="not_upheld", reasons="The sample was valid.")


def test_an_upheld_appeal_lifts_the_suspension_with_the_restore_service(
    cast, staff2, suspension, suspension_appeal
):
    appeal = _to_investigation(cast, suspension_appeal, staff2)
    with pytest.raises(ConflictError, match="upheld"):
        appeal_reinstate(user=staff2, appeal=appeal, reason="Answered.")
    case_decide(user=staff2, case=appeal, outcome="upheld", reasons="The answer was sent in time.")
    with pytest.raises(PermissionDenied):
        appeal_reinstate(user=cast.client, appeal=appeal, reason="Answered.")
    certificate = appeal_reinstate(user=staff2, appeal=appeal, reason="Answered in time.")
    assert certificate.status == CertificateStatus.ACTIVE
    appeal.refresh_from_db()
    assert appeal.remedy_event.kind == CertificateEventKind.RESTORED
    assert appeal.number in appeal.remedy_event.reason
    # The suspension itself is never edited: it stays, followed by the restoration.
    suspension.refresh_from_db()
    assert suspension.reason == "No answer to the NCR."
    with pytest.raises(ConflictError, match="already"):
        appeal_reinstate(user=staff2, appeal=appeal, reason="Again.")


def test_it_lists_overdue_cases(cast, public_complaint):
    later = public_complaint.acknowledge_by + datetime.timedelta(days=1)
    assert list(Complaint.objects.overdue(later)) == [public_complaint]
    assert list(Complaint.objects.overdue(public_complaint.acknowledge_by)) == []
    case_acknowledge(user=cast.staff, case=public_complaint)
    assert list(Complaint.objects.overdue(later)) == []
    past_answer = public_complaint.answer_by + datetime.timedelta(days=1)
    assert list(Complaint.objects.overdue(past_answer)) == [public_complaint]
