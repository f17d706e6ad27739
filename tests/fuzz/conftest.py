"""A world with real records for the fuzzers: every endpoint has ids that exist to hit.

Built on the shared cast (tests/conftest.py): Nordkontakt's stage 2 (`onsite_audit`) is closed with
two minor nonconformities, one answered with a file, and granted its certificate; Kundtjänst Norr's
stage 2 is under way with the lead on its team, a finding and a photo. Each user gets an API token,
so requests go through the real authentication, not `force_authenticate`.
"""

import datetime
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, models
from django.utils import timezone
from PIL import Image
from rest_framework.authtoken.models import Token

from audits.models import Audit, AuditStatus, AuditType, TeamRole
from audits.services import (
    audit_compute_time,
    audit_update,
    plan_day_add,
    plan_slot_add,
    programme_create,
    team_member_add,
    team_objection_raise,
)
from certificates.models import Certificate
from certificates.services import decision_record
from complaints.services import appeal_file, complaint_file
from core.actors import SYSTEM
from findings.evidence import evidence_add
from findings.models import Nonconformity, NonconformityStatus
from findings.ncr import nonconformity_respond
from findings.services import finding_create
from reports.services import audit_close
from tests.conftest import CAST_NAMES
from tests.factories import closing_report, ready_to_certify
from tests.world import transfer_under_review
from transfers.services import transfer_create

# Examples per operation and user (the upload tests draw twice as many).
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
# CI draws the same examples every run, so a red build means a change broke something, not bad
# luck; a local `make fuzz` draws new ones each time.
FUZZ_DERANDOMIZE = os.environ.get("CI", "") not in ("", "0", "false")


def png_bytes(size=(40, 30), colour="green") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def png_upload(name="photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


@dataclass
class World:
    cast: object
    closed: Audit
    open: Audit
    certificate: Certificate
    answered: Nonconformity
    unanswered: Nonconformity
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, user_name: str) -> dict[str, str]:
        token = self.tokens.get(user_name)
        return {"Authorization": f"Token {token}"} if token else {}


def _open_audit(cast):
    """Kundtjänst Norr's stage 2, plan confirmed, the lead (already competent) on its team."""
    programme = programme_create(actor=SYSTEM, organization=cast.org_b, standards=[cast.standard])
    audit = programme.audits.get(audit_type=AuditType.STAGE2)
    # From tomorrow: the lead is at Nordkontakt today.
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    audit_update(actor=SYSTEM, audit=audit, start_date=tomorrow, end_date=tomorrow)
    lead = team_member_add(actor=SYSTEM, audit=audit, user=cast.lead, role=TeamRole.LEAD_AUDITOR)
    audit_compute_time(actor=SYSTEM, audit=audit, seed=3)
    site = cast.org_b.sites.get()
    day = plan_day_add(actor=SYSTEM, audit=audit, date=tomorrow, site=site)
    plan_slot_add(
        actor=SYSTEM,
        day=day,
        start=datetime.time(9),
        end=datetime.time(12),
        member=lead,
        activity="Customer relationship",
        clauses=[cast.standard.clauses.get(number="4.1")],
    )
    # Kundtjänst Norr's objection to the lead, raised before the plan was confirmed, for staff to decide.
    team_objection_raise(actor=cast.other, audit=audit, member=lead, reason="The lead audits our rival.")
    Audit.objects.filter(pk=audit.pk).update(status=AuditStatus.CONFIRMED)
    audit.refresh_from_db()
    finding = finding_create(
        audit=audit,
        user=cast.lead,
        clause=cast.standard.clauses.get(number="4.1"),
        site=site,
        grade="observation",
        statement="Call scripts are not dated.",
    )
    evidence_add(finding=finding, user=cast.lead, upload=png_upload("script.png"))
    return audit


@pytest.fixture
def world(cast, onsite_audit) -> World:
    audit_update(
        actor=SYSTEM, audit=onsite_audit, scope="Inbound customer service by telephone, e-mail and chat."
    )
    for clause, statement in (
        (onsite_audit.clause_41, "No trend analysis since June."),
        (onsite_audit.clause_42, "Complaints are not acknowledged in writing."),
    ):
        finding = finding_create(
            audit=onsite_audit,
            user=cast.lead,
            clause=clause,
            site=onsite_audit.stockholm,
            grade="minor",
            statement=statement,
        )
    evidence_add(finding=finding, user=cast.lead, upload=png_upload(), visibility="client")
    audit_close(audit=onsite_audit, **closing_report(onsite_audit), user=cast.lead, recommendation="certify")
    onsite_audit.refresh_from_db()
    # Granted once the sampled sites have findings and the minors accepted plans (17021-1 9.5);
    # then both minors await the client's answer again, for the routes that answer them.
    ready_to_certify(onsite_audit)
    decision_record(audit=onsite_audit, user=cast.staff, outcome="grant", rationale="Requirements met.")
    Nonconformity.objects.filter(audit=onsite_audit).update(
        status=NonconformityStatus.AWAITING_RESPONSE, accepted_at=None, accepted_by=None
    )
    answered, unanswered = Nonconformity.objects.filter(audit=onsite_audit).order_by("number")
    nonconformity_respond(
        nonconformity=answered,
        user=cast.client,
        correction="Ran the trend analysis for June to November.",
        root_cause="The task was not handed over.",
        corrective_action="A monthly task in the quality calendar.",
        files=[png_upload("calendar.png")],
    )
    # Transfers: one under the lead's review (its checklist, the decision and the closing forms),
    # one a draft (the reviewer, start and visit forms).
    under_review = transfer_under_review(cast)
    transfer_create(
        user=cast.staff,
        organization=cast.org_b,
        standard=cast.standard,
        sites=list(cast.org_b.sites.all()),
        certificate_number="QS-2026-002",
        issuing_body="Baltic Certification Oy",
        scope="Outbound calls.",
        issue_date=under_review.issue_date,
        expiry_date=under_review.expiry_date,
        cycle_stage="initial",
    )
    # A complaint about Nordkontakt's certificate recorded by staff, and the client's appeal against
    # the grant: both just received (tests/fuzz/test_page_fuzz.py's cases_advanced moves them on).
    certificate = Certificate.objects.get()
    complaint_file(
        user=cast.staff,
        source="staff",
        subject="Unanswered calls",
        description="Nobody answers after 18:00.",
        submitter_name="Per Holm",
        submitter_email="per@example.se",
        certificate=certificate,
    )
    appeal_file(
        user=cast.client,
        source="portal",
        subject="Scope",
        description="Malmö left out.",
        decision=certificate.decision,
    )
    # Nordkontakt's first surveillance falls due in a month, undated: the due list's bulk-planning form.
    Audit.objects.filter(
        programme=onsite_audit.programme, audit_type=AuditType.SURVEILLANCE, sequence=1
    ).update(due_date=timezone.localdate() + datetime.timedelta(days=30))
    world = World(
        cast=cast,
        closed=onsite_audit,
        open=_open_audit(cast),
        certificate=Certificate.objects.get(),
        answered=answered,
        unanswered=unanswered,
    )
    for name in CAST_NAMES:
        user = cast.user(name)
        if user is not None:
            world.tokens[name] = Token.objects.create(user=user).key
    return world


def stored_files() -> set[str]:
    """Every file under MEDIA_ROOT, relative to it."""
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return set()
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def referenced_files() -> set[str]:
    """Every file a row of any model points at: evidence, thumbnails, attachments, PDFs."""
    names = set()
    for model in apps.get_models():
        for model_field in model._meta.get_fields():
            if isinstance(model_field, models.FileField):
                values = model._default_manager.exclude(**{model_field.name: ""}).values_list(
                    model_field.name, flat=True
                )
                names.update(value for value in values if value)
    return names


@pytest.fixture
def wsgi():
    """The WSGI app with the per-request connection clean-up off, as Django's test client has it.

    The test's transaction must survive the requests: closing the connection between them would
    end it.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
