"""One organisation's complete record, for the accreditation body or the client.

A directory with `data.json` (the records), `files/` (every stored file the records point at,
under safe names) and `manifest.json` plus `SHA256SUMS` (each file's path, size and SHA-256;
`sha256sum -c SHA256SUMS` checks them). Only this organisation's records are read: everything is
reached from the organisation through its own foreign keys.

By default the export holds what the client's own users may read in Certdesk, since it may go to
the client. `include_internal` adds what only the certification body sees: internal notes on
nonconformities, the history of changes to findings, files shared with the audit team only,
findings of audits not yet closed, and removed findings and files.
"""

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import SuspiciousFileOperation
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.text import get_valid_filename

from accounts.models import SecurityEventKind
from accounts.security import record
from audits.models import Audit, AuditDay, AuditStatus, CertificationProgramme, PlanSlot
from certificates.models import Certificate, Decision
from clients.models import Organization
from findings.models import (
    Evidence,
    Finding,
    FindingChange,
    Nonconformity,
    NonconformityAttachment,
    NonconformityResponse,
    Visibility,
)

EXPORT_FORMAT = 1
CHUNK = 1024 * 1024
SAFE_NAME_MAX_LENGTH = 120


class ExportError(Exception):
    """The export cannot be written (the directory is taken); nothing was written."""


@dataclass
class ExportResult:
    directory: Path
    files: list[dict] = field(default_factory=list)
    # Files the records name that storage does not have, or whose content no longer matches the
    # digest taken at upload: the export says so rather than pretending to be complete.
    problems: list[str] = field(default_factory=list)


def _person(user) -> dict | None:
    if user is None:
        return None
    return {"username": user.get_username(), "name": user.get_full_name()}


def _safe(name: str, fallback: str = "file") -> str:
    try:
        safe = get_valid_filename(name)
    except SuspiciousFileOperation:
        safe = fallback
    # Never a hidden file, and short enough for any file system once prefixed.
    return safe.lstrip(".")[-SAFE_NAME_MAX_LENGTH:] or fallback


class _Files:
    """Copies stored files into the export, taking each one's size and SHA-256 on the way."""

    def __init__(self, directory: Path, result: ExportResult):
        self.directory = directory
        self.result = result

    def add(self, field_file, path: str, *, source: str, recorded_sha256: str = "") -> str | None:
        """Copy field_file to files/<path>; the path in the export, or None when the file is missing."""
        if not field_file:
            return None
        relative = f"files/{path}"
        target = self.directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        try:
            stored = field_file.open("rb")
        except OSError:
            self.result.problems.append(f"{source}: the file {field_file.name} is missing from storage.")
            return None
        # "x": two records never share a name (each carries its id), so an existing file is a bug.
        with stored, target.open("xb") as copy:
            while chunk := stored.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                copy.write(chunk)
        sha256 = digest.hexdigest()
        if recorded_sha256 and recorded_sha256 != sha256:
            self.result.problems.append(
                f"{source}: the stored file's SHA-256 {sha256} differs from {recorded_sha256}, "
                "taken at upload."
            )
        self.result.files.append({"path": relative, "size": size, "sha256": sha256, "source": source})
        return relative


def organization_export(
    *, organization: Organization, directory: Path, include_internal: bool = False
) -> ExportResult:
    """Write the organisation's record into directory (created; refused if it holds anything)."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise ExportError(f"{directory} is not empty; choose a new directory for the export.")
    directory.mkdir(parents=True, exist_ok=True)
    result = ExportResult(directory=directory)
    files = _Files(directory, result)
    data = {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now(),
        "include_internal": include_internal,
        "organization": _organization(organization),
        "sites": _sites(organization),
        "consultancy_declarations": _declarations(organization),
        "client_users": _client_users(organization),
        "programmes": _programmes(organization),
        "audits": _audits(organization, files),
        "findings": _findings(organization, files, include_internal),
        "nonconformities": _nonconformities(organization, files, include_internal),
        "decisions": _decisions(organization),
        "certificates": _certificates(organization, files),
    }
    _write(directory / "data.json", json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
    data_entry = _entry(directory, "data.json")
    result.files.insert(0, {**data_entry, "source": "records"})
    manifest = {
        "format": EXPORT_FORMAT,
        "organization": {
            "id": organization.pk,
            "name": organization.legal_name,
            "number": organization.org_number,
        },
        "exported_at": data["exported_at"],
        "include_internal": include_internal,
        "files": result.files,
        "problems": result.problems,
    }
    _write(
        directory / "manifest.json", json.dumps(manifest, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    )
    sums = [*result.files, _entry(directory, "manifest.json")]
    _write(directory / "SHA256SUMS", "".join(f"{entry['sha256']}  {entry['path']}\n" for entry in sums))
    record(
        SecurityEventKind.EXPORT,
        organization=organization,
        target=f"organisation {organization.pk}",
        directory=str(directory),
        files=len(result.files),
        include_internal=include_internal,
        problems=len(result.problems),
    )
    return result


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _entry(directory: Path, relative: str) -> dict:
    content = (directory / relative).read_bytes()
    return {"path": relative, "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}


# -- The records --------------------------------------------------------------------------------


def _organization(organization: Organization) -> dict:
    return {
        "id": organization.pk,
        "legal_name": organization.legal_name,
        "org_number": organization.org_number,
        "address": organization.address,
        "postal_code": organization.postal_code,
        "city": organization.city,
        "country": str(organization.country),
        "contact_name": organization.contact_name,
        "contact_email": organization.contact_email,
        "contact_phone": organization.contact_phone,
        "created_at": organization.created_at,
        "updated_at": organization.updated_at,
    }


def _sites(organization: Organization) -> list[dict]:
    return [
        {
            "id": site.pk,
            "name": site.name,
            "address": site.address,
            "postal_code": site.postal_code,
            "city": site.city,
            "country": str(site.country),
            "is_central_function": site.is_central_function,
            "effective_personnel": site.effective_personnel,
            "activities": site.activities,
            "created_at": site.created_at,
        }
        for site in organization.sites.order_by("id")
    ]


def _declarations(organization: Organization) -> list[dict]:
    return [
        {
            "id": declaration.pk,
            "kind": declaration.kind,
            "provider": declaration.provider,
            "person": _person(declaration.person),
            "related_to_certification_body": declaration.related_to_certification_body,
            "client_related_body": declaration.client_related_body,
            "subject": declaration.subject,
            "until": declaration.until,
            "declared_at": declaration.declared_at,
        }
        for declaration in organization.consultancy_declarations.select_related("person").order_by("id")
    ]


def _client_users(organization: Organization) -> list[dict]:
    # Who the client's people are; never a password hash or anything else from the account.
    return [
        {
            "username": membership.user.get_username(),
            "name": membership.user.get_full_name(),
            "email": membership.user.email,
            "role": membership.role,
            "language": membership.user.language,
            "is_active": membership.user.is_active,
            "member_since": membership.created_at,
        }
        for membership in organization.memberships.select_related("user").order_by("id")
    ]


def _programmes(organization: Organization) -> list[dict]:
    programmes = CertificationProgramme.objects.filter(organization=organization).prefetch_related(
        "standards"
    )
    return [
        {
            "id": programme.pk,
            "status": programme.status,
            "decision_date": programme.decision_date,
            "standards": [standard.code for standard in programme.standards.all()],
            "created_at": programme.created_at,
        }
        for programme in programmes.order_by("id")
    ]


AUDIT_FIELDS = (
    "audit_type",
    "sequence",
    "mode",
    "status",
    "start_date",
    "end_date",
    "due_date",
    "objectives",
    "scope",
    "criteria",
    "language",
    "planned_days",
    "time_calculation",
    "sampling_seed",
    "plan_justification",
    "confirmed_at",
    "recommendation",
    "conclusion",
    "plan_deviations",
    "closed_at",
    "created_at",
    "updated_at",
)


def _audits(organization: Organization, files: _Files) -> list[dict]:
    audits = (
        Audit.objects.filter(organization=organization)
        .select_related("closed_by")
        .prefetch_related(
            "standards",
            "sites",
            "team__user",
            "documents",
            Prefetch(
                "days",
                queryset=AuditDay.objects.select_related("site").prefetch_related(
                    Prefetch(
                        "slots",
                        queryset=PlanSlot.objects.select_related("member__user").prefetch_related("clauses"),
                    )
                ),
            ),
        )
        .order_by("id")
    )
    return [
        {
            "id": audit.pk,
            "programme": audit.programme_id,
            **{name: getattr(audit, name) for name in AUDIT_FIELDS},
            "closed_by": _person(audit.closed_by),
            "standards": [{"code": s.code, "edition": s.edition} for s in audit.standards.all()],
            "sites": [{"id": site.pk, "name": site.name} for site in audit.sites.all()],
            "team": [
                {**_person(member.user), "role": member.role, "added_at": member.added_at}
                for member in audit.team.all()
            ],
            "plan": [_plan_day(day) for day in audit.days.all()],
            "documents": [_audit_document(audit, document, files) for document in audit.documents.all()],
        }
        for audit in audits
    ]


def _plan_day(day: AuditDay) -> dict:
    return {
        "date": day.date,
        "site": {"id": day.site_id, "name": day.site.name},
        "slots": [
            {
                "start": slot.start,
                "end": slot.end,
                "by": _person(slot.member.user),
                "activity": slot.activity,
                "clauses": [clause.number for clause in slot.clauses.all()],
            }
            for slot in day.slots.all()
        ],
    }


def _audit_document(audit: Audit, document, files: _Files) -> dict:
    return {
        "kind": document.kind,
        **_document(
            document,
            files,
            path=f"audits/{audit.pk}/{document.kind}-{document.pk}.pdf",
            source=f"audit {audit.pk} document {document.pk}",
        ),
    }


def _document(document, files: _Files, *, path: str, source: str) -> dict:
    """A generated PDF: the template and data that made it, and its file in the export."""
    return {
        "template_version": document.template_version,
        "data_digest": document.data_digest,
        "size": document.size,
        "created_at": document.created_at,
        "file": files.add(document.file, path, source=source),
    }


def _findings(organization: Organization, files: _Files, include_internal: bool) -> list[dict]:
    findings = Finding.objects.filter(audit__organization=organization)
    evidence = Evidence.objects.select_related("uploaded_by").order_by("id")
    if not include_internal:
        # What the client's users read: current findings of closed audits and the files shared with them.
        findings = findings.current().filter(audit__status=AuditStatus.CLOSED, audit__closed_at__isnull=False)
        evidence = evidence.current().filter(visibility=Visibility.CLIENT)
    prefetches = [Prefetch("attachments", queryset=evidence)]
    if include_internal:
        prefetches.append(
            Prefetch("changes", queryset=FindingChange.objects.select_related("changed_by").order_by("id"))
        )
    findings = (
        findings.select_related("clause__standard", "site", "recorded_by", "updated_by")
        .prefetch_related(*prefetches)
        .order_by("audit_id", "id")
    )
    rows = []
    for finding in findings:
        row = {
            "id": finding.pk,
            "audit": finding.audit_id,
            "clause": {
                "standard": finding.clause.standard.code,
                "number": finding.clause.number,
                "title": finding.clause.title,
            },
            "site": {"id": finding.site_id, "name": finding.site.name} if finding.site else None,
            "grade": finding.grade,
            "statement": finding.statement,
            "evidence": finding.evidence,
            "interviewee_role": finding.interviewee_role,
            "version": finding.version,
            "recorded_by": _person(finding.recorded_by),
            "recorded_at": finding.recorded_at,
            "updated_by": _person(finding.updated_by),
            "updated_at": finding.updated_at,
            "removed_at": finding.removed_at,
            "files": [_evidence(item, files) for item in finding.attachments.all()],
        }
        if include_internal:
            row["history"] = [
                {
                    "action": change.action,
                    "changes": change.changes,
                    "version": change.version,
                    "evidence": change.evidence_id,
                    "by": _person(change.changed_by),
                    "at": change.changed_at,
                }
                for change in finding.changes.all()
            ]
        rows.append(row)
    return rows


def _evidence(item: Evidence, files: _Files) -> dict:
    return {
        "id": item.pk,
        "original_name": item.original_name,
        "content_type": item.content_type,
        "size": item.size,
        "sha256": item.sha256,
        "description": item.description,
        "visibility": item.visibility,
        "uploaded_by": _person(item.uploaded_by),
        "uploaded_at": item.uploaded_at,
        "removed_at": item.removed_at,
        "file": files.add(
            item.file,
            f"evidence/audit-{item.audit_id}/{item.pk}-{_safe(item.original_name)}",
            source=f"evidence {item.pk}",
            recorded_sha256=item.sha256,
        ),
    }


def _nonconformities(organization: Organization, files: _Files, include_internal: bool) -> list[dict]:
    prefetches = [
        Prefetch(
            "responses",
            queryset=NonconformityResponse.objects.select_related("submitted_by", "reviewed_by").order_by(
                "round"
            ),
        ),
        Prefetch(
            "attachments",
            queryset=NonconformityAttachment.objects.select_related("uploaded_by").order_by("id"),
        ),
        "events__by",
        "documents",
    ]
    if include_internal:
        prefetches.append("internal_notes__author")
    nonconformities = (
        Nonconformity.objects.filter(audit__organization=organization)
        .select_related("finding", "accepted_by", "closed_by")
        .prefetch_related(*prefetches)
        .order_by("number")
    )
    rows = []
    for nc in nonconformities:
        folder = f"nonconformities/{_safe(nc.number, fallback=str(nc.pk))}"
        row = {
            "id": nc.pk,
            "number": nc.number,
            "audit": nc.audit_id,
            "finding": nc.finding_id,
            "grade": nc.grade,
            "status": nc.status,
            "response_due": nc.response_due,
            "close_due": nc.close_due,
            "created_at": nc.created_at,
            "accepted_at": nc.accepted_at,
            "accepted_by": _person(nc.accepted_by),
            "verification_method": nc.verification_method,
            "verification_comment": nc.verification_comment,
            "closed_at": nc.closed_at,
            "closed_by": _person(nc.closed_by),
            "responses": [_nc_response(response) for response in nc.responses.all()],
            "files": [_nc_file(nc, attachment, folder, files) for attachment in nc.attachments.all()],
            "events": [_nc_event(event) for event in nc.events.all()],
            "documents": [_nc_document(nc, document, folder, files) for document in nc.documents.all()],
        }
        if include_internal:
            row["internal_notes"] = [
                {"text": note.text, "by": _person(note.author), "at": note.created_at}
                for note in nc.internal_notes.all()
            ]
        rows.append(row)
    return rows


def _nc_response(response: NonconformityResponse) -> dict:
    return {
        "id": response.pk,
        "round": response.round,
        "correction": response.correction,
        "root_cause": response.root_cause,
        "corrective_action": response.corrective_action,
        "responsible": response.responsible,
        "target_date": response.target_date,
        "submitted_by": _person(response.submitted_by),
        "submitted_at": response.submitted_at,
        "decision": response.decision,
        "review_comment": response.review_comment,
        "reviewed_by": _person(response.reviewed_by),
        "reviewed_at": response.reviewed_at,
    }


def _nc_file(nc: Nonconformity, attachment: NonconformityAttachment, folder: str, files: _Files) -> dict:
    return {
        "id": attachment.pk,
        "response": attachment.response_id,
        "purpose": attachment.purpose,
        "original_name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "uploaded_by": _person(attachment.uploaded_by),
        "uploaded_at": attachment.uploaded_at,
        "file": files.add(
            attachment.file,
            f"{folder}/{attachment.pk}-{_safe(attachment.original_name)}",
            source=f"nonconformity {nc.number} file {attachment.pk}",
            recorded_sha256=attachment.sha256,
        ),
    }


def _nc_event(event) -> dict:
    return {
        "kind": event.kind,
        "by": _person(event.by),
        "at": event.at,
        "response": event.response_id,
        "comment": event.comment,
    }


def _nc_document(nc: Nonconformity, document, folder: str, files: _Files) -> dict:
    return _document(
        document,
        files,
        path=f"{folder}/ncr-{document.pk}.pdf",
        source=f"nonconformity {nc.number} document {document.pk}",
    )


def _decisions(organization: Organization) -> list[dict]:
    # A decision on a transfer of certification (IAF MD 2) rests on no audit: its transfer names the client.
    decisions = Decision.objects.filter(
        Q(audit__organization=organization) | Q(transfer__organization=organization)
    ).select_related("decided_by")
    return [
        {
            "id": decision.pk,
            "audit": decision.audit_id,
            "outcome": decision.outcome,
            "rationale": decision.rationale,
            "decided_on": decision.decided_on,
            "decided_by": _person(decision.decided_by),
            "created_at": decision.created_at,
        }
        for decision in decisions.order_by("id")
    ]


def _certificates(organization: Organization, files: _Files) -> list[dict]:
    certificates = (
        Certificate.objects.filter(organization=organization)
        .prefetch_related("standards", "sites", "revisions", "events__by")
        .order_by("id")
    )
    rows = []
    for certificate in certificates:
        number = _safe(certificate.number, fallback=str(certificate.pk))
        rows.append(
            {
                "id": certificate.pk,
                "number": certificate.number,
                "identity": certificate.identity,
                "programme": certificate.programme_id,
                "decision": certificate.decision_id,
                "entity_name": certificate.entity_name,
                "entity_address": certificate.entity_address,
                "scope": certificate.scope,
                "status": certificate.status,
                "original_issue_date": certificate.original_issue_date,
                "issue_date": certificate.issue_date,
                "expiry_date": certificate.expiry_date,
                "revision": certificate.revision,
                "confidential": certificate.confidential,
                "suspended_until": certificate.suspended_until,
                "status_reason": certificate.status_reason,
                "updated_at": certificate.updated_at,
                "standards": [{"code": s.code, "edition": s.edition} for s in certificate.standards.all()],
                "sites": [
                    {
                        "site": entry.site_id,
                        "name": entry.name,
                        "address": entry.address,
                        "city": entry.city,
                        "country": entry.country,
                        "scope": entry.scope,
                    }
                    for entry in certificate.sites.all()
                ],
                "revisions": [
                    _certificate_revision(certificate, revision, number, files)
                    for revision in certificate.revisions.all()
                ],
                "events": [
                    {
                        "kind": event.kind,
                        "reason": event.reason,
                        "by": _person(event.by),
                        "at": event.at,
                        "revision": event.revision,
                    }
                    for event in certificate.events.all()
                ],
            }
        )
    return rows


def _certificate_revision(certificate: Certificate, revision, number: str, files: _Files) -> dict:
    """One revision and its PDF, filed as certificates/<number>-rev<n>.pdf (`number` made file-safe)."""
    return {
        "revision": revision.revision,
        "issue_date": revision.issue_date,
        "reason": revision.reason,
        "contents": revision.snapshot,
        "template_version": revision.template_version,
        "created_at": revision.created_at,
        "file": files.add(
            revision.file,
            f"certificates/{number}-rev{revision.revision}.pdf",
            source=f"certificate {certificate.number} revision {revision.revision}",
        ),
    }


def default_directory(organization: Organization, base: Path) -> Path:
    """var/exports/<organisation number>-<timestamp>/, or the id when there is no number."""
    label = _safe(organization.org_number, fallback="") or f"organization-{organization.pk}"
    stamp = timezone.localtime().strftime("%Y%m%dT%H%M%S")
    return base / "var" / "exports" / f"{label}-{stamp}"
