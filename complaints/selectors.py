"""Reads of complaints and appeals: who sees which case, and what of it."""

import datetime

from django.db.models import Q, QuerySet

from accounts.roles import is_staff_member
from audits.services import primary_standard
from certificates.models import CertificateEvent, CertificateEventKind, Decision
from clients.selectors import membership_of
from complaints.models import Appeal, CaseQuerySet, Complaint, TimelineEntry
from complaints.permissions import is_handling
from core.errors import DomainError
from findings.models import Nonconformity
from standards.models import CertificationScheme

# The certificate changes a client may appeal against.
APPEALABLE_EVENTS = (
    CertificateEventKind.SUSPENDED,
    CertificateEventKind.WITHDRAWN,
    CertificateEventKind.SCOPE_CHANGED,
    CertificateEventKind.SCOPE_REDUCED,
)


def complaints_for_user(user) -> CaseQuerySet[Complaint]:
    """Staff all; a client's users those their organisation filed and their own; an investigator
    those assigned to them; everyone else none (404). A client never sees a complaint about it."""
    if not user.is_authenticated:
        return Complaint.objects.none()
    if is_staff_member(user):
        return Complaint.objects.all()
    visible = Q(submitted_by=user) | Q(investigator=user)
    membership = membership_of(user)
    if membership is not None:
        visible |= Q(submitter_organization_id=membership.organization_id)
    return Complaint.objects.filter(visible)


def appeals_for_user(user) -> CaseQuerySet[Appeal]:
    """Staff all; a client's users their organisation's; an investigator those assigned to them."""
    if not user.is_authenticated:
        return Appeal.objects.none()
    if is_staff_member(user):
        return Appeal.objects.all()
    visible = Q(submitted_by=user) | Q(investigator=user)
    membership = membership_of(user)
    if membership is not None:
        visible |= Q(organization_id=membership.organization_id)
    return Appeal.objects.filter(visible)


def complaints_overdue(today: datetime.date) -> QuerySet[Complaint]:
    """Open complaints past their acknowledge-by or answer-by date (staff's home page)."""
    return Complaint.objects.overdue(today).order_by("answer_by", "id")


def appeals_overdue(today: datetime.date) -> QuerySet[Appeal]:
    """Open appeals past their acknowledge-by or answer-by date (staff's home page)."""
    return Appeal.objects.overdue(today).select_related("organization").order_by("answer_by", "id")


def timeline_for_user(user, case: Complaint | Appeal) -> QuerySet[TimelineEntry]:
    """The whole timeline for those handling the case; the submitter's entries for the submitter."""
    entries = case.timeline.select_related("author").order_by("at", "id")
    if is_handling(user, case):
        return entries
    return entries.filter(visible_to_submitter=True)


def overdue_cases(queryset: CaseQuerySet, today: datetime.date) -> CaseQuerySet:
    return queryset.overdue(today)


def case_scheme(case: Complaint | Appeal) -> CertificationScheme | None:
    """The scheme whose policy sets the case's deadlines: that of the certificate, decision or
    nonconformity concerned; None when the case concerns none (the defaults apply)."""
    try:
        if isinstance(case, Complaint):
            if case.certificate_id is not None:
                return primary_standard(case.certificate).scheme
            if case.audit_id is not None:
                return primary_standard(case.audit).scheme
            return None
        decision, event, nonconformity = case.decision, case.certificate_event, case.nonconformity
        if decision is not None:
            audit = decision.decided_audit
            return primary_standard(audit).scheme if audit is not None else None
        if event is not None:
            return primary_standard(event.certificate).scheme
        if nonconformity is not None:
            return nonconformity.finding.clause.standard.scheme
    except (DomainError, CertificationScheme.DoesNotExist):
        return None
    return None


def appealable_decisions(organization_id: int | None = None) -> QuerySet[Decision]:
    # On one of our audits: a transfer's decision (no audit) is not appealed through Certdesk.
    decisions = (
        Decision.objects.filter(audit__isnull=False)
        .select_related("audit__organization")
        .order_by("-decided_on", "-id")
    )
    if organization_id is not None:
        decisions = decisions.filter(audit__organization_id=organization_id)
    return decisions


def appealable_events(organization_id: int | None = None) -> QuerySet[CertificateEvent]:
    events = (
        CertificateEvent.objects.filter(kind__in=APPEALABLE_EVENTS)
        .select_related("certificate__organization")
        .order_by("-at", "-id")
    )
    if organization_id is not None:
        events = events.filter(certificate__organization_id=organization_id)
    return events


def appealable_nonconformities(organization_id: int | None = None) -> QuerySet[Nonconformity]:
    nonconformities = Nonconformity.objects.select_related("audit__organization").order_by("-id")
    if organization_id is not None:
        nonconformities = nonconformities.filter(audit__organization_id=organization_id)
    return nonconformities


def _appellant_organization_id(user) -> int | bool | None:
    """None for staff (any organisation), the organisation's id for its users, False for anyone else."""
    if not user.is_authenticated:
        return False
    if is_staff_member(user):
        return None
    membership = membership_of(user)
    return membership.organization_id if membership is not None else False


def decisions_appealable_by(user) -> QuerySet[Decision]:
    organization_id = _appellant_organization_id(user)
    return Decision.objects.none() if organization_id is False else appealable_decisions(organization_id)


def events_appealable_by(user) -> QuerySet[CertificateEvent]:
    organization_id = _appellant_organization_id(user)
    return CertificateEvent.objects.none() if organization_id is False else appealable_events(organization_id)


def nonconformities_appealable_by(user) -> QuerySet[Nonconformity]:
    organization_id = _appellant_organization_id(user)
    if organization_id is False:
        return Nonconformity.objects.none()
    return appealable_nonconformities(organization_id)
