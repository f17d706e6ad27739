"""The auditor's checklist: each clause's state per site, and progress per site and per day.

Built from a fixed handful of queries (clauses, sites, days, planned clauses, findings) whatever
the number of clauses or findings, then put together in Python.
"""

import datetime
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext, ngettext

from audits.forms import plan_day_label
from audits.models import Audit, AuditDay, PlanSlot
from findings.models import GRADE_SEVERITY, NONCONFORMITY_GRADES, Finding, Grade
from standards.models import Clause

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
class Checklist:
    """What the page shows. Each row is a plain dict holding exactly what the template prints (see
    _add_rows): the template's loop over a few hundred clauses then looks nothing up on models,
    reverses no URLs and translates nothing itself."""

    audit: Audit
    site_id: int | None
    sites: list
    days: list
    rows: list[dict] = field(default_factory=list)
    site_progress: list[Progress] = field(default_factory=list)
    day_progress: list[Progress] = field(default_factory=list)
    # The next clause to audit among the rows: planned first, then any without a finding.
    next_open: dict | None = None
    # Whether the rows come from more than one standard, and so name theirs.
    multi_standard: bool = False


def _worst(grades) -> str | None:
    return max(grades, key=lambda grade: GRADE_SEVERITY[grade], default=None)


def build_checklist(
    *, audit: Audit, user, site_id: int | None = None, only: str = "all", today: datetime.date
) -> Checklist:
    # Plain values, not models: a few hundred Clause and Standard instances cost more than the rest.
    clauses = list(
        Clause.objects.filter(standard__in=audit.standards.all(), is_active=True)
        .order_by("standard__code", "order", "id")
        .values_list(
            "id", "standard_id", "standard__code", "number", "title", "parent_id", "auditable", named=True
        )
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

    planned_by_site, planned_by_day, mine_today = _plan_index(planned_rows, days, user=user, today=today)
    grades_at, grades_by_clause, audited_at = _grade_index(findings)
    checklist = Checklist(audit=audit, site_id=site_id, sites=sites, days=days)
    _add_progress(checklist, clauses, planned_by_site, planned_by_day, audited_at)

    if site_id is None:
        grades_here = grades_by_clause
        planned_here = set().union(*planned_by_site.values())
    else:
        grades_here = {clause_id: grades for (clause_id, at), grades in grades_at.items() if at == site_id}
        planned_here = planned_by_site.get(site_id, set())
    mine_here = {clause_id for clause_id, at in mine_today if site_id is None or at == site_id}
    _add_rows(
        checklist, clauses, only=only, grades_here=grades_here, planned_here=planned_here, mine_here=mine_here
    )
    return checklist


def _plan_index(planned_rows, days, *, user, today: datetime.date):
    """The clauses planned at each site and on each day, and (clause, site) in the user's slots today."""
    day_by_id = {day.pk: day for day in days}
    user_id = user.pk  # a property: read once, not once per planned clause
    planned_by_site: dict[int, set[int]] = {}
    planned_by_day: dict[int, set[int]] = {}
    mine_today: set[tuple[int, int]] = set()
    for day_id, clause_id, member_user_id in planned_rows:
        day = day_by_id[day_id]
        planned_by_site.setdefault(day.site_id, set()).add(clause_id)
        planned_by_day.setdefault(day_id, set()).add(clause_id)
        if member_user_id == user_id and day.date == today:
            mine_today.add((clause_id, day.site_id))
    return planned_by_site, planned_by_day, mine_today


def _grade_index(findings):
    """The grades found per (clause, site) and per clause, and the clauses audited at each site."""
    grades_at: dict[tuple[int, int | None], list[str]] = {}
    grades_by_clause: dict[int, list[str]] = {}
    for clause_id, finding_site_id, grade in findings:
        grades_at.setdefault((clause_id, finding_site_id), []).append(grade)
        grades_by_clause.setdefault(clause_id, []).append(grade)
    audited_at: dict[int | None, set[int]] = {}
    for clause_id, finding_site_id in grades_at:
        audited_at.setdefault(finding_site_id, set()).add(clause_id)
    return grades_at, grades_by_clause, audited_at


def _add_progress(checklist: Checklist, clauses, planned_by_site, planned_by_day, audited_at) -> None:
    """Progress per site and per day: the planned clauses, and how many of them have a finding."""
    auditable_ids = {clause.id for clause in clauses if clause.auditable}
    for site in checklist.sites:
        # With no clauses named in the plan for a site, every auditable clause is planned there.
        planned = planned_by_site.get(site.pk) or auditable_ids
        checklist.site_progress.append(
            Progress(site.name, len(planned), len(planned & audited_at.get(site.pk, set())), key=str(site.pk))
        )
    for day in checklist.days:
        planned = planned_by_day.get(day.pk, set())
        label = plan_day_label(day)
        checklist.day_progress.append(
            Progress(label, len(planned), len(planned & audited_at.get(day.site_id, set())), key=str(day.pk))
        )


def _add_rows(checklist: Checklist, clauses, *, only: str, grades_here, planned_here, mine_here) -> None:
    """The rows the filter `only` shows, in one pass, and the next clause to audit among them."""
    href_head, href_tail = _clause_href_parts(checklist.audit.pk, checklist.site_id)
    grade_labels = {grade: str(label) for grade, label in Grade.choices}
    not_audited = gettext("Not yet audited")
    count_labels: dict[int, str] = {}  # translated once per number of findings, not once per row
    headings: dict[int, dict] = {}
    standard_ids = set()
    previous_section = first_open = None
    for clause in clauses:
        if not clause.auditable:
            headings[clause.id] = {"number": clause.number, "title": clause.title}
            continue
        grades = grades_here.get(clause.id, ())
        grade = _worst(grades)
        if only == "open" and grade is not None:
            continue
        if only == "nc" and grade not in NONCONFORMITY_GRADES:
            continue
        if only == "mine" and clause.id not in mine_here:
            continue
        count = len(grades)
        if count and count not in count_labels:
            count_labels[count] = ngettext("finding recorded", "findings recorded", count)
        section = headings.get(clause.parent_id)
        row = {
            # A heading is shown above the first of its clauses, and again after another section's.
            "heading": section if section is not previous_section else None,
            "href": f"{href_head}{clause.id}{href_tail}",
            "number": clause.number,
            "title": clause.title,
            "standard": clause.standard__code,
            "findings": count,
            "findings_label": count_labels.get(count, ""),
            "grade": grade or "none",  # as findings/includes/grade_tag.html names "not yet audited"
            "grade_label": grade_labels[grade] if grade else not_audited,
        }
        checklist.rows.append(row)
        previous_section = section
        standard_ids.add(clause.standard_id)
        if grade is None:
            first_open = first_open or row
            # With no clauses planned here, every clause is.
            if checklist.next_open is None and (clause.id in planned_here or not planned_here):
                checklist.next_open = row
    checklist.next_open = checklist.next_open or first_open
    checklist.multi_standard = len(standard_ids) > 1


def _clause_href_parts(audit_pk: int, site_id: int | None) -> tuple[str, str]:
    """The link to a clause's page, split where the clause id goes: one reverse() for all the rows."""
    placeholder = 2_147_483_647  # any int matches <int:clause_pk>; this one is easy to find again
    head, tail = reverse("findings:clause", args=[audit_pk, placeholder]).rsplit(str(placeholder), 1)
    return head, tail + (f"?site={site_id}" if site_id else "")
