"""The certification cycle (ISO/IEC 17021-1): due dates and late / at-risk flags, as pure functions."""

import calendar
import datetime
from dataclasses import dataclass

from django.utils import formats
from django.utils.translation import gettext as _

AT_RISK_DAYS = 60


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, or the month's last day when it has fewer days."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
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
    surveillance_1 = add_months(decision_date, scheme.first_surveillance_max_months)
    surveillance_2 = datetime.date(surveillance_1.year + 1, 12, 31)
    expiry = add_months(decision_date, scheme.cycle_months) - datetime.timedelta(days=1)
    recertification = expiry - datetime.timedelta(days=1)
    surveillance_2 = min(surveillance_2, recertification)
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
        and audit.start_date > add_months(stage1_end, scheme.stage_gap_warning_months)
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
