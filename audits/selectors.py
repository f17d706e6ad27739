import datetime

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery

from accounts.roles import granted_by_object, has_global_perm, is_staff_member
from audits.cycle import AT_RISK_DAYS
from audits.models import (
    Audit,
    AuditDocument,
    AuditStatus,
    AuditType,
    CertificationProgramme,
    DocumentKind,
    PlanSlot,
    ProgrammeStatus,
    TeamMember,
    TeamObjection,
    TeamRole,
)
from audits.permissions import can_see_objections
from clients.models import ClientMembership
from clients.selectors import organizations_for_user


def audits_for_user(user, queryset: QuerySet[Audit] | None = None) -> QuerySet[Audit]:
    """Audits the user may see: staff all; team members theirs (guardian); client users their own.

    A client's users are not granted per audit: their audits follow from their membership by a
    join, so a new audit is visible to them without any grant.
    """
    queryset = Audit.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    # has_global_perm: the same answer as user.has_perm without loading every permission (two queries).
    if is_staff_member(user) or has_global_perm(user, "audits.view_audit"):
        return queryset
    membership = ClientMembership.objects.filter(user=user).values("organization_id")
    granted = granted_by_object(user, "audits.view_audit", Audit)
    return queryset.filter(Q(organization_id__in=membership) | granted)


def programmes_for_user(user) -> QuerySet[CertificationProgramme]:
    """Programmes of the organisations the user may see."""
    return CertificationProgramme.objects.filter(organization__in=organizations_for_user(user))


def audits_needing_attention(today: datetime.date) -> QuerySet[Audit]:
    """Open audits past their due date, or due soon without a confirmed plan (staff's home page)."""
    soon = today + datetime.timedelta(days=AT_RISK_DAYS)
    return (
        Audit.objects.open()
        .filter(Q(due_date__lt=today) | Q(due_date__lte=soon, status=AuditStatus.PLANNED))
        .select_related("organization")
        .prefetch_related("standards", "sites")
        .order_by("due_date", "id")
    )


def upcoming_audits(user, today: datetime.date) -> QuerySet[Audit]:
    """The user's open audits that have not ended, soonest first (auditor's and client's home pages)."""
    return (
        audits_for_user(user)
        .open()
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("organization")
        .prefetch_related("standards", "sites")
        .order_by(F("start_date").asc(nulls_last=True), "due_date", "id")
    )


def todays_slots(user, today: datetime.date) -> QuerySet[PlanSlot]:
    """The user's plan slots today, on audits under way: the auditor's "what now"."""
    return (
        PlanSlot.objects.filter(
            member__user=user,
            day__date=today,
            day__audit__status__in=[AuditStatus.CONFIRMED, AuditStatus.IN_PROGRESS],
        )
        .select_related("day__site", "day__audit__organization")
        .prefetch_related("clauses")
        .order_by("start", "id")
    )


def objections_for_user(user, audit: Audit) -> QuerySet[TeamObjection]:
    """The objections to the audit's team that the user may read (none for its other members)."""
    if not can_see_objections(user, audit):
        return TeamObjection.objects.none()
    return audit.objections.select_related("user", "raised_by", "decided_by").order_by("raised_at", "id")


# -- What is due (the home dashboards) --------------------------------------------------------------

# A programme's next audit: the open one due first; undated ones (stage 1, stage 2) in cycle order.
NEXT_AUDIT_ORDER = (F("due_date").asc(nulls_last=True), "id")
# Staff plan the audits falling due in this many days: dates and a team, before anything else.
DUE_WINDOW_DAYS = 90


def _has_team():
    return Exists(TeamMember.objects.filter(audit_id=OuterRef("pk")))


def audits_due_unplanned(today: datetime.date, *, days: int = DUE_WINDOW_DAYS) -> QuerySet[Audit]:
    """Open audits due within `days` (or already past due) that have no dates or no team yet."""
    return (
        Audit.objects.open()
        .filter(due_date__lte=today + datetime.timedelta(days=days))
        .annotate(has_team=_has_team())
        .filter(Q(start_date__isnull=True) | Q(has_team=False))
        .select_related("organization")
        .order_by("due_date", "id")
    )


def surveillances_overdue(today: datetime.date) -> QuerySet[Audit]:
    """Surveillances of certified, active programmes not held by their due date (ISO/IEC 17021-1
    9.1.3.3 and 9.6.5): the staff's home page and the suspension candidates (findings.deadlines).

    The due date follows the 12-month rule (audits.cycle: the first surveillance no later than 12
    months after the initial certification decision, then one each calendar year); a surveillance is
    overdue once that day has passed and it is neither closed nor was held by then (ended on time,
    its report still to come).
    """
    return (
        Audit.objects.open()
        .filter(
            audit_type=AuditType.SURVEILLANCE,
            due_date__lt=today,
            programme__status=ProgrammeStatus.ACTIVE,
            programme__decision_date__isnull=False,
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=F("due_date")))
        .select_related("organization")
        .order_by("due_date", "id")
    )


def closing_duties(user, today: datetime.date) -> QuerySet[Audit]:
    """Audits the user leads that have ended and are not closed: the report is theirs to issue."""
    return (
        Audit.objects.open()
        .filter(
            end_date__lt=today,
            team__user=user,
            team__role=TeamRole.LEAD_AUDITOR,
        )
        .select_related("organization")
        .order_by("end_date", "id")
    )


def audit_reports_for_user(user) -> QuerySet[Audit]:
    """Closed audits the user sees that have an audit report to read, newest first."""
    report = AuditDocument.objects.filter(audit_id=OuterRef("pk"), kind=DocumentKind.REPORT)
    return (
        audits_for_user(user)
        .filter(status=AuditStatus.CLOSED, closed_at__isnull=False)
        .filter(Exists(report))
        .select_related("organization")
        .order_by("-closed_at", "-id")
    )


def next_programme_audit(programme: CertificationProgramme) -> Audit | None:
    """The programme's next audit: its open one due first (those without a due date, stage 1 and
    stage 2 before the decision, after), in the order the cycle holds them."""
    return programme.audits.open().order_by(*NEXT_AUDIT_ORDER).first()


def programmes_due(today: datetime.date, *, days: int = DUE_WINDOW_DAYS) -> QuerySet[Audit]:
    """The next audits of active programmes, due within `days` (or past due) and without dates:
    the list staff plan in bulk (audits.bulk_planning), one line a programme."""
    first_open = (
        Audit.objects.open()
        .filter(programme_id=OuterRef("programme_id"))
        .order_by(*NEXT_AUDIT_ORDER)
        .values("pk")[:1]
    )
    return (
        Audit.objects.open()
        .filter(
            programme__status=ProgrammeStatus.ACTIVE,
            pk=Subquery(first_open),
            start_date__isnull=True,
            due_date__lte=today + datetime.timedelta(days=days),
        )
        .select_related("organization", "programme")
        .order_by("due_date", "id")
    )
