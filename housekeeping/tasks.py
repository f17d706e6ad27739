from celery import shared_task

from housekeeping.orphans import orphans_remove


@shared_task(ignore_result=True)
def remove_orphan_files() -> dict[str, int]:
    """celery beat, daily: orphan files older than a day (housekeeping.orphans)."""
    report = orphans_remove()
    return {"temporary_uploads": report.temporary_uploads, "media_files": report.media_files}
