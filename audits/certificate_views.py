"""Downloads of the certificate PDF: the latest revision's, or any earlier revision's.

Staff and the certified organisation's own users download; everyone else gets 404. A revision
whose PDF the task has not made yet (no worker, a slow one, or it failed) is made on the spot,
so a download never waits on the worker.
"""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from audits.certificate_pages import certificates_for_user
from audits.certificate_pdf import revision_has_pdf, revision_pdf_store
from audits.models import Certificate, CertificateRevision


def _get_certificate_for_user(user, pk) -> Certificate:
    """The certificate, or 404 for anyone who may not see it (whether or not it exists)."""
    return get_object_or_404(certificates_for_user(user), pk=pk)


def revision_pdf_response(revision: CertificateRevision) -> FileResponse:
    """The revision's PDF as a download, made and stored first when it is not there yet.

    The caller has checked access to the certificate.
    """
    if not revision_has_pdf(revision):
        revision_pdf_store(revision=revision)
        revision.refresh_from_db(fields=["file", "template_version"])
    try:
        handle = revision.file.open("rb")
    except (OSError, ValueError):
        # Just stored, so only a storage fault gets here; the page says whom to tell.
        raise Http404(
            _("The certificate's PDF could not be read from storage; tell the certification body.")
        ) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{revision.certificate.number}-rev{revision.revision}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_safe
def certificate_pdf(request, pk):
    """The PDF of the certificate as it stands: its latest revision."""
    certificate = _get_certificate_for_user(request.user, pk)
    revision = certificate.revisions.order_by("-revision").first()
    if revision is None:
        raise Http404(_("This certificate has no revision to print."))
    revision.certificate = certificate
    return revision_pdf_response(revision)


@login_required
@require_safe
def certificate_revision_pdf(request, pk, revision):
    """The PDF of one revision, as it was issued: the record of what the certificate said then."""
    certificate = _get_certificate_for_user(request.user, pk)
    issued = get_object_or_404(certificate.revisions, revision=revision)
    issued.certificate = certificate
    return revision_pdf_response(issued)
