"""The pages above the domains: each person's home page, shaped by role, and the security log.

They read from every app (audits, findings, certificates, clients, accounts), so they live at the
top, where nothing imports them.
"""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Window
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from accounts.models import SecurityEvent, SecurityEventKind
from accounts.roles import is_auditor, is_staff_member
from audits.selectors import (
    DUE_WINDOW_DAYS,
    audit_reports_for_user,
    audits_due_unplanned,
    closing_duties,
    surveillances_overdue,
    todays_slots,
    upcoming_audits,
)
from certificates.selectors import (
    RECERTIFICATION_WARNING_MONTHS,
    certificates_expiring_unplanned,
    current_certificates_for_user,
    decisions_waiting,
)
from clients.models import Organization
from clients.selectors import membership_of
from complaints.selectors import appeals_overdue, complaints_overdue
from core.forms import parse_id
from findings.deadlines import suspension_candidates
from findings.selectors import answers_to_review, nonconformities_open, nonconformities_overdue

# Each section of a home page shows its first few lines and how many there are; its list has the rest.
HOME_ROWS = 8
SECURITY_LOG_PAGE = 50


@dataclass(frozen=True)
class Section:
    rows: list
    total: int

    @property
    def more(self) -> bool:
        return self.total > len(self.rows)


def section(queryset: QuerySet, rows: int = HOME_ROWS) -> Section:
    """The first `rows` lines and the count of them all, in one query (the count as a window over
    the whole result, taken before the limit): a home page costs the same however much is due."""
    lines = list(queryset.annotate(section_total=Window(Count("pk")))[:rows])
    return Section(lines, lines[0].section_total if lines else 0)


@login_required
def home(request):
    """What is this person's to do now: one page, shaped by role, each line linked to where it is done."""
    user = request.user
    membership = membership_of(user)
    context = {"membership": membership, "due_days": DUE_WINDOW_DAYS}
    today = timezone.localdate()
    if membership is not None:
        context["organization"] = membership.organization
        # Its own organisation's lines only: every read below goes through what the user may see.
        context["next_audits"] = section(upcoming_audits(user, today).prefetch_related(None), 3)
        context["ncrs"] = section(nonconformities_open(user))
        context["reports"] = section(audit_reports_for_user(user))
        context["certificates"] = section(current_certificates_for_user(user))
        return render(request, "portal/home_client.html", context)
    if is_staff_member(user):
        context["warning_months"] = RECERTIFICATION_WARNING_MONTHS
        context["due"] = section(audits_due_unplanned(today))
        context["surveillances"] = section(surveillances_overdue(today))
        context["expiring"] = section(certificates_expiring_unplanned(today))
        context["decisions"] = section(decisions_waiting().prefetch_related(None))
        context["ncrs"] = section(nonconformities_overdue(user, today))
        context["complaints"] = section(complaints_overdue(today))
        context["appeals"] = section(appeals_overdue(today))
        context["candidates"] = suspension_candidates(today=today)
        return render(request, "portal/home_staff.html", context)
    if is_auditor(user):
        context["slots"] = todays_slots(user, today)
        context["audits"] = section(upcoming_audits(user, today).prefetch_related(None))
        context["closing"] = section(closing_duties(user, today))
        context["ncrs"] = section(answers_to_review(user))
        return render(request, "portal/home_auditor.html", context)
    return render(request, "portal/home_other.html", context)


@login_required
@require_safe
def security_log(request):
    """Security events for certification staff, newest first, by kind and organisation."""
    if not is_staff_member(request.user):
        raise PermissionDenied
    events = SecurityEvent.objects.select_related("actor", "organization").order_by("-at", "-id")
    kind = request.GET.get("kind", "")
    if kind in SecurityEventKind.values:
        events = events.filter(kind=kind)
    else:
        kind = ""
    organization = parse_id(request.GET.get("organization"))
    if organization is not None:
        events = events.filter(organization_id=organization)
    page = Paginator(events, SECURITY_LOG_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "kind": kind,
        "organization": str(organization or ""),
        "kinds": SecurityEventKind.choices,
        "organizations": Organization.objects.order_by("legal_name", "id").values_list("pk", "legal_name"),
    }
    return render(request, "portal/security_log.html", context)
