"""The certification cycle (ISO/IEC 17021-1): due dates and late / at-risk flags, as pure functions."""

import calendar
import datetime
from dataclasses import dataclass

from django.utils import formats
from django.utils.translation import gettext as _

from core.errors import DomainError

AT_RISK_DAYS = 60


class DateOutOfRange(DomainError):
    """A date that follows from another falls outside the calendar (after 31 Dec 9999)."""


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, or the month's last day when it has fewer days.

    DateOutOfRange when that is past the last (or before the first) date the calendar holds: a
    date typed as 9999-12-31 must be refused with a reason, not end in a 500.
    """
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    if not datetime.MINYEAR <= year <= datetime.MAXYEAR:
        raise DateOutOfRange(
            _("%(date)s is too far in the future: the dates that follow it fall past the calendar's end.")
            % {"date": formats.date_format(day, "DATE_FORMAT")}
        )
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class CycleDates:
    surveillance_1: datetime.date
    surveillance_2: datetime.date
    expiry: datetime.date
    recertification: datetime.date


def cycle_dates(*, decision_date: datetime.date, scheme) -> CycleDates:
    """Due dates that follow from the certification decision.

    The first surveillance no later than `first_surveillance_max_months` after the decision; the
    second within the next calendar year; recertification completed before the certificate
    expires at the end of the cycle.
    """
    try:
        surveillance_1 = add_months(decision_date, scheme.first_surveillance_max_months)
        expiry = add_months(decision_date, scheme.cycle_months) - datetime.timedelta(days=1)
    except DateOutOfRange as error:
        raise DateOutOfRange(error.message, field="decision_date") from None
    recertification = expiry - datetime.timedelta(days=1)
    # The next calendar year's end, or the recertification's due date when that comes first.
    surveillance_2 = min(
        datetime.date(min(surveillance_1.year + 1, datetime.MAXYEAR), 12, 31), recertification
    )
    return CycleDates(surveillance_1, surveillance_2, expiry, recertification)


@dataclass(frozen=True)
class Flag:
    level: str  # "late" or "at_risk" or "warning"
    message: str


def audit_flags(
    *, audit, today: datetime.date, stage1_end: datetime.date | None = None, scheme=None
) -> list[Flag]:
    """What staff should look at for one audit of a programme."""
    flags = []
    done = audit.status in ("closed", "cancelled")
    if audit.due_date and not done:
        finish = audit.end_date or audit.start_date
        if today > audit.due_date:
            flags.append(
                Flag(
                    "late",
                    _("Late: due by %(date)s.")
                    % {"date": formats.date_format(audit.due_date, "DATE_FORMAT")},
                )
            )
        elif finish and finish > audit.due_date:
            flags.append(
                Flag(
                    "late",
                    _("Planned after its due date (%(date)s).")
                    % {"date": formats.date_format(audit.due_date, "DATE_FORMAT")},
                )
            )
        elif (audit.due_date - today).days <= AT_RISK_DAYS and audit.status == "planned":
            flags.append(
                Flag(
                    "at_risk",
                    _("At risk: due by %(date)s and the plan is not confirmed.")
                    % {"date": formats.date_format(audit.due_date, "DATE_FORMAT")},
                )
            )
    long_gap = (
        audit.audit_type == "stage2"
        and stage1_end
        and audit.start_date
        and scheme is not None
        and audit.start_date > _months_after(stage1_end, scheme.stage_gap_warning_months)
    )
    if long_gap:
        flags.append(
            Flag(
                "warning",
                _("Stage 2 starts more than %(months)s months after stage 1.")
                % {"months": scheme.stage_gap_warning_months},
            )
        )
    return flags


def _months_after(day: datetime.date, months: int) -> datetime.date:
    """add_months, or the calendar's last date when that is past it: nothing starts later."""
    try:
        return add_months(day, months)
    except DateOutOfRange:
        return datetime.date.max
