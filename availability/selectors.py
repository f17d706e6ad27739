"""Reads of unavailability."""

import datetime
from collections.abc import Iterable

from availability.models import Unavailability


def unavailability_overlapping(person_ids: Iterable[int], start: datetime.date, end: datetime.date):
    """The periods of these people that share a day with start..end, earliest first."""
    return (
        Unavailability.objects.filter(person_id__in=list(person_ids))
        .overlapping(start, end)
        .order_by("start_date", "pk")
    )
