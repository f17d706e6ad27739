import datetime

from django.db.models import F, Q, QuerySet

from accounts.roles import granted_by_object, has_global_perm, is_staff_member
from audits.cycle import AT_RISK_DAYS
from audits.models import Audit, AuditStatus, CertificationProgramme, PlanSlot, TeamObjection
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
