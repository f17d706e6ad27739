"""Unique, gap-free-per-year numbers across the certification body (NC-2026-0007)."""

from django.db import IntegrityError, transaction

from audits.models import NumberSequence


def next_number(*, series: str, year: int, width: int = 4) -> str:
    """The next number of a series in a year, formatted as SERIES-YEAR-NNNN."""
    with transaction.atomic():
        sequence = NumberSequence.objects.select_for_update().filter(series=series, year=year).first()
        if sequence is None:
            try:
                # A savepoint: a concurrent first number of the year wins; we then lock its row.
                with transaction.atomic():
                    sequence = NumberSequence.objects.create(series=series, year=year)
            except IntegrityError:
                sequence = NumberSequence.objects.select_for_update().get(series=series, year=year)
        sequence.last += 1
        sequence.save(update_fields=["last"])
    return f"{series}-{year}-{sequence.last:0{width}d}"
