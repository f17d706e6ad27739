"""Downloads of the NCR PDF of one nonconformity and of the summary of an audit's nonconformities.

A download always matches the current state: when no PDF is stored yet, or the stored one was
made from other data, it is made and stored here, by the same service the tasks call. Reading the
data and comparing its digest is cheap; rendering happens only when something changed.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponseNotFound
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from audits.models import AuditStatus
from audits.selectors import audits_for_user
from findings.documents import nc_document_create, nc_summary_document_create
from findings.ncr import nonconformities_for_user


def _pdf_response(field_file, *, filename: str):
    try:
        handle = field_file.open("rb")
    except OSError:
        # The standard 404 page says nothing of why; here the reason is what the user needs.
        return HttpResponseNotFound(
            _("The PDF's file is missing from storage; tell the certification body."),
            content_type="text/plain; charset=utf-8",
        )
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type="application/pdf")
    response["X-Content-Type-Options"] = "nosniff"
    # The content follows the nonconformity's state: a cached copy would soon be out of date.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def nc_pdf(request, pk):
    """The NCR of one nonconformity: staff, the audit's team and the client's users."""
    nonconformity = get_object_or_404(nonconformities_for_user(request.user), pk=pk)
    # The documents go to the client in the body's language, as the tasks make them; in the
    # reader's language the digest would differ and every download would store a new PDF.
    with translation.override(settings.LANGUAGE_CODE):
        document = nc_document_create(nonconformity=nonconformity)
    return _pdf_response(document.file, filename=f"NCR-{nonconformity.number}.pdf")


@login_required
@require_safe
def nc_summary_pdf(request, pk):
    """All nonconformities of a closed audit, for everyone who sees the audit."""
    audit = get_object_or_404(
        audits_for_user(request.user).filter(status=AuditStatus.CLOSED).select_related("organization"), pk=pk
    )
    with translation.override(settings.LANGUAGE_CODE):
        document = nc_summary_document_create(audit=audit)
    organization = slugify(audit.organization.legal_name) or "client"
    return _pdf_response(document.file, filename=f"nonconformities-{organization}-{audit.pk}.pdf")
