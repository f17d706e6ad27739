"""Closing an audit in the browser: the lead auditor's recommendation. Rules live in findings/closing.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from accounts.submissions import submitted_once
from audits.forms import CloseAuditForm
from audits.selectors import audits_for_user
from core.errors import DomainError
from core.views import save_with_service
from findings import closing


@login_required
@require_http_methods(["GET", "POST"])
@submitted_once
def audit_close(request, pk):
    """What closing will raise, then the recommendation; refusals are shown with the text kept."""
    # 404 for whoever may not see the audit, 403 for those who see it but do not lead it.
    audit = get_object_or_404(
        audits_for_user(request.user).select_related("organization", "programme"), pk=pk
    )
    closing.require_lead(request.user, audit)
    form = CloseAuditForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        closed = save_with_service(
            form, lambda: closing.audit_close(audit=audit, user=request.user, **form.cleaned_data)
        )
        if closed is not None:
            count = closed.nonconformities.count()
            messages.success(
                request,
                ngettext(
                    "Audit closed with %(count)s nonconformity raised. The report PDF is being made.",
                    "Audit closed with %(count)s nonconformities raised. The report PDF is being made.",
                    count,
                )
                % {"count": count},
            )
            return redirect("audits:audit-detail", pk=audit.pk)
    try:
        closing.require_closable(audit)
        refusal = None
    except DomainError as error:
        refusal = error.message
    context = {
        "audit": audit,
        "form": form,
        "summary": closing.closing_summary(audit),
        "refusal": refusal,
    }
    return render(request, "audits/audit_close.html", context, status=400 if form.errors else 200)
