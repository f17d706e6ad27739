"""The programme quote (page and PDF), and the download of an audit's stored PDFs (the plan here; the
report in reports.views, through the same helpers)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotFound
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from audits.documents import document_filename, latest_document, programme_quote, quote_pdf_render
from audits.models import Audit, AuditStatus, CertificationProgramme, DocumentKind
from audits.permissions import can_see_quote
from audits.selectors import audits_for_user
from clients.selectors import organizations_for_user
from core.errors import DomainError


def _get_programme_for_quote(user, pk) -> CertificationProgramme:
    """The programme, or 404 for anyone who may not see its client; 403 for those who may not see prices.

    Who sees prices is audits.permissions.can_see_quote.
    """
    programme = get_object_or_404(
        CertificationProgramme.objects.filter(organization__in=organizations_for_user(user)).select_related(
            "organization"
        ),
        pk=pk,
    )
    if not can_see_quote(user, programme):
        raise PermissionDenied
    return programme


@login_required
@require_safe
def quote_detail(request, pk):
    programme = _get_programme_for_quote(request.user, pk)
    try:
        quote = programme_quote(programme=programme)
    except DomainError as refusal:
        return _quote_refused(request, programme, refusal)
    return render(request, "audits/quote.html", {"programme": programme, "quote": quote})


@login_required
@require_safe
def quote_pdf(request, pk):
    programme = _get_programme_for_quote(request.user, pk)
    try:
        content = quote_pdf_render(programme=programme)
    except DomainError as refusal:
        return _quote_refused(request, programme, refusal)
    organization = slugify(programme.organization.legal_name) or "client"
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"quote-{organization}-{programme.pk}.pdf"
    )
    return response


def _quote_refused(request, programme, refusal: DomainError):
    """A quote that cannot be priced yet: the page says why (400 or 409), never a 500."""
    return render(
        request,
        "audits/quote.html",
        {"programme": programme, "quote": None, "error": refusal.message},
        status=refusal.status_code,
    )


def stored_document_response(document, *, missing_message: str) -> FileResponse:
    try:
        handle = document.file.open("rb")
    except OSError:
        raise Http404(missing_message) from None
    return FileResponse(
        handle, as_attachment=True, filename=document_filename(document), content_type="application/pdf"
    )


def plan_pdf_response(audit: Audit) -> FileResponse:
    """The latest stored plan PDF as a download; Http404 saying why when there is none.

    Shared by the page and the API, which check access to the audit first.
    """
    document = latest_document(audit, DocumentKind.PLAN)
    if document is None and audit.status == AuditStatus.PLANNED:
        raise Http404(_("There is no plan PDF yet: it is made when the plan is confirmed."))
    if document is None:
        # Confirmed, but the PDF is still being made or making it failed (the task logs why).
        raise Http404(
            _(
                "The plan PDF is not ready yet. Try again in a minute; if it stays missing, tell the "
                "certification body."
            )
        )
    return stored_document_response(
        document,
        missing_message=_(
            "The plan PDF's file is missing from storage; ask the certification body to make it again."
        ),
    )


def audit_document_download(request, pk, response_for):
    audit = get_object_or_404(audits_for_user(request.user).select_related("organization"), pk=pk)
    try:
        return response_for(audit)
    except Http404 as missing:
        # The standard 404 page says nothing of why; here the reason is what the user needs.
        return HttpResponseNotFound(str(missing), content_type="text/plain; charset=utf-8")


@login_required
@require_safe
def plan_pdf(request, pk):
    return audit_document_download(request, pk, plan_pdf_response)
