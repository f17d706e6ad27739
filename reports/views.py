"""Closing an audit in the browser (the lead auditor's recommendation; rules in reports.services), and
the download of the audit report."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from accounts.submissions import submitted_once
from audits.document_views import audit_document_download, stored_document_response
from audits.documents import latest_document
from audits.models import Audit, AuditStatus, DocumentKind
from audits.permissions import require_can_close
from audits.selectors import audits_for_user
from core.errors import DomainError
from core.views import save_with_service
from outbox.models import MessageState
from reports import selectors, services
from reports.deliveries import report_delivery
from reports.forms import CloseAuditForm


@login_required
@require_http_methods(["GET", "POST"])
@submitted_once
def audit_close(request, pk):
    """What closing will raise, then the recommendation; refusals are shown with the text kept."""
    # 404 for whoever may not see the audit, 403 for those who see it but do not lead it.
    audit = get_object_or_404(
        audits_for_user(request.user).select_related("organization", "programme"), pk=pk
    )
    require_can_close(request.user, audit)
    form = CloseAuditForm(request.POST if request.method == "POST" else None, audit=audit)
    if request.method == "POST" and form.is_valid():
        closed = save_with_service(
            form, lambda: services.audit_close(audit=audit, user=request.user, **form.service_data())
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
        services.require_closable(audit)
        refusal = None
    except DomainError as error:
        refusal = error.message
    context = {
        "audit": audit,
        "form": form,
        "summary": selectors.closing_summary(audit),
        "refusal": refusal,
    }
    return render(request, "reports/audit_close.html", context, status=400 if form.errors else 200)


# -- The audit report's download ------------------------------------------------------------------


def report_pdf_response(audit: Audit) -> FileResponse:
    """The latest stored audit report PDF as a download; Http404 saying why when there is none.

    Shared by the page and the API, which check access to the audit first.
    """
    document = latest_document(audit, DocumentKind.REPORT)
    if document is None and audit.status != AuditStatus.CLOSED:
        raise Http404(_("There is no audit report yet: it is made when the lead auditor closes the audit."))
    if document is None and (delivery := report_delivery(audit)) and delivery.state == MessageState.FAILED:
        raise Http404(
            _("Making the audit report failed. Certification staff see this and can make it again.")
        )
    if document is None:
        # Closed, and the PDF is still being made.
        raise Http404(
            _(
                "The audit report is not ready yet. Try again in a minute; if it stays missing, tell the "
                "certification body."
            )
        )
    return stored_document_response(
        document,
        missing_message=_(
            "The audit report's file is missing from storage; ask the certification body to make it again."
        ),
    )


@login_required
@require_safe
def report_pdf(request, pk):
    """The closed audit's report: staff, its team and the client's users (all who see the audit)."""
    return audit_document_download(request, pk, report_pdf_response)
