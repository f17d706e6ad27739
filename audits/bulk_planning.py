"""Bulk planning: staff give several programmes' next audits their dates and team in one go.

A programme's audits exist from its start (audits.services.programme_create: stage 1 to
recertification; programme_next_cycle after a renewal), so its next audit is there, undated, until
someone plans it. For each programme chosen on the due list this proposes the dates from the audit's
due date and copies the team of the programme's last audit, through the same services a person
uses one audit at a time (audit_update, team_member_add), so every check they make is made. Nothing
is confirmed: the plan stays a draft, held to every check of plan_confirm.

Each programme is planned or refused on its own: one refusal never undoes the others.
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audits import permissions
from audits.models import Audit, AuditStatus, CertificationProgramme, ProgrammeStatus, TeamMember, TeamRole
from audits.selectors import NEXT_AUDIT_ORDER
from audits.services import audit_update, team_member_add
from core.actors import check
from core.errors import DomainError

# The audit is proposed to end this many days before its due date: room to move it.
LEAD_DAYS = 21
# Never sooner than this many days from today: the client is told of an audit in advance.
NOTICE_DAYS = 14
# A proposed audit lasts as long as the last one, within 1 to this many working days.
MAX_PROPOSED_DAYS = 5


@dataclass
class Planned:
    programme: CertificationProgramme
    audit: Audit
    members: list[TeamMember] = field(default_factory=list)
    # Members of the last audit's team not copied, each with the reason (competence lapsed, conflict).
    not_copied: list[str] = field(default_factory=list)


@dataclass
class Refused:
    programme: CertificationProgramme
    reason: str


@dataclass
class BulkResult:
    planned: list[Planned] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)


def _weekday_on_or_after(day: datetime.date) -> datetime.date:
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def _add_working_days(day: datetime.date, days: int) -> datetime.date:
    while days > 0:
        day = _weekday_on_or_after(day + datetime.timedelta(days=1))
        days -= 1
    return day


def _working_days(start: datetime.date, end: datetime.date) -> int:
    return sum(1 for n in range((end - start).days + 1) if (start + datetime.timedelta(days=n)).weekday() < 5)


def last_audit(programme: CertificationProgramme, *, before: Audit) -> Audit | None:
    """The programme's latest audit held before `before` (closed or under way), for its team and length."""
    return (
        programme.audits.exclude(pk=before.pk)
        .exclude(status=AuditStatus.CANCELLED)
        .filter(start_date__isnull=False, id__lt=before.pk)
        .order_by("-start_date", "-id")
        .first()
    )


def proposed_dates(
    audit: Audit, previous: Audit | None, today: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """First and last day proposed for `audit`: as long as the previous audit (one working day when
    there is none), ending about LEAD_DAYS before the due date, never sooner than NOTICE_DAYS away."""
    length = 1
    if previous is not None and previous.start_date and previous.end_date:
        length = _working_days(previous.start_date, previous.end_date)
    length = max(1, min(length, MAX_PROPOSED_DAYS))
    due = audit.due_date or today
    start = due - datetime.timedelta(days=LEAD_DAYS + 7 * ((length - 1) // 5) + (length - 1))
    start = _weekday_on_or_after(max(start, today + datetime.timedelta(days=NOTICE_DAYS)))
    return start, _add_working_days(start, length - 1)


def plan_next_audits(*, actor, programmes: list[CertificationProgramme], today: datetime.date) -> BulkResult:
    """Plan each programme's next audit: proposed dates and the last audit's team, not confirmed.

    Refused, with the reason, for a programme with no open audit, whose next audit has no due date
    yet, or that already has dates (planned before, or a second sending of the same list).
    """
    check(actor, permissions.require_can_manage_audits)
    result = BulkResult()
    for programme in programmes:
        try:
            result.planned.append(_plan_one(actor=actor, programme=programme, today=today))
        except DomainError as error:
            result.refused.append(Refused(programme, error.message))
        except ValidationError as error:
            result.refused.append(Refused(programme, " ".join(error.messages)))
    return result


@transaction.atomic
def _plan_one(*, actor, programme: CertificationProgramme, today: datetime.date) -> Planned:
    # Locked: two staff planning the same programme at once plan it once; the second is refused.
    audit = (
        Audit.objects.select_for_update()
        .filter(programme=programme)
        .open()
        .order_by(*NEXT_AUDIT_ORDER)
        .first()
    )
    if programme.status != ProgrammeStatus.ACTIVE:
        raise DomainError(_("The programme is closed."))
    if audit is None:
        raise DomainError(_("The programme has no audit left to plan."))
    if audit.start_date is not None:
        raise DomainError(_("Its next audit (%(audit)s) already has dates.") % {"audit": audit.label})
    if audit.due_date is None:
        raise DomainError(
            _("Its next audit (%(audit)s) has no due date yet: record the certification decision first.")
            % {"audit": audit.label}
        )
    previous = last_audit(programme, before=audit)
    start, end = proposed_dates(audit, previous, today)
    audit_update(actor=actor, audit=audit, start_date=start, end_date=end)
    planned = Planned(programme, audit)
    if previous is None:
        return planned
    # The lead first: the team's other checks may ask for one.
    team = sorted(previous.team.select_related("user"), key=lambda m: (m.role != TeamRole.LEAD_AUDITOR, m.pk))
    for member in team:
        person = member.user.get_full_name() or member.user.username
        if not member.user.is_active:
            planned.not_copied.append(
                _("%(person)s not added: their account is deactivated.") % {"person": person}
            )
            continue
        try:
            with transaction.atomic():
                planned.members.append(
                    team_member_add(actor=actor, audit=audit, user=member.user, role=member.role, today=today)
                )
        except (DomainError, ValidationError) as error:
            reason = error.message if isinstance(error, DomainError) else " ".join(error.messages)
            planned.not_copied.append(
                _("%(person)s not added: %(reason)s") % {"person": person, "reason": reason}
            )
    return planned
