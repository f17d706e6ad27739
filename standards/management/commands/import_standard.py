"""Load or update standards and their clause libraries from JSON or CSV files (see standards/library.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from standards.library import LibraryError, libraries_import, libraries_read
from standards.models import AccreditationBasis
from standards.policy import SCHEME_PRESETS


class Command(BaseCommand):
    help = (
        "Load or update standards from clause-library files: .json (carries the standard's metadata) "
        "or .csv (header number,title,parent,auditable; metadata from --code, --title, --edition, "
        "--basis, --preset). A row with a number and no title takes its parent's title. Every file is "
        "checked before anything is written; clauses missing from a file are deactivated, never deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument(
            "--code", help="CSV only: the standard's code, e.g. 'ISO 18295-1:2017' (required)."
        )
        parser.add_argument("--title", help="CSV only: the standard's title (required for a new standard).")
        parser.add_argument(
            "--edition", help="CSV only: the edition, e.g. 2017 (required for a new standard)."
        )
        parser.add_argument(
            "--basis", help=f"CSV only: accreditation basis, one of {', '.join(AccreditationBasis.values)}."
        )
        parser.add_argument(
            "--preset",
            help=f"CSV only: scheme preset for a standard without a scheme yet: {', '.join(SCHEME_PRESETS)}.",
        )

    def handle(self, *args, files: list[Path], **options):
        metadata = {name: options[name] for name in ("code", "title", "edition", "basis", "preset")}
        has_csv = any(path.suffix.lower() == ".csv" for path in files)
        if has_csv and not metadata["code"]:
            raise CommandError("CSV files need --code to say which standard they hold.")
        if not has_csv and any(value is not None for value in metadata.values()):
            # Refused rather than ignored: the user might expect them to override the JSON file.
            raise CommandError("--code, --title, --edition, --basis and --preset apply to CSV files only.")
        try:
            results = libraries_import(libraries=libraries_read(paths=files, **metadata))
        except LibraryError as error:
            raise CommandError(f"Nothing was imported.\n{error}") from error
        for result in results:
            self.stdout.write(result.summary())
