"""Write one organisation's complete record for the accreditation body or the client (records/export.py)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from clients.models import Organization
from records.export import ExportError, default_directory, organization_export


class Command(BaseCommand):
    help = (
        "Export one organisation's records: data.json, its files under files/, and manifest.json and "
        "SHA256SUMS with each file's size and SHA-256. By default only what the client's own users may "
        "read; --include-internal adds internal notes, finding history, team-only files and the findings "
        "of audits not yet closed (for the accreditation body)."
    )

    def add_arguments(self, parser):
        parser.add_argument("organization", type=int, metavar="ORGANIZATION_ID")
        parser.add_argument(
            "--out",
            type=Path,
            help="A new or empty directory to write to (default var/exports/<org number>-<timestamp>/).",
        )
        parser.add_argument(
            "--include-internal",
            action="store_true",
            help="Also what only the certification body sees; never for an export that goes to the client.",
        )

    def handle(self, *args, organization: int, out: Path | None, include_internal: bool, **options):
        found = Organization.objects.filter(pk=organization).first()
        if found is None:
            raise CommandError(f"No organisation has the id {organization}.")
        directory = out or default_directory(found, Path(settings.BASE_DIR))
        try:
            result = organization_export(
                organization=found, directory=directory, include_internal=include_internal
            )
        except ExportError as error:
            raise CommandError(str(error)) from error
        for problem in result.problems:
            self.stderr.write(self.style.WARNING(problem))
        self.stdout.write(
            f"Exported {found.legal_name} ({len(result.files)} files with data.json) to {result.directory}"
        )
