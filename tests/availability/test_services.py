"""A person's unavailability: entered by themselves or by staff, checked on the way in."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from availability.models import Unavailability
from availability.selectors import unavailability_overlapping
from availability.services import unavailability_add, unavailability_remove
from core.errors import DomainError

MONDAY = datetime.date(2026, 12, 7)


def _add(user, person, start=MONDAY, end=MONDAY, **fields):
    return unavailability_add(
        user=user, person=person, kind=fields.pop("kind", "leave"), start_date=start, end_date=end, **fields
    )


def test_an_auditor_enters_their_own_and_staff_anyones(cast):
    own = _add(cast.lead, cast.lead, note="  Skiing  ")
    assert own.created_by == cast.lead and own.note == "Skiing"
    assert _add(cast.staff, cast.auditor, kind="training").created_by == cast.staff
    with pytest.raises(PermissionDenied):
        _add(cast.lead, cast.auditor)
    with pytest.raises(PermissionDenied):
        _add(cast.client, cast.client)
    with pytest.raises(PermissionDenied):
        unavailability_remove(user=cast.lead, unavailability=Unavailability.objects.get(person=cast.auditor))
    unavailability_remove(user=cast.lead, unavailability=own)
    assert not Unavailability.objects.filter(person=cast.lead).exists()


@pytest.mark.parametrize(
    ("start", "end", "fields", "field"),
    [
        (MONDAY, MONDAY - datetime.timedelta(days=1), {}, "end_date"),
        (MONDAY, MONDAY + datetime.timedelta(days=366), {}, "end_date"),
        (MONDAY, MONDAY, {"kind": "holiday"}, "kind"),
        (MONDAY, MONDAY, {"note": "x" * 201}, "note"),
    ],
)
def test_it_refuses_what_cannot_be_a_period(cast, start, end, fields, field):
    with pytest.raises(DomainError) as refused:
        _add(cast.staff, cast.lead, start, end, **fields)
    assert refused.value.field == field
    assert not Unavailability.objects.exists()


def test_it_finds_the_periods_that_share_a_day(cast):
    week = _add(cast.staff, cast.lead, MONDAY, MONDAY + datetime.timedelta(days=4))
    _add(cast.staff, cast.auditor, MONDAY + datetime.timedelta(days=7), MONDAY + datetime.timedelta(days=7))
    friday = MONDAY + datetime.timedelta(days=4)
    assert list(unavailability_overlapping([cast.lead.pk, cast.auditor.pk], friday, friday)) == [week]
    assert (
        list(
            unavailability_overlapping(
                [cast.lead.pk], friday + datetime.timedelta(days=1), friday + datetime.timedelta(days=2)
            )
        )
        == []
    )
