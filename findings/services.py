"""Writes for findings: each checks who acts (findings.permissions), the audit's state and the version,
then records the change."""

import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audits.models import Audit, AuditSite, AuditStandard, AuditStatus
from core.errors import ConflictError, DomainError
from findings.models import ChangeAction, Finding, FindingChange, Grade
from findings.permissions import require_can_record_findings

FINDING_FIELDS = ("clause", "site", "grade", "statement", "evidence", "interviewee_role")
# Grades that must say what was required and what was observed.
STATEMENT_REQUIRED = (Grade.OFI, Grade.OBSERVATION, Grade.MINOR, Grade.MAJOR)


def require_open_for_findings(audit: Audit) -> None:
    """Findings are written while the audit is under way; a closed audit's record is locked."""
    if audit.status == AuditStatus.CLOSED:
        raise ConflictError(_("The audit is closed: its findings and evidence are locked."))
    if audit.status == AuditStatus.CANCELLED:
        raise ConflictError(_("The audit is cancelled."))
    if audit.status == AuditStatus.PLANNED:
        raise ConflictError(_("Confirm the audit plan before recording findings."))


def _check(audit: Audit, *, clause, site, grade, statement) -> None:
    if grade not in Grade.values:
        raise DomainError(_("Choose a grade."), field="grade")
    # On the link tables' (audit, standard|site) pairs: no join to the standard or site itself.
    if not AuditStandard.objects.filter(audit=audit, standard_id=clause.standard_id).exists():
        raise DomainError(
            _("Clause %(number)s is not in this audit's standards.") % {"number": clause.number},
            field="clause",
        )
    if not clause.auditable:
        raise DomainError(
            _("Clause %(number)s is a heading; record the finding against one of its clauses.")
            % {"number": clause.number},
            field="clause",
        )
    if site is not None and not AuditSite.objects.filter(audit=audit, site_id=site.pk).exists():
        raise DomainError(
            _("%(site)s is not among the sites of this audit.") % {"site": site.name}, field="site"
        )
    if grade in STATEMENT_REQUIRED and not statement.strip():
        raise DomainError(
            _("Write what was required and what was observed for this grade."), field="statement"
        )


def _value(value):
    """A field's value as it is kept in the history: ids for records, text otherwise."""
    if hasattr(value, "pk"):
        return value.pk
    return value


def _start_audit(audit: Audit) -> None:
    if audit.status == AuditStatus.CONFIRMED:
        audit.status = AuditStatus.IN_PROGRESS
        audit.save(update_fields=["status", "updated_at"])


@transaction.atomic
def finding_create(
    *,
    audit: Audit,
    user,
    clause,
    grade: str,
    site=None,
    statement: str = "",
    evidence: str = "",
    interviewee_role: str = "",
    client_uuid: uuid.UUID | None = None,
) -> Finding:
    require_can_record_findings(user, audit)
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    require_open_for_findings(audit)
    statement, evidence, interviewee_role = statement.strip(), evidence.strip(), interviewee_role.strip()
    _check(audit, clause=clause, site=site, grade=grade, statement=statement)
    finding = Finding.objects.create(
        audit=audit,
        clause=clause,
        site=site,
        grade=grade,
        statement=statement,
        evidence=evidence,
        interviewee_role=interviewee_role,
        recorded_by=user,
        updated_by=user,
        client_uuid=client_uuid,
    )
    FindingChange.objects.create(
        audit=audit,
        finding=finding,
        action=ChangeAction.CREATED,
        changes={name: [None, _value(getattr(finding, name))] for name in FINDING_FIELDS},
        version=finding.version,
        changed_by=user,
    )
    _start_audit(audit)
    return finding


@transaction.atomic
def finding_create_once(*, audit: Audit, user, client_uuid: uuid.UUID, **fields) -> tuple[Finding, bool]:
    """finding_create, once per id the recording device gave the finding: (finding, created).

    Sent again with the same id (a retry after a dropped connection, a device syncing what it
    recorded offline), the finding that id recorded is answered, unchanged, and nothing is saved.
    """
    require_can_record_findings(user, audit)
    # The audit's row lock, taken first as finding_create takes it, makes a repeat sent at the same
    # moment wait for the first to commit and then find its finding.
    Audit.objects.select_for_update().filter(pk=audit.pk).exists()
    recorded = Finding.objects.filter(audit=audit, client_uuid=client_uuid).first()
    if recorded is None:
        try:
            with transaction.atomic():
                return finding_create(audit=audit, user=user, client_uuid=client_uuid, **fields), True
        except IntegrityError:
            # A database without row locks (SQLite) lets the two meet at the unique index instead.
            recorded = Finding.objects.get(audit=audit, client_uuid=client_uuid)
    if recorded.removed_at is not None:
        raise ConflictError(_("The finding recorded with this id was removed since."))
    return recorded, False


def _lock_current(finding: Finding, version: int) -> Finding:
    """The finding as stored, locked; refused when the caller read an older version."""
    stored = Finding.objects.select_for_update().select_related("audit", "updated_by").get(pk=finding.pk)
    require_open_for_findings(stored.audit)
    if stored.removed_at is not None:
        raise ConflictError(_("This finding was removed."))
    if int(version) != stored.version:
        raise ConflictError(
            _(
                "%(user)s changed this finding at %(time)s (version %(version)s) after you opened it. "
                "Your text is kept below: compare it with theirs and save again."
            )
            % {
                "user": stored.updated_by,
                "time": timezone.localtime(stored.updated_at).strftime("%H:%M"),
                "version": stored.version,
            }
        )
    return stored


@transaction.atomic
def finding_update(*, finding: Finding, user, version: int, **data) -> Finding:
    """Save changes over the version the user read; a newer stored version wins and this is refused."""
    require_can_record_findings(user, finding.audit)
    unknown = set(data) - set(FINDING_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected fields: {', '.join(sorted(unknown))}")
    stored = _lock_current(finding, version)
    for name in ("statement", "evidence", "interviewee_role"):
        if name in data:
            data[name] = data[name].strip()
    changes = {}
    for name, value in data.items():
        old = getattr(stored, name)
        if _value(old) != _value(value):
            changes[name] = [_value(old), _value(value)]
            setattr(stored, name, value)
    _check(
        stored.audit, clause=stored.clause, site=stored.site, grade=stored.grade, statement=stored.statement
    )
    if not changes:
        return stored
    stored.version += 1
    stored.updated_by = user
    stored.save()
    FindingChange.objects.create(
        audit=stored.audit,
        finding=stored,
        action=ChangeAction.UPDATED,
        changes=changes,
        version=stored.version,
        changed_by=user,
    )
    return stored


@transaction.atomic
def finding_remove(*, finding: Finding, user, version: int) -> Finding:
    """Take a finding off the checklist; it stays on record with its history."""
    require_can_record_findings(user, finding.audit)
    stored = _lock_current(finding, version)
    stored.removed_at = timezone.now()
    stored.version += 1
    stored.updated_by = user
    stored.save(update_fields=["removed_at", "version", "updated_by", "updated_at"])
    FindingChange.objects.create(
        audit=stored.audit,
        finding=stored,
        action=ChangeAction.REMOVED,
        changes={},
        version=stored.version,
        changed_by=user,
    )
    return stored
