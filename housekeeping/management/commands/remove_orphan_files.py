from django.core.management.base import BaseCommand

from housekeeping.orphans import orphans_remove


class Command(BaseCommand):
    help = (
        "Remove temporary upload files and stored files no record names, older than "
        "ORPHAN_FILE_AGE_HOURS (a day), as celery beat's orphan-files does every night."
    )

    def handle(self, *args, **options):
        report = orphans_remove()
        self.stdout.write(
            f"Removed {report.temporary_uploads} temporary upload(s) and {report.media_files} "
            "stored file(s) with no record."
        )
