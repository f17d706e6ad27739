"""Writes for evidence files: add, change the description or who sees it, remove.

Each checks that the user is on the audit's team and that the audit is open for findings, then
records the change in the finding's history. A refused upload leaves nothing behind: the file is
checked before anything is written and deleted again if the database write fails.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ConflictError, DomainError
from findings.deliveries import thumbnail_queue
from findings.models import ChangeAction, Evidence, Finding, FindingChange, Visibility
from findings.permissions import require_can_handle_evidence
from findings.services import require_open_for_findings
from findings.uploads import THUMBNAIL_TYPES, inspect_upload

DESCRIPTION_MAX_LENGTH = 500  # Evidence.description


def _clean_description(description: str) -> str:
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise DomainError(
            _("Keep the description to %(max)s characters.") % {"max": DESCRIPTION_MAX_LENGTH},
            field="description",
        )
    return description


def _check_visibility(visibility: str) -> None:
    if visibility not in Visibility.values:
        raise DomainError(
            _("Choose who sees the file: the audit team or also the client."), field="visibility"
        )


def _require_current(finding: Finding) -> None:
    if finding.removed_at is not None:
        raise ConflictError(_("This finding was removed; its evidence can no longer change."))


def _lock_finding(finding: Finding) -> Finding:
    """The finding and its audit as stored, locked against a concurrent close or removal."""
    stored = Finding.objects.select_for_update().select_related("audit").get(pk=finding.pk)
    require_open_for_findings(stored.audit)
    _require_current(stored)
    return stored


def evidence_add(
    *, finding: Finding, user, upload, description: str = "", visibility: str = "team"
) -> Evidence:
    """Attach a file to a finding. PermissionDenied off the team; DomainError when refused.

    The file is written only after its content passed inspection, and removed again when the
    database write fails. (Called inside a caller's transaction that later rolls back, the file
    would stay on disk unreferenced; no caller does that.)
    """
    audit = finding.audit
    require_can_handle_evidence(user, audit)
    require_open_for_findings(audit)
    _require_current(finding)
    description = _clean_description(description)
    _check_visibility(visibility)
    inspected = inspect_upload(upload)

    stored_name = None
    try:
        with transaction.atomic():
            finding = _lock_finding(finding)
            evidence = Evidence(
                finding=finding,
                audit=finding.audit,
                original_name=inspected.original_name,
                content_type=inspected.kind.mime,
                size=inspected.size,
                sha256=inspected.sha256,
                description=description,
                visibility=visibility,
                uploaded_by=user,
            )
            upload.seek(0)
            # upload_to gives a random name under the audit; the uploader's name is never used on disk.
            evidence.file.save(inspected.original_name, upload, save=False)
            stored_name = evidence.file.name
            evidence.save()
            _record_added(evidence, finding=finding, user=user)
            if inspected.kind.mime in THUMBNAIL_TYPES:
                # Made once the upload commits, through the outbox.
                thumbnail_queue(evidence=evidence)
    except BaseException:
        if stored_name:
            evidence.file.storage.delete(stored_name)
        raise
    return evidence


def _record_added(evidence: Evidence, *, finding: Finding, user) -> None:
    """The addition in the audit's history of changes, with what was stored."""
    FindingChange.objects.create(
        audit=finding.audit,
        finding=finding,
        evidence=evidence,
        action=ChangeAction.EVIDENCE_ADDED,
        changes={
            name: [None, getattr(evidence, name)]
            for name in ("original_name", "content_type", "size", "sha256", "description", "visibility")
        },
        version=finding.version,
        changed_by=user,
    )


def _lock_evidence(evidence: Evidence, user) -> Evidence:
    stored = Evidence.objects.select_for_update().select_related("finding", "audit").get(pk=evidence.pk)
    require_can_handle_evidence(user, stored.audit)
    require_open_for_findings(stored.audit)
    _require_current(stored.finding)
    if stored.removed_at is not None:
        raise ConflictError(_("This file was removed."))
    return stored


@transaction.atomic
def evidence_update(
    *, evidence: Evidence, user, description: str | None = None, visibility: str | None = None
) -> Evidence:
    """Change a file's description or who sees it; unchanged values record nothing."""
    stored = _lock_evidence(evidence, user)
    changes = {}
    if description is not None:
        description = _clean_description(description)
        if description != stored.description:
            changes["description"] = [stored.description, description]
            stored.description = description
    if visibility is not None:
        _check_visibility(visibility)
        if visibility != stored.visibility:
            changes["visibility"] = [stored.visibility, visibility]
            stored.visibility = visibility
    if not changes:
        return stored
    stored.save(update_fields=list(changes))
    FindingChange.objects.create(
        audit=stored.audit,
        finding=stored.finding,
        evidence=stored,
        action=ChangeAction.EVIDENCE_CHANGED,
        changes=changes,
        version=stored.finding.version,
        changed_by=user,
    )
    return stored


@transaction.atomic
def evidence_remove(*, evidence: Evidence, user) -> Evidence:
    """Take a file off the finding. It stays on record, with its file, for the audit trail."""
    stored = _lock_evidence(evidence, user)
    stored.removed_at = timezone.now()
    stored.save(update_fields=["removed_at"])
    FindingChange.objects.create(
        audit=stored.audit,
        finding=stored.finding,
        evidence=stored,
        action=ChangeAction.EVIDENCE_REMOVED,
        changes={"original_name": [stored.original_name, None]},
        version=stored.finding.version,
        changed_by=user,
    )
    return stored
