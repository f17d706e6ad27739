import io
import logging

from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone, translation
from PIL import Image, ImageOps

from audits.documents import latest_document
from audits.models import Audit, DocumentKind
from core.errors import DomainError
from findings.deadlines import deadlines_run
from findings.documents import latest_nc_document, nc_document_create, nc_summary_document_create
from findings.models import Evidence, Nonconformity, NonconformityEvent
from findings.notices import event_notice_send
from findings.uploads import THUMBNAIL_TYPES

logger = logging.getLogger(__name__)

THUMBNAIL_PIXELS = 320


def render_thumbnail(handle) -> bytes:
    """A JPEG at most 320 px a side, turned upright as the camera's EXIF orientation says."""
    with Image.open(handle) as image:
        # JPEG decodes straight at a reduced scale (still at least twice the thumbnail).
        image.draft("RGB", (THUMBNAIL_PIXELS * 2, THUMBNAIL_PIXELS * 2))
        upright = ImageOps.exif_transpose(image)
    upright.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
    if upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info):
        # JPEG has no transparency: lay it on white, as it looks on the page.
        rgba = upright.convert("RGBA")
        flattened = Image.new("RGB", rgba.size, "white")
        flattened.paste(rgba, mask=rgba.getchannel("A"))
        upright = flattened
    elif upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    buffer = io.BytesIO()
    upright.save(buffer, "JPEG", quality=80, optimize=True)
    return buffer.getvalue()


# The thumbnail, notice and PDF tasks are run through the outbox (findings.deliveries), which keeps
# each row, retries passing failures and keeps a failure for staff to see and retry.


@shared_task
def make_thumbnail(evidence_id: int) -> bool:
    """Store a thumbnail of an evidence picture; False when there is nothing to do.

    Running it again changes nothing: a picture that has its thumbnail keeps it.
    """
    evidence = Evidence.objects.filter(pk=evidence_id).first()
    if evidence is None or evidence.thumbnail or evidence.content_type not in THUMBNAIL_TYPES:
        return False
    try:
        with evidence.file.open("rb") as handle:
            content = render_thumbnail(handle)
    except FileNotFoundError:
        logger.warning("No thumbnail for evidence %s: its file is missing from storage.", evidence_id)
        return False
    except Exception:
        # The upload was checked to decode, so this is storage damage: a retry would not help.
        logger.warning(
            "No thumbnail for evidence %s: the picture could not be read.", evidence_id, exc_info=True
        )
        return False
    evidence.thumbnail.save("thumbnail.jpg", ContentFile(content), save=False)
    # Only the first run to finish records its thumbnail; a concurrent one removes its own file.
    if not Evidence.objects.filter(pk=evidence.pk, thumbnail="").update(thumbnail=evidence.thumbnail.name):
        evidence.thumbnail.storage.delete(evidence.thumbnail.name)
        return False
    return True


@shared_task
def send_nonconformity_notice(event_id: int) -> bool:
    """The e-mail for one step of a nonconformity; sent once even if the task runs again."""
    event = (
        NonconformityEvent.objects.select_related("nonconformity__audit__organization", "by", "response")
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return False
    return event_notice_send(event)


class DeadlineNoticesFailed(Exception):
    """Some deadline e-mails could not be sent; retrying the run sends only those."""


# Retried after 5, 10 and 20 minutes: the same morning, so a retry sees the same `today`.
@shared_task(autoretry_for=(DeadlineNoticesFailed,), retry_backoff=300, retry_jitter=False, max_retries=3)
def run_nonconformity_deadlines() -> dict[str, int]:
    """The daily run: reminders, escalations and suspension candidates (see findings.deadlines)."""
    report = deadlines_run(today=timezone.localdate())
    if report.failed:
        raise DeadlineNoticesFailed(f"{report.failed} deadline e-mail(s) not sent: {report.counts()}")
    return report.counts()


# -- The NCR PDFs (findings.documents) --------------------------------------------------------------


@shared_task
def generate_nc_pdf(nonconformity_id: int) -> bool:
    """Store the nonconformity's NCR PDF.

    Returns False when there was nothing new: the nonconformity is gone or unchanged since the
    last PDF, so running the task again never stores the same NCR twice.
    """
    nonconformity = Nonconformity.objects.filter(pk=nonconformity_id).first()
    if nonconformity is None:
        return False
    # The NCR goes to the client: the body's own language, not that of whoever took the step.
    with translation.override(settings.LANGUAGE_CODE):
        previous = latest_nc_document(nonconformity)
        document = nc_document_create(nonconformity=nonconformity)
    return previous is None or document.pk != previous.pk


@shared_task
def generate_nc_summary_pdf(audit_id: int) -> bool:
    """Store the summary of the closed audit's nonconformities; False when there was nothing new."""
    audit = Audit.objects.filter(pk=audit_id).first()
    if audit is None:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        previous = latest_document(audit, DocumentKind.NC_SUMMARY)
        try:
            document = nc_summary_document_create(audit=audit)
        except DomainError as refusal:
            # Not closed: there are no nonconformities to sum up, and retrying will not help.
            logger.warning("No nonconformity summary for audit %s: %s", audit_id, refusal.message)
            return False
    return previous is None or document.pk != previous.pk
