"""One world of demo objects that every route of the site can be called on (tests/test_access_matrix.py).

Nordkontakt AB's (org_a) stage 2, built with the project's own services from the shared cast and
`onsite_audit` (tests/conftest.py): a confirmed plan with a day and a slot and its PDF; a minor
and a major finding, each with a photo (the minor's shared with the client, the major's for the
team only); closed by the lead, so the two nonconformities and the report PDF exist; the major
answered by the client with a PNG, accepted and verified closed; then granted by staff, so a
certificate with revision 1 (and its PDF) exists (each sampled site with a finding, the minor's plan
accepted for the grant). The minor then awaits the client's answer again.
Every e-mail and document went through the outbox: the report's row, say, is done.

Only ids are kept: a caller may change and roll back the database, never these values.
"""

import datetime
import io
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from audits.documents import plan_document_create
from audits.models import Audit, DocumentKind, ObjectionOutcome, TeamObjection
from audits.services import audit_update
from certificates.models import Certificate
from certificates.services import decision_record
from complaints.services import appeal_file, complaint_file
from core.actors import SYSTEM
from findings.evidence import evidence_add
from findings.models import (
    Evidence,
    Grade,
    Nonconformity,
    NonconformityAttachment,
    NonconformityStatus,
    Visibility,
)
from findings.ncr import nonconformity_respond, nonconformity_review, nonconformity_verify
from findings.services import finding_create
from outbox.models import MessageState
from reports.deliveries import report_delivery
from reports.services import audit_close
from tests.factories import closing_report, ready_to_certify
from transfers.models import CycleStage
from transfers.services import (
    nonconformity_record,
    transfer_assign_reviewer,
    transfer_create,
    transfer_document_add,
    transfer_start_review,
)


@dataclass(frozen=True)
class World:
    org_a: int
    org_b: int
    site_a: int
    standard: int
    clause_41: int
    programme: int
    audit: int
    lead_member: int
    objection: int
    day: int
    slot: int
    minor_finding: int
    major_finding: int
    shared_photo: int
    team_photo: int
    minor_nc: int
    major_nc: int
    answer_file: int
    certificate: int
    certificate_number: str
    report_message: int
    transfer: int
    transfer_item: int
    transfer_nc: int
    transfer_document: int
    complaint: int
    appeal: int


def png_upload(name: str, colour=(0, 120, 0)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def build_world(cast, audit: Audit, run_on_commit) -> World:
    """The world on `onsite_audit`; `run_on_commit` is django_capture_on_commit_callbacks."""
    lead = cast.lead
    audit_update(actor=SYSTEM, audit=audit, scope="Inbound customer service by telephone, e-mail and chat.")
    plan_document_create(audit=audit)
    # The client's objection to the lead, which staff answered by keeping her. Written directly: the
    # fixture's plan is already confirmed, and an objection is raised only before that.
    objection = TeamObjection.objects.create(
        audit=audit,
        user=lead,
        reason="The lead worked for our competitor.",
        raised_by=cast.client,
        outcome=ObjectionOutcome.KEPT,
        decision_reason="Left the competitor four years ago.",
        decided_by=cast.staff,
        decided_at=audit.created_at,
    )
    minor = finding_create(
        audit=audit,
        user=lead,
        clause=audit.clause_41,
        site=audit.stockholm,
        grade=Grade.MINOR,
        statement="No trend analysis since June.",
    )
    major = finding_create(
        audit=audit,
        user=lead,
        clause=audit.clause_42,
        site=audit.stockholm,
        grade=Grade.MAJOR,
        statement="New agents lack the introduction training.",
    )
    # The callbacks make the thumbnails, the report and the NCR PDFs, and the certificate's PDF.
    with run_on_commit(execute=True):
        shared = evidence_add(
            finding=minor, user=lead, upload=png_upload("queue-board.png"), visibility=Visibility.CLIENT
        )
        team_only = evidence_add(finding=major, user=lead, upload=png_upload("training-log.png", (9, 9, 9)))
    with run_on_commit(execute=True):
        audit_close(audit=audit, **closing_report(audit), user=lead, recommendation="certify_after_majors")
    minor_nc = Nonconformity.objects.get(finding=minor)
    major_nc = Nonconformity.objects.get(finding=major)
    with run_on_commit(execute=True):
        nonconformity_respond(
            nonconformity=major_nc,
            user=cast.client,
            correction="Trained the four new agents.",
            root_cause="The introduction was not in the onboarding checklist.",
            corrective_action="The introduction is now a step of the onboarding checklist.",
            files=[png_upload("training-plan.png", (200, 0, 0))],
        )
        nonconformity_review(nonconformity=major_nc, user=lead, decision="accept")
        nonconformity_verify(nonconformity=major_nc, user=lead, comment="Saw the training records.")
    # Certified once every sampled site has a finding and the minor an accepted plan (17021-1 9.5);
    # then the minor is put back to await the client's answer, so the routes that answer, review
    # and verify it have one to act on.
    ready_to_certify(audit)
    with run_on_commit(execute=True):
        decision_record(audit=audit, user=cast.staff, outcome="grant", rationale="Requirements met.")
    Nonconformity.objects.filter(pk=minor_nc.pk).update(
        status=NonconformityStatus.AWAITING_RESPONSE, accepted_at=None, accepted_by=None
    )
    certificate = Certificate.objects.get(decision__audit=audit)
    day = audit.days.get()
    # What the routes below rely on; a change in a service that breaks it should fail here, clearly.
    assert audit.documents.filter(kind=DocumentKind.PLAN).exists()
    assert audit.documents.filter(kind=DocumentKind.REPORT).exists()
    assert Evidence.objects.get(pk=shared.pk).thumbnail
    assert certificate.revision == 1
    report_message = report_delivery(audit)
    assert report_message.state == MessageState.DONE
    transfer = transfer_under_review(cast)
    # The client's complaint about the body and its appeal against the grant, both just received.
    complaint = complaint_file(user=cast.client, source="portal", subject="Invoice", description="Twice.")
    appeal = appeal_file(
        user=cast.client,
        source="portal",
        subject="Scope",
        description="Malmö left out.",
        decision=certificate.decision,
    )
    return World(
        org_a=cast.org_a.pk,
        org_b=cast.org_b.pk,
        site_a=audit.stockholm.pk,
        standard=cast.standard.pk,
        clause_41=audit.clause_41.pk,
        programme=audit.programme_id,
        audit=audit.pk,
        lead_member=audit.lead.pk,
        objection=objection.pk,
        day=day.pk,
        slot=day.slots.get().pk,
        minor_finding=minor.pk,
        major_finding=major.pk,
        shared_photo=shared.pk,
        team_photo=team_only.pk,
        minor_nc=minor_nc.pk,
        major_nc=major_nc.pk,
        answer_file=NonconformityAttachment.objects.get(nonconformity=major_nc).pk,
        certificate=certificate.pk,
        certificate_number=certificate.number,
        report_message=report_message.pk,
        transfer=transfer.pk,
        transfer_item=transfer.review_items.order_by("order").first().pk,
        transfer_nc=transfer.nonconformities.get().pk,
        transfer_document=transfer.documents.get().pk,
        complaint=complaint.pk,
        appeal=appeal.pk,
    )


def transfer_under_review(cast):
    """Kundtjänst Norr's certificate from another body, under review by the lead (competent for the
    standard through onsite_audit), with one open minor of the issuing body and its certificate."""
    today = timezone.localdate()
    transfer = transfer_create(
        user=cast.staff,
        organization=cast.org_b,
        standard=cast.standard,
        sites=list(cast.org_b.sites.all()),
        certificate_number="QS-2025-118",
        issuing_body="Nordic Quality Certification AB",
        accreditation_body="Swedac",
        accredited=True,
        accreditation_recognised=True,
        scope="Customer service by telephone.",
        issue_date=today - datetime.timedelta(days=400),
        expiry_date=today + datetime.timedelta(days=600),
        cycle_stage=CycleStage.AFTER_SURVEILLANCE_1,
    )
    transfer_assign_reviewer(user=cast.staff, transfer=transfer, reviewer=cast.lead)
    transfer_start_review(user=cast.staff, transfer=transfer)
    nonconformity_record(
        user=cast.staff, transfer=transfer, reference="NC 3", grade="minor", description="Late."
    )
    transfer_document_add(
        user=cast.staff, transfer=transfer, upload=png_upload("current.png"), kind="certificate"
    )
    return transfer
