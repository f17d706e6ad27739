"""The accreditation mark a scheme's certificates carry: checked to be a real picture before it is kept.

As with evidence uploads (findings/uploads.py), what the file is comes from its bytes, never its
name: the signature must say PNG or JPEG (the two reportlab draws on a certificate) and Pillow
must open, verify and decode it as that. A mark is a small logo, so anything large is refused.
"""

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image

MARK_MAX_BYTES = 2 * 1024 * 1024
MARK_MAX_PIXELS = 4000 * 4000
# Signature -> the format Pillow must report for it.
SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"))


def validate_accreditation_mark(upload) -> None:
    """Refuse anything but a decodable PNG or JPEG of modest size, with a reason."""
    size = getattr(upload, "size", None)
    if size is not None and size > MARK_MAX_BYTES:
        limit = filesizeformat(MARK_MAX_BYTES)
        raise ValidationError(_("The mark may be at most %(size)s.") % {"size": limit}, code="too_large")
    upload.seek(0)
    head = upload.read(16)
    expected = next((name for signature, name in SIGNATURES if head.startswith(signature)), None)
    if expected is None:
        raise ValidationError(_("The mark must be a PNG or JPEG picture."), code="not_image")
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            opened_as = image.format
            if image.width * image.height > MARK_MAX_PIXELS:
                raise ValidationError(_("The mark has too many pixels."), code="too_many_pixels")
            image.verify()
        if opened_as != expected:
            raise ValidationError(_("The picture is damaged: its content does not match its type."))
        # verify() reads the structure only; decoding catches a truncated or garbled picture.
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()
    except ValidationError:
        raise
    except Exception:
        # Pillow raises many kinds of error on malformed input; any of them means "cannot be read".
        message = _("The picture is damaged or incomplete and cannot be opened.")
        raise ValidationError(message, code="damaged") from None
    finally:
        upload.seek(0)
