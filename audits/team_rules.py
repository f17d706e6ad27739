"""Who may be on an audit team: competence on the audit dates and impartiality (ISO/IEC 17021-1)."""

import datetime

from django.utils import formats
from django.utils.translation import gettext as _

from audits.models import Audit, AuditStatus, AuditType, Competence, ObjectionOutcome, TeamObjection, TeamRole
from clients.models import ConsultancyDeclaration

# A competence role qualifies for these team roles: a lead auditor may also serve as auditor.
QUALIFYING_COMPETENCES = {
    TeamRole.LEAD_AUDITOR: {TeamRole.LEAD_AUDITOR},
    TeamRole.AUDITOR: {TeamRole.LEAD_AUDITOR, TeamRole.AUDITOR},
    TeamRole.TECHNICAL_EXPERT: {
        TeamRole.LEAD_AUDITOR,
        TeamRole.AUDITOR,
        TeamRole.TECHNICAL_EXPERT,
    },
}
COOLING_OFF_YEARS = 2


def audit_period(audit: Audit, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The dates a member must be competent on: the audit's dates, or today while none are set."""
    start = audit.start_date or today
    return start, audit.end_date or start


def competence_problems(*, audit: Audit, user, role: str, today: datetime.date) -> list[str]:
    """One message per standard of the audit for which the user lacks a valid competence in the role."""
    start, end = audit_period(audit, today)
    roles = QUALIFYING_COMPETENCES[TeamRole(role)]
    held = set(
        Competence.objects.valid_between(start, end)
        .filter(user=user, role__in=roles, standard__in=audit.standards.all())
        .values_list("standard_id", flat=True)
    )
    return [
        _(
            "Competence rule: %(user)s holds no valid %(role)s competence for %(standard)s "
            "on the audit dates (%(start)s to %(end)s)."
        )
        % {
            "user": user,
            "role": TeamRole(role).label.lower(),
            "standard": standard.code,
            "start": formats.date_format(start, "DATE_FORMAT"),
            "end": formats.date_format(end, "DATE_FORMAT"),
        }
        for standard in audit.standards.all()
        if standard.pk not in held
    ]


def conflict_problems(*, audit: Audit, user, today: datetime.date) -> list[str]:
    """Impartiality: nobody who consulted for or worked at the client in the last two years."""
    start, _end = audit_period(audit, today)
    if start.year - COOLING_OFF_YEARS < datetime.MINYEAR:
        cutoff = datetime.date.min  # an audit dated in the first years of the calendar
    else:
        try:
            cutoff = start.replace(year=start.year - COOLING_OFF_YEARS)
        except ValueError:  # 29 February
            cutoff = start.replace(year=start.year - COOLING_OFF_YEARS, day=28)
    declarations = (
        ConsultancyDeclaration.objects.filter(organization=audit.organization, person=user, until__gte=cutoff)
        .select_related("organization")
        .order_by("-until")
    )
    return [
        _(
            "Impartiality rule: %(user)s declared %(kind)s with %(organization)s until %(until)s, "
            "less than %(years)s years before the audit."
        )
        % {
            "user": user,
            "kind": declaration.get_kind_display().lower(),
            "organization": declaration.consulted_for,
            "until": formats.date_format(declaration.until, "DATE_FORMAT"),
            "years": COOLING_OFF_YEARS,
        }
        for declaration in declarations
    ]


def team_problems(*, audit: Audit, today: datetime.date) -> list[str]:
    """Every member checked again against the audit as it stands now.

    The checks at team_member_add see the dates, standards and declarations of that moment; a
    later change of dates, a competence that lapses before the last day or a consultancy
    declaration recorded afterwards must still stop the plan (17021-1 7.1, 5.2).
    """
    problems = []
    for member in audit.team.select_related("user").order_by("role", "id"):
        problems += conflict_problems(audit=audit, user=member.user, today=today)
        problems += competence_problems(audit=audit, user=member.user, role=member.role, today=today)
    return problems


def objection_refusal(audit: Audit) -> str | None:
    """Why the client cannot object to the team now, or None when it can (17021-1 9.2.3.3)."""
    if audit.audit_type == AuditType.SPECIAL:
        return _("At a special or short-notice audit the client cannot object to team members.")
    if audit.status != AuditStatus.PLANNED:
        return _("Objections to team members can be made only before the plan is confirmed.")
    return None


def objection_problems(*, audit: Audit) -> list[str]:
    """Each open objection stops the plan until staff replace the member or record why they stay."""
    return [
        _("Objection rule: the client objects to %(user)s; replace them or record why they stay on the team.")
        % {"user": objection.user}
        for objection in TeamObjection.objects.filter(audit=audit, outcome=ObjectionOutcome.OPEN)
        .select_related("user")
        .order_by("raised_at", "id")
    ]
