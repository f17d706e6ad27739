"""Closing an audit: the team's recommendation, the nonconformities it raises, the report it triggers.

The lead auditor closes the audit. From then on its findings are locked (see
`findings.services.require_open_for_findings`), each current minor or major finding becomes a
numbered nonconformity with the scheme's deadlines, and the audit report PDF is made.
"""

import datetime
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audits.deliveries import report_pdf_queue
from audits.models import Audit, AuditStatus, Recommendation
from audits.numbering import next_number
from audits.selectors import is_lead_auditor
from clients.models import Site
from core.errors import ConflictError, DomainError
from findings.models import NONCONFORMITY_GRADES, Finding, Grade, Nonconformity
from standards.models import CertificationScheme, Clause

NC_SERIES = "NC"


# -- Who and when -------------------------------------------------------------------------------


def require_lead(user, audit: Audit) -> None:
    """Only the audit's lead auditor closes it: the recommendation is the team's, signed by its lead."""
    if not is_lead_auditor(user, audit):
        raise PermissionDenied(_("Only the audit's lead auditor may close it."))


def require_closable(audit: Audit) -> None:
    if audit.status == AuditStatus.CLOSED:
        raise ConflictError(_("The audit is already closed."))
    if audit.status == AuditStatus.CANCELLED:
        raise ConflictError(_("The audit is cancelled."))
    if audit.status == AuditStatus.PLANNED:
        raise ConflictError(_("The plan must be confirmed before the audit can be closed."))


# -- What closing finds -------------------------------------------------------------------------


def finding_order_key(finding: Finding):
    """Report order, which is also the order nonconformities are numbered in: standard, clause, site."""
    clause = finding.clause
    return (
        clause.standard.code,
        clause.order,
        clause.number,
        finding.site.name if finding.site_id else "",
        finding.recorded_at,
        finding.pk,
    )


def plan_gaps(
    *, planned_clauses: Iterable[Clause], sites: Iterable[Site], findings: Iterable[Finding]
) -> tuple[list[Clause], list[Site]]:
    """Clauses planned in a slot with no finding, and sites in the sample with no finding.

    Both are deviations from the plan the report must show, whatever the lead wrote about them.
    A finding not tied to a site counts for its clause but for no site.
    """
    findings = list(findings)
    found_clauses = {finding.clause_id for finding in findings}
    found_sites = {finding.site_id for finding in findings if finding.site_id}
    return (
        [clause for clause in planned_clauses if clause.pk not in found_clauses],
        [site for site in sites if site.pk not in found_sites],
    )


def _current_findings(audit: Audit) -> list[Finding]:
    findings = Finding.objects.current().filter(audit=audit).select_related("clause__standard", "site")
    return sorted(findings, key=finding_order_key)


def planned_clauses(audit: Audit):
    return (
        Clause.objects.filter(plan_slots__day__audit=audit)
        .select_related("standard")
        .distinct()
        .order_by("standard__code", "order", "number")
    )


@dataclass(frozen=True)
class ClosingSummary:
    """What the lead sees before closing: findings by grade, the NCs to be raised, what is missing."""

    grade_counts: list[tuple[str, int]]
    to_raise: list[Finding]
    unaudited_clauses: list[Clause]
    unaudited_sites: list[Site]

    @property
    def has_major(self) -> bool:
        return any(finding.grade == Grade.MAJOR for finding in self.to_raise)

    @property
    def finding_count(self) -> int:
        return sum(count for _label, count in self.grade_counts)


def closing_summary(audit: Audit) -> ClosingSummary:
    findings = _current_findings(audit)
    counts = Counter(finding.grade for finding in findings)
    unaudited_clauses, unaudited_sites = plan_gaps(
        planned_clauses=planned_clauses(audit),
        sites=audit.sites.order_by("-is_central_function", "name"),
        findings=findings,
    )
    return ClosingSummary(
        grade_counts=[(str(label), counts[grade]) for grade, label in Grade.choices],
        to_raise=[finding for finding in findings if finding.grade in NONCONFORMITY_GRADES],
        unaudited_clauses=unaudited_clauses,
        unaudited_sites=unaudited_sites,
    )


# -- Deadlines ----------------------------------------------------------------------------------


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


def _scheme_of(finding: Finding) -> CertificationScheme | None:
    try:
        return finding.clause.standard.scheme
    except CertificationScheme.DoesNotExist:
        return None


# -- Closing ------------------------------------------------------------------------------------


@transaction.atomic
def audit_close(
    *, audit: Audit, user, recommendation: str, conclusion: str = "", plan_deviations: str = ""
) -> Audit:
    """Close the audit with the team's recommendation and raise a nonconformity per minor/major finding."""
    # Locked so no finding is recorded, and no second close runs, between reading and closing.
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    require_lead(user, audit)
    require_closable(audit)
    if recommendation not in Recommendation.values:
        raise DomainError(_("Choose the team's recommendation."), field="recommendation")
    findings = Finding.objects.current().filter(audit=audit, grade__in=NONCONFORMITY_GRADES)
    findings = sorted(findings.select_related("clause__standard__scheme", "site"), key=finding_order_key)
    if recommendation == Recommendation.CERTIFY and any(finding.grade == Grade.MAJOR for finding in findings):
        raise DomainError(
            _(
                "A major nonconformity was found: recommend certification once the majors are closed, "
                "or do not certify."
            ),
            field="recommendation",
        )

    audit.status = AuditStatus.CLOSED
    audit.closed_at = timezone.now()
    audit.closed_by = user
    audit.recommendation = recommendation
    audit.conclusion = conclusion.strip()
    audit.plan_deviations = plan_deviations.strip()
    audit.save(
        update_fields=[
            "status",
            "closed_at",
            "closed_by",
            "recommendation",
            "conclusion",
            "plan_deviations",
            "updated_at",
        ]
    )
    from findings.ncr import nonconformity_issued

    closed_on = timezone.localdate(audit.closed_at)
    for finding in findings:
        response_due, close_due = nc_deadlines(
            grade=finding.grade, closed_on=closed_on, scheme=_scheme_of(finding)
        )
        nonconformity = Nonconformity.objects.create(
            number=next_number(series=NC_SERIES, year=closed_on.year),
            finding=finding,
            audit=audit,
            grade=finding.grade,
            response_due=response_due,
            close_due=close_due,
        )
        nonconformity_issued(nonconformity=nonconformity, user=user)

    # The audit is closed once committed; the report follows through the outbox, and a report
    # that fails is kept there as failed, shown on the audit's page with a retry for staff.
    report_pdf_queue(audit=audit)
    return audit
