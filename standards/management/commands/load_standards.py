"""Import every clause library shipped in standards/libraries/ (used by `make run`)."""

from django.core.management.base import BaseCommand, CommandError

from standards.library import LIBRARY_DIR, LibraryError, libraries_import, libraries_read


class Command(BaseCommand):
    help = f"Load or update the standards shipped in {LIBRARY_DIR} (every *.json, in name order)."

    def handle(self, *args, **options):
        paths = sorted(LIBRARY_DIR.glob("*.json"))
        if not paths:
            raise CommandError(f"No *.json clause library in {LIBRARY_DIR}.")
        try:
            results = libraries_import(libraries=libraries_read(paths=paths))
        except LibraryError as error:
            raise CommandError(f"Nothing was imported.\n{error}") from error
        for result in results:
            self.stdout.write(result.summary())
