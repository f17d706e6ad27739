"""The auditor's checklist: each clause's state per site, and progress per site and per day.

Built from a fixed handful of queries (clauses, sites, days, planned clauses, findings) whatever
the number of clauses or findings, then put together in Python.
"""

import datetime
from dataclasses import dataclass, field

from audits.forms import plan_day_label
from audits.models import Audit, AuditDay, Clause, PlanSlot
from findings.models import GRADE_SEVERITY, NONCONFORMITY_GRADES, Finding, Grade

FILTERS = ("all", "open", "nc", "mine")


@dataclass
class Progress:
    label: str
    planned: int
    audited: int
    key: str = ""

    @property
    def percent(self) -> int:
        return round(100 * self.audited / self.planned) if self.planned else 0


@dataclass
class ClauseRow:
    clause: Clause
    section: Clause | None  # the heading the clause sits under, shown once above its first clause
    grade: str | None  # the most serious grade at the chosen site(s); None: not yet audited
    findings: int
    planned: bool
    mine_today: bool

    @property
    def grade_label(self) -> str:
        from django.utils.translation import gettext as _

        return Grade(self.grade).label if self.grade else _("Not yet audited")


@dataclass
class Checklist:
    audit: Audit
    site_id: int | None
    sites: list
    days: list
    rows: list[ClauseRow] = field(default_factory=list)
    site_progress: list[Progress] = field(default_factory=list)
    day_progress: list[Progress] = field(default_factory=list)
    headings: dict = field(default_factory=dict)

    def next_open(self) -> ClauseRow | None:
        """The next clause to audit: planned first, then any without a finding."""
        for row in self.rows:
            if row.grade is None and row.planned:
                return row
        return next((row for row in self.rows if row.grade is None), None)


def _worst(grades) -> str | None:
    return max(grades, key=lambda grade: GRADE_SEVERITY[grade], default=None)


def build_checklist(
    *, audit: Audit, user, site_id: int | None = None, only: str = "all", today: datetime.date
) -> Checklist:
    clauses = list(
        Clause.objects.filter(standard__in=audit.standards.all(), is_active=True)
        .select_related("standard")
        .order_by("standard__code", "order", "id")
    )
    sites = list(audit.sites.order_by("-is_central_function", "name"))
    if site_id is not None and site_id not in {site.pk for site in sites}:
        site_id = None
    days = list(AuditDay.objects.filter(audit=audit).select_related("site").order_by("date", "site__name"))
    planned_rows = list(
        PlanSlot.clauses.through.objects.filter(planslot__day__audit=audit).values_list(
            "planslot__day_id", "clause_id", "planslot__member__user_id"
        )
    )
    findings = list(
        Finding.objects.current().filter(audit=audit).values_list("clause_id", "site_id", "grade")
    )

    day_by_id = {day.pk: day for day in days}
    planned_by_site: dict[int, set[int]] = {}
    planned_by_day: dict[int, set[int]] = {}
    mine_today: set[tuple[int, int]] = set()
    for day_id, clause_id, member_user_id in planned_rows:
        day = day_by_id[day_id]
        planned_by_site.setdefault(day.site_id, set()).add(clause_id)
        planned_by_day.setdefault(day_id, set()).add(clause_id)
        if member_user_id == user.pk and day.date == today:
            mine_today.add((clause_id, day.site_id))

    grades_at: dict[tuple[int, int | None], list[str]] = {}
    grades_by_clause: dict[int, list[str]] = {}
    for clause_id, finding_site_id, grade in findings:
        grades_at.setdefault((clause_id, finding_site_id), []).append(grade)
        grades_by_clause.setdefault(clause_id, []).append(grade)
    audited_at: dict[int | None, set[int]] = {}
    for clause_id, finding_site_id in grades_at:
        audited_at.setdefault(finding_site_id, set()).add(clause_id)

    auditable_ids = {clause.pk for clause in clauses if clause.auditable}
    checklist = Checklist(audit=audit, site_id=site_id, sites=sites, days=days)
    for site in sites:
        # With no clauses named in the plan for a site, every auditable clause is planned there.
        planned = planned_by_site.get(site.pk) or auditable_ids
        checklist.site_progress.append(
            Progress(site.name, len(planned), len(planned & audited_at.get(site.pk, set())), key=str(site.pk))
        )
    for day in days:
        planned = planned_by_day.get(day.pk, set())
        label = plan_day_label(day)
        checklist.day_progress.append(
            Progress(label, len(planned), len(planned & audited_at.get(day.site_id, set())), key=str(day.pk))
        )

    planned_here = planned_by_site.get(site_id, set()) if site_id else set().union(*planned_by_site.values())
    for clause in clauses:
        if not clause.auditable:
            checklist.headings[clause.pk] = clause
            continue
        if site_id is None:
            grades = grades_by_clause.get(clause.pk, [])
        else:
            grades = grades_at.get((clause.pk, site_id), [])
        row = ClauseRow(
            clause=clause,
            section=checklist.headings.get(clause.parent_id),
            grade=_worst(grades),
            findings=len(grades),
            planned=clause.pk in planned_here or not planned_here,
            mine_today=any(
                cid == clause.pk and (site_id is None or sid == site_id) for cid, sid in mine_today
            ),
        )
        if only == "open" and row.grade is not None:
            continue
        if only == "nc" and row.grade not in NONCONFORMITY_GRADES:
            continue
        if only == "mine" and not row.mine_today:
            continue
        checklist.rows.append(row)
    return checklist
