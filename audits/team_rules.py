"""Who may be on an audit team: competence on the audit dates and impartiality (ISO/IEC 17021-1)."""

import datetime

from django.utils import formats
from django.utils.translation import gettext as _

from audits.models import Audit, Competence, TeamRole
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
    declarations = ConsultancyDeclaration.objects.filter(
        organization=audit.organization, person=user, until__gte=cutoff
    ).order_by("-until")
    return [
        _(
            "Impartiality rule: %(user)s declared %(kind)s with %(organization)s until %(until)s, "
            "less than %(years)s years before the audit."
        )
        % {
            "user": user,
            "kind": declaration.get_kind_display().lower(),
            "organization": audit.organization,
            "until": formats.date_format(declaration.until, "DATE_FORMAT"),
            "years": COOLING_OFF_YEARS,
        }
        for declaration in declarations
    ]
