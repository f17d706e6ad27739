"""Staff's pages for records retention: the organisations due for disposal, and the confirmation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from accounts.submissions import submitted_once
from clients.models import Organization
from core.errors import ConflictError
from records import services
from records.models import Disposal
from records.permissions import can_dispose
from records.selectors import disposal_blockers, disposal_log, disposals_due, is_due, last_listed_at

LOG_SIZE = 50


def _require_staff(request) -> None:
    if not can_dispose(request.user):
        raise PermissionDenied(_("Only certification staff dispose of records."))


@login_required
@require_safe
def disposal_list(request):
    _require_staff(request)
    context = {
        "due": disposals_due(),
        "listed_at": last_listed_at(),
        "log": disposal_log()[:LOG_SIZE],
    }
    return render(request, "records/disposal_list.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@submitted_once
def disposal_confirm(request, pk):
    _require_staff(request)
    organization = get_object_or_404(Organization, pk=pk)
    done = Disposal.objects.filter(organization=organization).first()
    if done is not None:
        messages.info(
            request, _("The records of %(name)s were disposed of already.") % {"name": done.organization_name}
        )
        return redirect("records:disposal-list")
    today = timezone.localdate()
    error = ""
    if request.method == "POST":
        try:
            disposal = services.organization_dispose(
                user=request.user, organization=organization, today=today
            )
        except ConflictError as refused:
            error = refused.message
        else:
            messages.success(
                request,
                _("The records of %(name)s were archived and disposed of.")
                % {"name": disposal.organization_name},
            )
            return redirect("records:disposal-list")
    context = {
        "organization": organization,
        "blockers": disposal_blockers(organization),
        "due": is_due(organization, today=today),
        "error": error,
    }
    return render(request, "records/disposal_confirm.html", context, status=409 if error else 200)
