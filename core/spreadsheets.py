"""Files people open in a spreadsheet program: every export writes its cells through here.

A cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return, which some programs skip
before reading one of those) is read by Excel, LibreOffice and Google Sheets as a formula, so a
client's scope of "=HYPERLINK(…)" would run on the desk of whoever opens the export. Such a cell is
written with a leading apostrophe, which the spreadsheet shows as text and a program reading the
CSV can strip (OWASP, "CSV Injection").
"""

import csv

# The full-width forms too (U+FF1D, U+FF0B, U+FF0D, U+FF20): some spreadsheet programs read them
# as the ASCII ones in East Asian locales.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def spreadsheet_cell(value) -> object:
    """The value as a cell no spreadsheet runs: text that would start a formula gets a leading `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SpreadsheetWriter:
    """csv.writer with every cell made safe by `spreadsheet_cell`; the only CSV writer exports use."""

    def __init__(self, out, **options):
        self._writer = csv.writer(out, **options)

    def writerow(self, row):
        return self._writer.writerow([spreadsheet_cell(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)
