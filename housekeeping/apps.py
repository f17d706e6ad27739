from pathlib import Path

from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class HousekeepingConfig(AppConfig):
    """Clearing away what interrupted work leaves behind (orphan files). Imports no other app."""

    name = "housekeeping"

    def ready(self):
        # Django writes large uploads to this folder and needs it to exist; a folder of our own,
        # so the orphan clean-up never touches other programs' files in /tmp.
        folder = Path(settings.FILE_UPLOAD_TEMP_DIR)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ImproperlyConfigured(f"FILE_UPLOAD_TEMP_DIR {folder} cannot be created: {exc}") from None
