"""The due list: programmes whose next audit falls due without dates, planned in bulk by staff."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.submissions import submitted_once
from audits import permissions
from audits.bulk_planning import plan_next_audits
from audits.models import CertificationProgramme
from audits.selectors import DUE_WINDOW_DAYS, programmes_due
from core.forms import parse_id

DUE_PAGE = 50
# At most this many programmes in one sending: each is planned in its own transaction.
MAX_PROGRAMMES = 100


@login_required
@require_http_methods(["GET", "POST"])
@submitted_once
def planning_due(request):
    """Staff: the next audits due within 90 days without dates; choose several and plan them at once."""
    permissions.require_can_manage_audits(request.user)
    today = timezone.localdate()
    error = ""
    chosen: list[int] = []
    if request.method == "POST":
        raw = request.POST.getlist("programme")
        chosen = [pk for pk in (parse_id(value) for value in raw) if pk is not None]
        if not chosen:
            error = _("Choose at least one programme to plan.")
        elif len(chosen) > MAX_PROGRAMMES:
            error = _("Choose at most %(count)s programmes at a time.") % {"count": MAX_PROGRAMMES}
        else:
            programmes = list(
                CertificationProgramme.objects.filter(pk__in=chosen)
                .select_related("organization")
                .order_by("id")
            )
            missing = len(set(chosen)) - len(programmes)
            result = plan_next_audits(actor=request.user, programmes=programmes, today=today)
            _report(request, result, missing)
            return redirect("audits:planning-due")
    audits = programmes_due(today)
    page = Paginator(audits, DUE_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "error": error, "chosen": chosen, "days": DUE_WINDOW_DAYS, "today": today}
    return render(request, "audits/planning_due.html", context, status=400 if error else 200)


def _report(request, result, missing: int) -> None:
    """Say which programmes were planned, with whom not copied, and which were refused and why."""
    for planned in result.planned:
        audit = planned.audit
        messages.success(
            request,
            _(
                "%(organization)s: %(audit)s planned for %(start)s–%(end)s with %(count)s team "
                "members (not confirmed)."
            )
            % {
                "organization": planned.programme.organization.legal_name,
                "audit": audit.label,
                "start": formats.date_format(audit.start_date, "DATE_FORMAT"),
                "end": formats.date_format(audit.end_date, "DATE_FORMAT"),
                "count": len(planned.members),
            },
        )
        for note in planned.not_copied:
            messages.warning(
                request,
                _("%(organization)s: %(note)s")
                % {"organization": planned.programme.organization.legal_name, "note": note},
            )
    for refused in result.refused:
        messages.error(
            request,
            _("%(organization)s not planned: %(reason)s")
            % {"organization": refused.programme.organization.legal_name, "reason": refused.reason},
        )
    if missing:
        messages.error(request, _("%(count)s of the chosen programmes no longer exist.") % {"count": missing})
