"""Nonconformity deadlines: reminders before the client's answer is due, escalation once a deadline
has passed, and the organisations whose certificates are candidates for suspension (for their
nonconformities, or for a surveillance audit not held by its due date).

Run once a day by the beat task `findings.tasks.run_nonconformity_deadlines`. Every e-mail is a
Notice keyed by its occasion and the deadline it is about (see `findings.notices.send_notice`), so
a second run on the same day sends nothing, and a deadline moved later gets e-mails of its own.
"""

import datetime
import logging
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import BooleanField, Case, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from audits.models import Audit
from audits.selectors import surveillances_overdue
from clients.models import Organization
from findings.models import Grade, Nonconformity, NonconformityStatus
from findings.notices import client_recipients, send_notice, staff_recipients, team_recipients
from standards.models import CertificationScheme

logger = logging.getLogger(__name__)

# Days before the answer is due on which the client's users are reminded: a week leaves time for
# a root-cause analysis, the day before is the last call. A day the beat missed is not made up
# later: "7 days left" sent with 6 left would be wrong, and escalation follows a missed deadline.
REMINDER_DAYS = (7, 1)

# The occasions of an escalation, as used in the Notice key and by the e-mail template.
LATE_ANSWER = "response"
MAJOR_NOT_CLOSED = "close"

_SCHEME_DAYS = "finding__clause__standard__scheme__suspension_candidate_days"


def _scheme_default(name: str) -> int:
    return CertificationScheme._meta.get_field(name).default


def nc_deadlines(
    *, grade: str, closed_on: datetime.date, scheme: CertificationScheme | None
) -> tuple[datetime.date, datetime.date | None]:
    """(answer due, closure due) for a nonconformity raised on `closed_on`, under the scheme's policy.

    A minor has no closure date: its accepted plan is verified at the next audit. A standard
    without a scheme gets the policy defaults rather than no deadline at all.
    """
    response_days = scheme.nc_response_days if scheme else _scheme_default("nc_response_days")
    close_days = scheme.major_nc_close_days if scheme else _scheme_default("major_nc_close_days")
    response_due = closed_on + datetime.timedelta(days=response_days)
    close_due = closed_on + datetime.timedelta(days=close_days) if grade == Grade.MAJOR else None
    return response_due, close_due


def nonconformity_scheme(nonconformity: Nonconformity) -> CertificationScheme | None:
    """The scheme whose policy sets this nonconformity's deadlines (none: the defaults)."""
    try:
        return nonconformity.finding.clause.standard.scheme
    except CertificationScheme.DoesNotExist:
        return None


@dataclass(frozen=True)
class Candidate:
    """An organisation whose certificate is a candidate for suspension, and why."""

    organization: Organization
    nonconformities: list[Nonconformity]
    # One sentence per nonconformity, then one per overdue surveillance, in the language active
    # when listed.
    reasons: list[str]
    # Surveillance audits past their due date and not held (17021-1 9.6.5).
    surveillances: list[Audit] = field(default_factory=list)

    @property
    def reason(self) -> str:
        return " ".join(self.reasons)


@dataclass(frozen=True)
class DeadlineReport:
    reminders: int
    escalations: int
    # E-mails that could not be sent (mail server refused or unreachable); a re-run retries them.
    failed: int
    candidates: list[Candidate]

    def counts(self) -> dict[str, int]:
        return {
            "reminders": self.reminders,
            "escalations": self.escalations,
            "failed": self.failed,
            "suspension_candidates": len(self.candidates),
        }


# -- The rules ----------------------------------------------------------------------------------


def reminder_key(nonconformity: Nonconformity, *, days: int) -> str:
    return f"reminder-{days}:{nonconformity.response_due.isoformat()}"


def escalation_occasions(
    nonconformity: Nonconformity, *, today: datetime.date
) -> list[tuple[str, datetime.date]]:
    """(reason, missed deadline) for each deadline of the NC that has passed unmet by `today`.

    The same rule as `NonconformityQuerySet.overdue`, per row, to tell the two reasons apart.
    """
    occasions = []
    if nonconformity.status == NonconformityStatus.AWAITING_RESPONSE and nonconformity.response_due < today:
        occasions.append((LATE_ANSWER, nonconformity.response_due))
    if (
        nonconformity.grade == Grade.MAJOR
        and nonconformity.close_due is not None
        and nonconformity.close_due < today
        and nonconformity.status != NonconformityStatus.CLOSED
    ):
        occasions.append((MAJOR_NOT_CLOSED, nonconformity.close_due))
    return occasions


def _default_candidate_days() -> int:
    # A standard without a scheme gets the policy default, as its deadlines do (reports.services).
    return CertificationScheme._meta.get_field("suspension_candidate_days").default


def _suspension_rules(today: datetime.date) -> tuple[Q, Q]:
    """(unanswered too long, major past its deadline) as conditions on Nonconformity.

    "More than N days after it was raised": raised on day R, the NC counts from R + N + 1 on.
    N is the scheme's, so one condition per distinct value (a handful of schemes, one query).
    """
    raised_before = Q(
        finding__clause__standard__scheme__isnull=True,
        created_at__date__lt=today - datetime.timedelta(days=_default_candidate_days()),
    )
    scheme_days = (
        CertificationScheme.objects.order_by().values_list("suspension_candidate_days", flat=True).distinct()
    )
    for days in scheme_days:
        raised_before |= Q(**{_SCHEME_DAYS: days}, created_at__date__lt=today - datetime.timedelta(days=days))
    unanswered = Q(status=NonconformityStatus.AWAITING_RESPONSE) & raised_before
    major_late = Q(grade=Grade.MAJOR, close_due__lt=today) & ~Q(status=NonconformityStatus.CLOSED)
    return unanswered, major_late


# -- Selectors ----------------------------------------------------------------------------------


def overdue_surveillances(*, today: datetime.date):
    """Surveillance audits of certified, active programmes past their due date and not yet held
    (the rule is audits.selectors.surveillances_overdue)."""
    return surveillances_overdue(today)


def suspension_candidates(*, today: datetime.date) -> list[Candidate]:
    """Organisations with an NC unanswered past the scheme's limit (default 90 days after it was
    raised), a major not closed by its deadline or a surveillance audit overdue, with those NCs
    and audits, by organisation name. Three queries.
    """
    unanswered, major_late = _suspension_rules(today)
    nonconformities = (
        Nonconformity.objects.filter(unanswered | major_late)
        .annotate(
            is_unanswered=_flag(unanswered),
            is_major_late=_flag(major_late),
            answer_days=Coalesce(F(_SCHEME_DAYS), Value(_default_candidate_days())),
        )
        .select_related("audit__organization")
        .order_by("audit__organization__legal_name", "audit__organization_id", "number")
    )
    candidates: list[Candidate] = []
    for nonconformity in nonconformities:
        organization = nonconformity.audit.organization
        if not candidates or candidates[-1].organization.pk != organization.pk:
            candidates.append(Candidate(organization=organization, nonconformities=[], reasons=[]))
        candidates[-1].nonconformities.append(nonconformity)
        candidates[-1].reasons.append(_candidate_reason(nonconformity))
    by_organization = {candidate.organization.pk: candidate for candidate in candidates}
    for audit in overdue_surveillances(today=today):
        candidate = by_organization.get(audit.organization_id)
        if candidate is None:
            candidate = Candidate(organization=audit.organization, nonconformities=[], reasons=[])
            by_organization[audit.organization_id] = candidate
        candidate.surveillances.append(audit)
        candidate.reasons.append(
            _("The surveillance audit due by %(date)s has not been held.")
            # The query chose audits with a due date before today: it is never None here.
            % {"date": date_format(audit.due_date)}  # type: ignore[arg-type]
        )
    return sorted(
        by_organization.values(),
        key=lambda candidate: (candidate.organization.legal_name, candidate.organization.pk),
    )


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())


def _candidate_reason(nonconformity) -> str:
    sentences = []
    if nonconformity.is_unanswered:
        sentences.append(
            _("%(number)s has had no answer for more than %(days)s days since it was raised on %(raised)s.")
            % {
                "number": nonconformity.number,
                "days": nonconformity.answer_days,
                "raised": date_format(timezone.localdate(nonconformity.created_at)),
            }
        )
    if nonconformity.is_major_late:
        sentences.append(
            _("Major nonconformity %(number)s was not closed by %(date)s.")
            % {"number": nonconformity.number, "date": date_format(nonconformity.close_due)}
        )
    return " ".join(sentences)


# -- The daily run ------------------------------------------------------------------------------


def _deliver(outcomes: Counter, kind: str, **notice) -> None:
    try:
        if send_notice(**notice):
            outcomes[kind] += 1
    except OSError:
        # One refused address or a mail server hiccup must not stop the others; the Notice was
        # rolled back with the failed send, so the next run tries this one again.
        logger.exception("Could not send %s for %s.", notice["key"], notice["nonconformity"])
        outcomes["failed"] += 1


def deadlines_run(*, today: datetime.date) -> DeadlineReport:
    """Send today's reminders and escalations, each once, and list the suspension candidates."""
    outcomes: Counter = Counter()
    related = ("audit__organization", "finding__clause", "finding__site")

    clients_of: dict[int, list] = {}
    due_dates = [today + datetime.timedelta(days=days) for days in REMINDER_DAYS]
    reminders = Nonconformity.objects.filter(
        status=NonconformityStatus.AWAITING_RESPONSE, response_due__in=due_dates
    ).select_related(*related)
    for nonconformity in reminders:
        days = (nonconformity.response_due - today).days
        organization_id = nonconformity.audit.organization_id
        if organization_id not in clients_of:
            clients_of[organization_id] = client_recipients(nonconformity)
        _deliver(
            outcomes,
            "reminders",
            nonconformity=nonconformity,
            key=reminder_key(nonconformity, days=days),
            recipients=clients_of[organization_id],
            template="nc_reminder",
            context={"days": days, "due": nonconformity.response_due},
        )

    staff = staff_recipients()
    leads_of: dict[int, list] = {}
    for nonconformity in Nonconformity.objects.overdue(today).select_related(*related):
        if nonconformity.audit_id not in leads_of:
            leads_of[nonconformity.audit_id] = team_recipients(nonconformity, lead_only=True)
        # A lead who is also staff gets one e-mail, not two.
        recipients = list({user.pk: user for user in leads_of[nonconformity.audit_id] + staff}.values())
        for reason, due in escalation_occasions(nonconformity, today=today):
            _deliver(
                outcomes,
                "escalations",
                nonconformity=nonconformity,
                key=f"escalation-{reason}:{due.isoformat()}",
                recipients=recipients,
                template="nc_escalation",
                context={"reason": reason, "due": due, "days_overdue": (today - due).days},
            )

    candidates = suspension_candidates(today=today)
    if candidates:
        logger.info(
            "Candidates for suspension: %s.",
            ", ".join(candidate.organization.legal_name for candidate in candidates),
        )
    return DeadlineReport(
        reminders=outcomes["reminders"],
        escalations=outcomes["escalations"],
        failed=outcomes["failed"],
        candidates=candidates,
    )
