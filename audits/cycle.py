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


# ISO/IEC 17021-1 9.1.3.3: the first surveillance no later than 12 months after the initial
# certification decision. A scheme may ask for it sooner, never later.
FIRST_SURVEILLANCE_MAX_MONTHS = 12


@dataclass(frozen=True)
class CycleDates:
    surveillance_1: datetime.date
    surveillance_2: datetime.date
    expiry: datetime.date
    recertification: datetime.date


def cycle_dates(*, decision_date: datetime.date, scheme) -> CycleDates:
    """Due dates that follow from the initial certification decision.

    The first surveillance no later than `first_surveillance_max_months` after the decision (and
    never later than 12 months); the second within the next calendar year; recertification
    completed before the certificate expires at the end of the cycle.
    """
    return _dates_from(decision_date, scheme, field="decision_date")


def renewal_cycle_dates(*, expiring_on: datetime.date, scheme) -> CycleDates:
    """The due dates of the cycle that follows a certificate expiring on `expiring_on`.

    The new cycle starts the day after the old expiry, whenever the renewal was decided (17021-1
    9.6.3.2.3: the new expiry is based on the old one): a renewal decided early does not pull the
    next audits earlier, and one decided after a lapse does not push them later.
    """
    if expiring_on >= datetime.date.max:
        raise DateOutOfRange(
            _("%(date)s is too far in the future: the dates that follow it fall past the calendar's end.")
            % {"date": formats.date_format(expiring_on, "DATE_FORMAT")}
        )
    return _dates_from(expiring_on + datetime.timedelta(days=1), scheme, field="expiry_date")


def running_cycle_dates(*, expiring_on: datetime.date, scheme) -> CycleDates:
    """The due dates of the cycle that ends with a certificate expiring on `expiring_on`: the cycle
    a certificate transferred from another body is in (IAF MD 2). It started the scheme's cycle
    length before the day after the expiry, and its audits fall due as they would have from there;
    the expiry stays the certificate's own.
    """
    if expiring_on >= datetime.date.max:
        raise DateOutOfRange(
            _("%(date)s is too far in the future: the dates that follow it fall past the calendar's end.")
            % {"date": formats.date_format(expiring_on, "DATE_FORMAT")},
            field="expiry_date",
        )
    try:
        start = add_months(expiring_on + datetime.timedelta(days=1), -scheme.cycle_months)
    except DateOutOfRange as error:
        raise DateOutOfRange(error.message, field="expiry_date") from None
    dates = _dates_from(start, scheme, field="expiry_date")
    recertification = expiring_on - datetime.timedelta(days=1)
    return CycleDates(
        surveillance_1=min(dates.surveillance_1, recertification),
        surveillance_2=min(dates.surveillance_2, recertification),
        expiry=expiring_on,
        recertification=recertification,
    )


def cycle_start(*, expiring_on: datetime.date, scheme) -> datetime.date:
    """The day the cycle ending with `expiring_on` started (the certification decision that began it)."""
    try:
        return add_months(expiring_on + datetime.timedelta(days=1), -scheme.cycle_months)
    except DateOutOfRange as error:
        raise DateOutOfRange(error.message, field="expiry_date") from None


def restore_deadline(*, expired_on: datetime.date, scheme) -> datetime.date:
    """The last day a recertification decision may restore a certificate that expired on `expired_on`.

    Within the scheme's months after expiry (6 by default, ISO/IEC 17021-1); later, the client
    starts again with a stage 2 audit.
    """
    return _months_after(expired_on, scheme.restore_after_expiry_months)


def _dates_from(start: datetime.date, scheme, *, field: str) -> CycleDates:
    first_surveillance_months = min(scheme.first_surveillance_max_months, FIRST_SURVEILLANCE_MAX_MONTHS)
    try:
        surveillance_1 = add_months(start, first_surveillance_months)
        expiry = add_months(start, scheme.cycle_months) - datetime.timedelta(days=1)
    except DateOutOfRange as error:
        raise DateOutOfRange(error.message, field=field) from None
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
            message = _("Late: due by %(date)s.") % {
                "date": formats.date_format(audit.due_date, "DATE_FORMAT")
            }
            if audit.audit_type == "surveillance":
                # 17021-1 9.6.5: surveillance not held when required is a ground for suspension
                # (findings.deadlines lists the organisation among the candidates).
                message += " " + _(
                    "The surveillance is overdue: the certificate is a candidate for suspension "
                    "until it is held."
                )
            flags.append(Flag("late", message))
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
