"""Reads for findings and evidence: who may see and write what, derived from the audit."""

from django.db.models import QuerySet

from accounts.roles import is_staff_member
from audits.models import Audit, AuditStatus
from audits.selectors import audits_for_user
from clients.selectors import membership_of
from findings.models import Evidence, Finding, Visibility


def is_client_user(user) -> bool:
    return membership_of(user) is not None


def can_read_findings(user, audit: Audit) -> bool:
    """Staff and the team always; the client's users once the audit report is issued."""
    if is_client_user(user):
        return audit.report_issued
    return True  # the caller already found the audit through audits_for_user


def can_write_findings(user, audit: Audit) -> bool:
    """Only the audit's team writes findings, and only while the audit is under way."""
    return audit.team.filter(user=user).exists()


def audits_with_readable_findings(user) -> QuerySet[Audit]:
    audits = audits_for_user(user)
    if is_client_user(user):
        audits = audits.filter(status=AuditStatus.CLOSED, closed_at__isnull=False)
    return audits


def findings_for_user(user, *, include_removed: bool = False) -> QuerySet[Finding]:
    """Findings of the audits the user may read findings of (a join, never per-row grants).

    Removed findings only on request: to say why a change to one is refused, not to list them.
    """
    findings = Finding.objects.all() if include_removed else Finding.objects.current()
    return findings.filter(audit__in=audits_with_readable_findings(user).values("pk"))


def evidence_for_user(user) -> QuerySet[Evidence]:
    """Evidence the user may download: the team and staff all of it; the client's users what is shared."""
    evidence = Evidence.objects.current().filter(audit__in=audits_with_readable_findings(user).values("pk"))
    if is_client_user(user) and not is_staff_member(user):
        evidence = evidence.filter(visibility=Visibility.CLIENT)
    return evidence
