"""Reads for findings and evidence: what each person may see, derived from the audits they see.

Who may write is findings.permissions."""

import datetime

from django.db.models import QuerySet

from accounts.roles import is_staff_member
from audits.models import Audit, AuditStatus
from audits.selectors import audits_for_user
from clients.selectors import membership_of
from findings.models import Evidence, Finding, Nonconformity, NonconformityStatus, Visibility


def is_client_user(user) -> bool:
    return membership_of(user) is not None


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


# -- What is due (the home dashboards) --------------------------------------------------------------


def _nonconformities(user) -> QuerySet[Nonconformity]:
    return Nonconformity.objects.filter(audit__in=audits_for_user(user).values("pk")).select_related(
        "finding__clause", "audit__organization"
    )


def nonconformities_overdue(user, today: datetime.date) -> QuerySet[Nonconformity]:
    """The nonconformities the user sees that are overdue (no answer by its date, a major not closed)."""
    return _nonconformities(user).overdue(today).order_by("response_due", "number")


def nonconformities_open(user) -> QuerySet[Nonconformity]:
    """The open nonconformities the user sees, the earliest answer due first (the client's to answer)."""
    return _nonconformities(user).open().order_by("response_due", "number")


def answers_to_review(user) -> QuerySet[Nonconformity]:
    """Answers awaiting the review of a team the user is on."""
    return (
        _nonconformities(user)
        .filter(status=NonconformityStatus.AWAITING_REVIEW, audit__team__user=user)
        .order_by("response_due", "number")
    )
