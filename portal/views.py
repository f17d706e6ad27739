"""The pages above the domains: each person's home page, shaped by role, and the security log.

They read from every app (audits, findings, certificates, clients, accounts), so they live at the
top, where nothing imports them.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from accounts.models import SecurityEvent, SecurityEventKind
from accounts.roles import is_auditor, is_staff_member
from audits.selectors import audits_needing_attention, todays_slots, upcoming_audits
from certificates.selectors import certificates_expiring, decisions_waiting
from clients.models import Organization
from clients.selectors import membership_of, organizations_for_user
from core.forms import parse_id
from findings.deadlines import suspension_candidates
from findings.ncr import nonconformities_for_user

# Home pages show the first few; the audit list has the rest.
HOME_AUDITS = 10
SECURITY_LOG_PAGE = 50


@login_required
def home(request):
    """What is this person's to do now: one page, shaped by role."""
    user = request.user
    membership = membership_of(user)
    context = {"membership": membership}
    today = timezone.localdate()
    if membership is not None:
        organization = membership.organization
        context["organization"] = organization
        context["sites"] = organization.sites.all()
        context["audits"] = upcoming_audits(user, today)[:HOME_AUDITS]
        context["ncrs"] = _ncrs(user).open().order_by("response_due", "number")[:HOME_AUDITS]
        return render(request, "portal/home_client.html", context)
    organizations = organizations_for_user(user).with_site_totals()
    if is_staff_member(user):
        context["organization_count"] = organizations.count()
        context["recent_organizations"] = organizations.order_by("-created_at")[:8]
        context["attention"] = audits_needing_attention(today)[:HOME_AUDITS]
        context["ncrs"] = _ncrs(user).overdue(today).order_by("response_due", "number")[:HOME_AUDITS]
        context["candidates"] = _suspension_candidates(today)
        context["decisions"] = decisions_waiting()[:HOME_AUDITS]
        context["expiring"] = certificates_expiring(today)[:HOME_AUDITS]
        return render(request, "portal/home_staff.html", context)
    if is_auditor(user):
        context["organizations"] = organizations
        context["slots"] = todays_slots(user, today)
        context["ncrs"] = (
            _ncrs(user).filter(status="awaiting_review", audit__team__user=user).order_by("response_due")
        )[:HOME_AUDITS]
        context["audits"] = upcoming_audits(user, today)[:HOME_AUDITS]
        return render(request, "portal/home_auditor.html", context)
    return render(request, "portal/home_other.html", context)


def _ncrs(user):
    return nonconformities_for_user(user).select_related("finding__clause", "audit__organization")


def _suspension_candidates(today):
    return suspension_candidates(today=today)


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
