"""Writes of unavailability: a person's leave, training or other work, entered and removed."""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from availability.models import Unavailability, UnavailabilityKind
from availability.permissions import require_can_enter_unavailability
from core.actors import SYSTEM, check
from core.errors import DomainError

NOTE_MAX_LENGTH = 200
# A single entry covers at most a year; longer absences are entered year by year.
MAX_DAYS = 366


@transaction.atomic
def unavailability_add(
    *,
    user,
    person,
    kind: str,
    start_date: datetime.date,
    end_date: datetime.date,
    note: str = "",
) -> Unavailability:
    check(user, require_can_enter_unavailability, person)
    if kind not in UnavailabilityKind.values:
        raise DomainError(_("Choose leave, training or other work."), field="kind")
    if end_date < start_date:
        raise DomainError(_("The last day cannot come before the first."), field="end_date")
    if (end_date - start_date).days >= MAX_DAYS:
        raise DomainError(_("Enter at most a year at a time."), field="end_date")
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise DomainError(_("Keep the note under 200 characters."), field="note")
    return Unavailability.objects.create(
        person=person,
        kind=kind,
        start_date=start_date,
        end_date=end_date,
        note=note,
        created_by=None if user is SYSTEM else user,
    )


@transaction.atomic
def unavailability_remove(*, user, unavailability: Unavailability) -> None:
    check(user, require_can_enter_unavailability, unavailability.person)
    unavailability.delete()
