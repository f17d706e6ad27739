"""Downloads of evidence files and their thumbnails, only through the access check."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from accounts.models import SecurityEventKind
from accounts.security import record
from findings.models import Evidence
from findings.selectors import evidence_for_user


def _get_evidence_for_user(user, pk) -> Evidence:
    """The evidence, or 404 for anyone who may not download it (no hint that it exists)."""
    return get_object_or_404(evidence_for_user(user), pk=pk)


def _file_response(field_file, **kwargs) -> FileResponse:
    try:
        handle = field_file.open("rb")
    except OSError:
        raise Http404("The file is missing from storage.") from None
    response = FileResponse(handle, **kwargs)
    # The stored type was detected from the content; the browser must not guess another one, and
    # were it to render the file anyway, scripts in it get no origin to run in.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def evidence_download(request, pk):
    evidence = _get_evidence_for_user(request.user, pk)
    record(
        SecurityEventKind.EVIDENCE_DOWNLOADED,
        request=request,
        organization=evidence.audit.organization_id,
        target=f"evidence {evidence.pk}",
        audit=evidence.audit_id,
        file=evidence.original_name,
    )
    return _file_response(
        evidence.file,
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )


@login_required
@require_safe
def evidence_thumbnail(request, pk):
    evidence = _get_evidence_for_user(request.user, pk)
    if not evidence.thumbnail:
        raise Http404("This file has no thumbnail.")
    return _file_response(evidence.thumbnail, content_type="image/jpeg")
