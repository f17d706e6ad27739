import io
import logging

from celery import shared_task
from django.core.files.base import ContentFile
from PIL import Image, ImageOps

from findings.models import Evidence
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


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
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
