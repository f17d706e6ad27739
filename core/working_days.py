"""Working days: Monday to Friday, less the public holidays of the body's country.

The country is the setting CERTIFICATION_BODY_HOLIDAYS (an ISO 3166 code, "SE" by default; empty
for weekends only); its public holidays come from the `holidays` package, kept up to date by its
maintainers, rather than a list of our own.
"""

import datetime
import functools

import holidays
from django.conf import settings


@functools.cache
def _public_holidays(country: str, year: int) -> frozenset[datetime.date]:
    if not country:
        return frozenset()
    return frozenset(holidays.country_holidays(country, years=year))


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in _public_holidays(settings.CERTIFICATION_BODY_HOLIDAYS, day.year)


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The day `days` working days after `start`."""
    day = start
    left = days
    while left > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day
