"""Transfer of certification (IAF MD 2): every state change and every refusal of the services."""

import datetime
import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from audits.cycle import add_months
from audits.models import Audit, AuditType, Competence, TeamRole
from audits.services import programme_create, team_member_add
from certificates.models import Certificate, CertificateStatus, Decision, DecisionOutcome
from core.actors import SYSTEM
from core.errors import ConflictError, DomainError
from tests.transfers.conftest import transfer_details
from transfers import services
from transfers.checklist import ITEMS
from transfers.models import (
    CycleStage,
    NcState,
    ReviewAnswer,
    Transfer,
    TransferDocument,
    TransferStatus,
)


def png(name="certificate.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 90, 0)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def under_review(transfer, staff, reviewer) -> Transfer:
    services.transfer_assign_reviewer(user=staff, transfer=transfer, reviewer=reviewer)
    return services.transfer_start_review(user=staff, transfer=transfer)


def answer_all(transfer, reviewer) -> None:
    for item in transfer.review_items.all():
        services.review_item_answer(user=reviewer, item=item, answer=ReviewAnswer.CONFIRMED, note="Seen.")


def ready(transfer, staff, reviewer) -> Transfer:
    under_review(transfer, staff, reviewer)
    answer_all(transfer, reviewer)
    return services.transfer_complete_review(user=reviewer, transfer=transfer)


def stored(transfer) -> Transfer:
    return Transfer.objects.get(pk=transfer.pk)


# -- Taking in ----------------------------------------------------------------------------------


def test_it_records_a_draft_with_the_whole_md2_checklist_to_answer(cast, transfer):
    assert transfer.status == TransferStatus.DRAFT
    assert list(transfer.review_items.values_list("item", flat=True)) == [item.code for item in ITEMS]
    assert not transfer.review_items.exclude(answer="").exists()
    assert list(transfer.sites.all()) == list(cast.org_b.sites.all())


def test_it_refuses_transfers_to_anyone_but_staff(cast):
    for person in (cast.lead, cast.auditor, cast.client):
        with pytest.raises(PermissionDenied, match="Only certification staff"):
            services.transfer_create(
                user=person,
                organization=cast.org_b,
                standard=cast.standard,
                sites=list(cast.org_b.sites.all()),
                **transfer_details(),
            )
    assert not Transfer.objects.exists()


def test_it_refuses_a_site_of_another_organisation(cast):
    with pytest.raises(DomainError, match="is not a site of") as refused:
        services.transfer_create(
            user=cast.staff,
            organization=cast.org_b,
            standard=cast.standard,
            sites=list(cast.org_a.sites.all()),
            **transfer_details(),
        )
    assert refused.value.field == "sites"
    assert not Transfer.objects.exists()


def test_it_refuses_an_expiry_before_the_issue(cast):
    details = transfer_details()
    details["expiry_date"] = details["issue_date"]
    with pytest.raises(DomainError, match="expiry date must be after") as refused:
        services.transfer_create(
            user=cast.staff,
            organization=cast.org_b,
            standard=cast.standard,
            sites=list(cast.org_b.sites.all()),
            **details,
        )
    assert refused.value.field == "expiry_date"


def test_it_lets_staff_correct_the_details_until_it_is_decided(cast, transfer):
    services.transfer_update(
        user=cast.staff, transfer=transfer, accreditation_recognised=False, suspended=True
    )
    transfer = stored(transfer)
    assert transfer.suspended and not transfer.accreditation_recognised
    with pytest.raises(PermissionDenied):
        services.transfer_update(user=cast.lead, transfer=transfer, suspended=False)


# -- The reviewer -------------------------------------------------------------------------------


def test_it_refuses_a_reviewer_without_a_valid_competence_for_the_standard(cast, transfer):
    with pytest.raises(DomainError, match="Competence rule: .* no valid auditor competence") as refused:
        services.transfer_assign_reviewer(user=cast.staff, transfer=transfer, reviewer=cast.auditor)
    assert refused.value.field == "reviewer"
    assert stored(transfer).reviewer is None


def test_it_refuses_a_reviewer_whose_competence_has_lapsed(cast, transfer, competent_lead):
    Competence.objects.filter(user=competent_lead).update(
        valid_to=timezone.localdate() - datetime.timedelta(days=1)
    )
    with pytest.raises(DomainError, match="Competence rule"):
        services.transfer_assign_reviewer(user=cast.staff, transfer=transfer, reviewer=competent_lead)


def test_it_takes_a_competent_reviewer(cast, transfer, competent_lead):
    services.transfer_assign_reviewer(user=cast.staff, transfer=transfer, reviewer=competent_lead)
    assert stored(transfer).reviewer == competent_lead


# -- Starting the review: what cannot be transferred at all -------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"suspended": True}, "is suspended: a suspended certificate is not transferred"),
        ({"accreditation_recognised": False}, "accreditation is not recognised"),
        ({"accredited": False}, "accreditation is not recognised"),
    ],
)
def test_it_refuses_to_review_a_certificate_that_cannot_be_transferred(
    cast, transfer, competent_lead, changes, message
):
    services.transfer_assign_reviewer(user=cast.staff, transfer=transfer, reviewer=competent_lead)
    Transfer.objects.filter(pk=transfer.pk).update(**changes)
    with pytest.raises(ConflictError, match=message) as refused:
        services.transfer_start_review(user=cast.staff, transfer=transfer)
    assert "IAF MD 2:2017 2.1" in refused.value.message
    assert refused.value.status_code == 409
    assert stored(transfer).status == TransferStatus.DRAFT


def test_it_refuses_to_review_an_expired_certificate(cast, transfer, competent_lead):
    services.transfer_assign_reviewer(user=cast.staff, transfer=transfer, reviewer=competent_lead)
    Transfer.objects.filter(pk=transfer.pk).update(
        expiry_date=timezone.localdate() - datetime.timedelta(days=1)
    )
    with pytest.raises(ConflictError, match="expired on .*: an expired certificate is not transferred"):
        services.transfer_start_review(user=cast.staff, transfer=transfer)


def test_it_refuses_to_start_the_review_without_a_reviewer(cast, transfer):
    with pytest.raises(ConflictError, match="Choose the reviewer first"):
        services.transfer_start_review(user=cast.staff, transfer=transfer)


def test_it_starts_the_review_once(cast, transfer, competent_lead):
    under_review(transfer, cast.staff, competent_lead)
    assert stored(transfer).status == TransferStatus.UNDER_REVIEW
    with pytest.raises(ConflictError, match="already started"):
        services.transfer_start_review(user=cast.staff, transfer=transfer)


# -- The review ---------------------------------------------------------------------------------


def test_it_lets_only_the_reviewer_answer_the_checklist(cast, transfer, competent_lead):
    under_review(transfer, cast.staff, competent_lead)
    item = transfer.review_items.first()
    for person in (cast.staff, cast.auditor, cast.client):
        with pytest.raises(PermissionDenied, match="Only the transfer's reviewer"):
            services.review_item_answer(user=person, item=item, answer="confirmed", note="Seen.")
    services.review_item_answer(user=competent_lead, item=item, answer="concern", note="Issued late.")
    item.refresh_from_db()
    assert (item.answer, item.note, item.answered_by) == ("concern", "Issued late.", competent_lead)


def test_it_refuses_an_answer_without_a_note_or_before_the_review(cast, transfer, competent_lead):
    services.transfer_assign_reviewer(user=cast.staff, transfer=transfer, reviewer=competent_lead)
    item = transfer.review_items.first()
    with pytest.raises(ConflictError, match="not under way"):
        services.review_item_answer(user=competent_lead, item=item, answer="confirmed", note="Seen.")
    services.transfer_start_review(user=cast.staff, transfer=transfer)
    with pytest.raises(DomainError, match="Write a note") as refused:
        services.review_item_answer(user=competent_lead, item=item, answer="confirmed", note="  ")
    assert refused.value.field == "note"
    with pytest.raises(DomainError, match="Choose an answer"):
        services.review_item_answer(user=competent_lead, item=item, answer="maybe", note="Seen.")


def test_it_refuses_to_complete_an_incomplete_review(cast, transfer, competent_lead):
    under_review(transfer, cast.staff, competent_lead)
    first = transfer.review_items.first()
    services.review_item_answer(user=competent_lead, item=first, answer="confirmed", note="Seen.")
    with pytest.raises(ConflictError, match=r"not complete: 10 of its items .*\(IAF MD 2:2017 2.2\)"):
        services.transfer_complete_review(user=competent_lead, transfer=transfer)
    assert stored(transfer).status == TransferStatus.UNDER_REVIEW


def test_it_refuses_to_complete_the_review_while_a_major_of_the_issuing_body_is_open(
    cast, transfer, competent_lead
):
    under_review(transfer, cast.staff, competent_lead)
    answer_all(transfer, competent_lead)
    major = services.nonconformity_record(
        user=cast.staff, transfer=transfer, reference="NC 7", grade="major", description="No complaint log."
    )
    services.nonconformity_record(
        user=cast.staff, transfer=transfer, reference="NC 8", grade="minor", description="Late minutes."
    )
    with pytest.raises(ConflictError, match="Major nonconformities of the issuing body are open: NC 7"):
        services.transfer_complete_review(user=competent_lead, transfer=transfer)
    services.nonconformity_close(
        user=cast.staff, nonconformity=major, closed_on=timezone.localdate(), closure_note="Log seen in use."
    )
    major.refresh_from_db()
    assert major.state == NcState.CLOSED
    services.transfer_complete_review(user=competent_lead, transfer=transfer)
    transfer = stored(transfer)
    assert transfer.status == TransferStatus.READY
    assert transfer.review_completed_at is not None


def test_it_refuses_a_closure_without_its_evidence_or_twice(cast, transfer):
    major = services.nonconformity_record(
        user=cast.staff, transfer=transfer, reference="NC 7", grade="major", description="No complaint log."
    )
    with pytest.raises(DomainError, match="how the closure was verified"):
        services.nonconformity_close(
            user=cast.staff, nonconformity=major, closed_on=timezone.localdate(), closure_note=""
        )
    with pytest.raises(DomainError, match="cannot be in the future"):
        services.nonconformity_close(
            user=cast.staff,
            nonconformity=major,
            closed_on=timezone.localdate() + datetime.timedelta(days=1),
            closure_note="x",
        )
    services.nonconformity_close(
        user=cast.staff, nonconformity=major, closed_on=timezone.localdate(), closure_note="x"
    )
    with pytest.raises(ConflictError, match="already closed"):
        services.nonconformity_close(
            user=cast.staff, nonconformity=major, closed_on=timezone.localdate(), closure_note="x"
        )
    with pytest.raises(PermissionDenied):
        services.nonconformity_record(
            user=cast.lead, transfer=transfer, reference="NC 9", grade="minor", description="x"
        )


def test_it_refuses_to_complete_the_review_when_the_reviewer_is_no_longer_competent(
    cast, transfer, competent_lead
):
    under_review(transfer, cast.staff, competent_lead)
    answer_all(transfer, competent_lead)
    Competence.objects.filter(user=competent_lead).update(
        valid_to=timezone.localdate() - datetime.timedelta(days=1)
    )
    with pytest.raises(ConflictError, match="Competence rule"):
        services.transfer_complete_review(user=competent_lead, transfer=transfer)


def test_it_refuses_to_complete_the_review_of_a_certificate_suspended_meanwhile(
    cast, transfer, competent_lead
):
    under_review(transfer, cast.staff, competent_lead)
    answer_all(transfer, competent_lead)
    services.transfer_update(user=cast.staff, transfer=transfer, suspended=True)
    with pytest.raises(ConflictError, match="suspended"):
        services.transfer_complete_review(user=competent_lead, transfer=transfer)


# -- Documents and the visit --------------------------------------------------------------------


def test_it_keeps_a_document_checked_by_its_content(cast, transfer):
    document = services.transfer_document_add(
        user=cast.staff, transfer=transfer, upload=png(), kind="certificate", description="The certificate"
    )
    assert document.content_type == "image/png"
    assert document.file.storage.exists(document.file.name)
    assert "certificate" not in document.file.name  # a random name on disk


def test_it_refuses_a_web_page_as_a_document_and_stores_nothing(cast, transfer, settings):
    page = SimpleUploadedFile(
        "report.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf"
    )
    with pytest.raises(DomainError) as refused:
        services.transfer_document_add(user=cast.staff, transfer=transfer, upload=page, kind="audit_report")
    assert refused.value.field == "file"
    assert not TransferDocument.objects.exists()
    folder = settings.MEDIA_ROOT / "transfers"
    assert not folder.exists() or not any(folder.rglob("*"))


def test_it_refuses_documents_to_anyone_but_staff(cast, transfer, competent_lead):
    with pytest.raises(PermissionDenied):
        services.transfer_document_add(user=cast.lead, transfer=transfer, upload=png(), kind="certificate")


def test_it_adds_one_visit_as_a_special_audit_of_the_standard(cast, transfer):
    visit = services.transfer_plan_visit(user=cast.staff, transfer=transfer)
    assert (visit.audit_type, visit.programme, visit.organization) == (AuditType.SPECIAL, None, cast.org_b)
    assert list(visit.standards.all()) == [cast.standard]
    assert stored(transfer).visit == visit
    with pytest.raises(ConflictError, match="already has its visit"):
        services.transfer_plan_visit(user=cast.staff, transfer=transfer)


# -- The decision -------------------------------------------------------------------------------


def test_it_accepts_issuing_our_certificate_that_keeps_the_current_cycles_expiry(
    cast, transfer, competent_lead
):
    ready(transfer, cast.staff, competent_lead)
    services.transfer_decide(
        user=cast.staff, transfer=transfer, outcome="accept", rationale="Review satisfactory."
    )
    transfer = stored(transfer)
    assert transfer.status == TransferStatus.ISSUED
    decision = transfer.decision
    assert (decision.audit, decision.outcome, decision.decided_by) == (
        None,
        DecisionOutcome.GRANT,
        cast.staff,
    )
    certificate = transfer.certificate
    today = timezone.localdate()
    assert certificate.number.startswith(f"CERT-{today.year}-")
    assert certificate.expiry_date == transfer.expiry_date  # not three years from today
    assert certificate.issue_date == today
    assert certificate.status == CertificateStatus.ACTIVE
    assert certificate.decision == decision
    assert list(certificate.standards.all()) == [cast.standard]
    assert [site.site for site in certificate.sites.all()] == list(cast.org_b.sites.all())
    assert certificate.revisions.get().revision == 1


def test_it_continues_the_cycle_with_the_next_surveillance_due_in_the_running_cycle(
    cast, transfer, competent_lead
):
    ready(transfer, cast.staff, competent_lead)
    services.transfer_decide(
        user=cast.staff, transfer=transfer, outcome="accept", rationale="Review satisfactory."
    )
    transfer = stored(transfer)
    programme = transfer.certificate.programme
    started = add_months(transfer.expiry_date + datetime.timedelta(days=1), -36)
    assert programme.decision_date == started
    # After the first surveillance: the second and the recertification are left, due as that cycle has them.
    audits = list(programme.audits.order_by("due_date").values_list("audit_type", "sequence", "due_date"))
    assert audits == [
        (AuditType.SURVEILLANCE, 2, datetime.date(add_months(started, 12).year + 1, 12, 31)),
        (AuditType.RECERTIFICATION, 1, transfer.expiry_date - datetime.timedelta(days=1)),
    ]


def test_it_plans_both_surveillances_after_an_initial_certification(cast, competent_lead):
    issued = timezone.localdate() - datetime.timedelta(days=100)
    transfer = services.transfer_create(
        user=cast.staff,
        organization=cast.org_b,
        standard=cast.standard,
        sites=list(cast.org_b.sites.all()),
        **transfer_details(
            issue_date=issued,
            expiry_date=add_months(issued, 36) - datetime.timedelta(days=1),
            cycle_stage=CycleStage.AFTER_INITIAL,
        ),
    )
    ready(transfer, cast.staff, competent_lead)
    services.transfer_decide(user=cast.staff, transfer=transfer, outcome="accept", rationale="Fine.")
    programme = stored(transfer).certificate.programme
    first = programme.audits.get(audit_type=AuditType.SURVEILLANCE, sequence=1)
    assert first.due_date == add_months(issued, 12)  # within 12 months of the other body's decision
    assert programme.audits.count() == 3


def test_it_refuses_a_transfer_from_under_review(cast, transfer, competent_lead):
    under_review(transfer, cast.staff, competent_lead)
    services.transfer_decide(
        user=cast.staff, transfer=transfer, outcome="refuse", rationale="Accreditation doubtful."
    )
    transfer = stored(transfer)
    assert transfer.status == TransferStatus.REFUSED
    assert transfer.decision.outcome == DecisionOutcome.REFUSE
    assert transfer.certificate is None
    assert not Certificate.objects.exists()
    with pytest.raises(ConflictError, match="nothing to decide"):
        services.transfer_decide(user=cast.staff, transfer=transfer, outcome="refuse", rationale="Again.")
    with pytest.raises(ConflictError, match="no longer changes"):
        services.transfer_update(user=cast.staff, transfer=transfer, suspended=True)


def test_it_refuses_to_accept_before_the_review_is_completed(cast, transfer, competent_lead):
    under_review(transfer, cast.staff, competent_lead)
    with pytest.raises(ConflictError, match="review is not completed yet"):
        services.transfer_decide(user=cast.staff, transfer=transfer, outcome="accept", rationale="Fine.")
    assert not Decision.objects.exists()


def test_it_refuses_to_accept_a_certificate_that_expired_after_the_review(cast, transfer, competent_lead):
    ready(transfer, cast.staff, competent_lead)
    Transfer.objects.filter(pk=transfer.pk).update(
        issue_date=timezone.localdate() - datetime.timedelta(days=900),
        expiry_date=timezone.localdate() - datetime.timedelta(days=1),
    )
    with pytest.raises(ConflictError, match="expired"):
        services.transfer_decide(user=cast.staff, transfer=transfer, outcome="accept", rationale="Fine.")
    assert not Certificate.objects.exists()


def test_it_refuses_the_decision_to_the_reviewer(cast, transfer, other_staff):
    ready(transfer, cast.staff, other_staff)
    with pytest.raises(
        DomainError, match=r"You made the pre-transfer review.*\(ISO/IEC 17021-1 9.5.1.2\)"
    ) as refused:
        services.transfer_decide(user=other_staff, transfer=transfer, outcome="accept", rationale="Fine.")
    assert refused.value.status_code == 400
    assert stored(transfer).status == TransferStatus.READY


def test_it_refuses_the_decision_to_the_visits_team(cast, transfer, competent_lead, other_staff):
    visit = services.transfer_plan_visit(user=cast.staff, transfer=transfer)
    team_member_add(actor=SYSTEM, audit=visit, user=other_staff, role=TeamRole.AUDITOR)
    ready(transfer, cast.staff, competent_lead)
    with pytest.raises(DomainError, match="team of the pre-transfer visit"):
        services.transfer_decide(user=other_staff, transfer=transfer, outcome="refuse", rationale="No.")
    services.transfer_decide(user=cast.staff, transfer=transfer, outcome="accept", rationale="Fine.")
    assert stored(transfer).status == TransferStatus.ISSUED


def test_it_refuses_the_decision_to_anyone_but_staff(cast, transfer, competent_lead):
    ready(transfer, cast.staff, competent_lead)
    for person in (competent_lead, cast.auditor, cast.client):
        with pytest.raises(PermissionDenied, match="Only certification staff make certification decisions"):
            services.transfer_decide(user=person, transfer=transfer, outcome="accept", rationale="Fine.")


def test_it_refuses_a_decision_without_a_rationale(cast, transfer, competent_lead):
    ready(transfer, cast.staff, competent_lead)
    with pytest.raises(DomainError, match="rationale"):
        services.transfer_decide(user=cast.staff, transfer=transfer, outcome="accept", rationale=" ")
    assert not Decision.objects.exists()
    assert stored(transfer).status == TransferStatus.READY


def test_it_refuses_to_accept_for_a_client_with_a_running_programme_of_the_standard(
    cast, transfer, competent_lead
):
    programme_create(actor=SYSTEM, organization=cast.org_b, standards=[cast.standard])
    ready(transfer, cast.staff, competent_lead)
    with pytest.raises(ConflictError, match="already has an active programme"):
        services.transfer_decide(user=cast.staff, transfer=transfer, outcome="accept", rationale="Fine.")
    assert not Certificate.objects.exists()
    assert stored(transfer).status == TransferStatus.READY
    assert not Audit.objects.filter(organization=cast.org_b, audit_type=AuditType.RECERTIFICATION).count() > 1


def test_it_exports_a_transfer_decision_with_the_clients_record(cast, transfer, competent_lead, tmp_path):
    ready(transfer, cast.staff, competent_lead)
    services.transfer_decide(user=cast.staff, transfer=transfer, outcome="accept", rationale="Satisfactory.")
    out = tmp_path / "export"
    call_command("export_organization", str(cast.org_b.pk), "--out", str(out), stdout=io.StringIO())
    record = json.loads((out / "data.json").read_text())
    assert [(decision["audit"], decision["outcome"]) for decision in record["decisions"]] == [(None, "grant")]
