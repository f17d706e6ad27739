from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from accounts.roles import is_auditor, is_staff_member
from audits.selectors import audits_needing_attention, todays_slots, upcoming_audits
from clients.selectors import membership_of, organizations_for_user

# Home pages show the first few; the audit list has the rest.
HOME_AUDITS = 10


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
        return render(request, "accounts/home_client.html", context)
    organizations = organizations_for_user(user).with_site_totals()
    if is_staff_member(user):
        context["organization_count"] = organizations.count()
        context["recent_organizations"] = organizations.order_by("-created_at")[:8]
        context["attention"] = audits_needing_attention(today)[:HOME_AUDITS]
        return render(request, "accounts/home_staff.html", context)
    if is_auditor(user):
        context["organizations"] = organizations
        context["slots"] = todays_slots(user, today)
        context["audits"] = upcoming_audits(user, today)[:HOME_AUDITS]
        return render(request, "accounts/home_auditor.html", context)
    return render(request, "accounts/home_other.html", context)
