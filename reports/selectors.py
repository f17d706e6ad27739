"""What closing finds: the findings in report order, the plan's gaps, the lead's summary before closing."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from audits.models import Audit
from clients.models import Site
from findings.models import NONCONFORMITY_GRADES, Finding, Grade
from standards.models import Clause


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
