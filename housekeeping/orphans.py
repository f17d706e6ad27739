"""Orphan files: what a process killed halfway through an upload leaves behind.

Two kinds, removed once older than ORPHAN_FILE_AGE_HOURS (a day), so nothing still being
written or about to be recorded is touched (a file is stored just before its row is saved):
- Django's temporary upload files (`*.upload*`) in FILE_UPLOAD_TEMP_DIR, left when the process
  died before the request ended;
- files in the default storage (MEDIA_ROOT) that no FileField of any model names: stored, then
  the row's transaction never committed.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models
from django.utils import timezone

logger = logging.getLogger(__name__)

# Django names its temporary upload files tmpXXXXXXXX.upload<.ext> (TemporaryUploadedFile).
TEMP_UPLOAD_PATTERN = "*.upload*"


@dataclass(frozen=True)
class OrphanReport:
    temporary_uploads: int
    media_files: int


def orphans_remove(*, now: datetime | None = None) -> OrphanReport:
    """Remove orphan files older than ORPHAN_FILE_AGE_HOURS; the counts are logged and returned."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.ORPHAN_FILE_AGE_HOURS)
    report = OrphanReport(
        temporary_uploads=_remove_temporary_uploads(cutoff), media_files=_remove_unreferenced_media(cutoff)
    )
    logger.info(
        "Orphan files removed (older than %s h): %s temporary upload(s) in %s, %s file(s) in storage "
        "with no record.",
        settings.ORPHAN_FILE_AGE_HOURS,
        report.temporary_uploads,
        settings.FILE_UPLOAD_TEMP_DIR,
        report.media_files,
    )
    return report


def _remove_temporary_uploads(cutoff: datetime) -> int:
    removed = 0
    for path in Path(settings.FILE_UPLOAD_TEMP_DIR).glob(TEMP_UPLOAD_PATTERN):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff.timestamp():
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue  # gone meanwhile: its request ended after all
    return removed


def referenced_names() -> set[str]:
    """Every file name any FileField (evidence, thumbnails, attachments, documents …) records."""
    names: set[str] = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField):
                rows = model._base_manager.exclude(**{field.attname: ""})
                names.update(rows.values_list(field.attname, flat=True).iterator())
    return names


def _remove_unreferenced_media(cutoff: datetime) -> int:
    # The names first, the files after: a file stored after this read is young, so it is kept.
    referenced = referenced_names()
    removed = 0
    for name in _stored_files(""):
        if name in referenced:
            continue
        try:
            if default_storage.get_modified_time(name) < cutoff:
                default_storage.delete(name)
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def _stored_files(folder: str):
    try:
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}/{name}" if folder else name
    for sub in folders:
        yield from _stored_files(f"{folder}/{sub}" if folder else sub)
