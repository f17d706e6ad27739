"""The day-by-day plan: sites in the sample, no overlaps, nobody in two places, hours that add up."""

import datetime
from decimal import Decimal

import pytest

from audits.models import Audit, AuditStatus, AuditType, TeamRole
from audits.services import (
    audit_compute_time,
    audit_update,
    plan_confirm,
    plan_day_add,
    plan_slot_add,
    team_member_add,
    team_member_remove,
)
from core.actors import SYSTEM
from core.errors import ConflictError, DomainError
from tests.factories import ClauseFactory, CompetenceFactory

TODAY = datetime.date(2026, 11, 27)
MON, TUE, WED, THU, FRI = (datetime.date(2027, 2, day) for day in (1, 2, 3, 4, 5))


def t(hhmm: str) -> datetime.time:
    return datetime.time.fromisoformat(hhmm)


@pytest.fixture
def audit(cast):
    audit = Audit.objects.create(organization=cast.org_a, audit_type=AuditType.STAGE2)
    audit.standards.add(cast.standard)
    audit_update(actor=SYSTEM, audit=audit, start_date=MON, end_date=THU)
    CompetenceFactory(user=cast.lead, standard=cast.standard, role=TeamRole.LEAD_AUDITOR)
    CompetenceFactory(user=cast.auditor, standard=cast.standard, role=TeamRole.AUDITOR)
    audit.lead = team_member_add(
        actor=SYSTEM, audit=audit, user=cast.lead, role=TeamRole.LEAD_AUDITOR, today=TODAY
    )
    audit.auditor = team_member_add(
        actor=SYSTEM, audit=audit, user=cast.auditor, role=TeamRole.AUDITOR, today=TODAY
    )
    audit_compute_time(actor=SYSTEM, audit=audit, seed=7)
    return audit


def _site(cast, name):
    return cast.org_a.sites.get(name=name)


def test_it_computes_stage_2_time_and_samples_every_site_for_nordkontakt(cast, audit):
    # 155 personnel at 3 sites under the ISO 18295 policy: 2.5 + 2 x 0.5 = 3.5 days, stage 2 = 3.
    assert audit.planned_days == Decimal("3.0")
    assert audit.time_calculation["stage2_days"] == 3.0
    assert set(audit.sites.values_list("name", flat=True)) == {"Stockholm", "Göteborg", "Malmö"}
    assert audit.sampling_seed == 7
    assert audit.time_calculation["justification"]


def test_it_refuses_a_site_not_in_the_sample(cast, audit):
    audit.sites.remove(_site(cast, "Malmö"))
    with pytest.raises(DomainError, match="Malmö is not among the sites chosen"):
        plan_day_add(actor=SYSTEM, audit=audit, date=MON, site=_site(cast, "Malmö"))


def test_it_refuses_a_day_outside_the_audit_dates(cast, audit):
    with pytest.raises(DomainError, match="within the audit's dates"):
        plan_day_add(actor=SYSTEM, audit=audit, date=FRI, site=_site(cast, "Malmö"))


def test_it_refuses_more_days_than_the_scheme_allows(cast, audit):
    audit_update(actor=SYSTEM, audit=audit, end_date=FRI)
    for day in (MON, TUE, WED, THU):
        plan_day_add(actor=SYSTEM, audit=audit, date=day, site=_site(cast, "Stockholm"))
    with pytest.raises(DomainError, match="at most 4 days"):
        plan_day_add(actor=SYSTEM, audit=audit, date=FRI, site=_site(cast, "Stockholm"))


def test_it_refuses_overlapping_slots_for_one_member(cast, audit):
    day = plan_day_add(actor=SYSTEM, audit=audit, date=MON, site=_site(cast, "Stockholm"))
    plan_slot_add(
        actor=SYSTEM, day=day, start=t("09:00"), end=t("12:00"), member=audit.lead, activity="Leadership"
    )
    with pytest.raises(DomainError, match="overlaps"):
        plan_slot_add(
            actor=SYSTEM, day=day, start=t("11:00"), end=t("13:00"), member=audit.lead, activity="Complaints"
        )
    # Another member may work in parallel.
    plan_slot_add(
        actor=SYSTEM, day=day, start=t("11:00"), end=t("13:00"), member=audit.auditor, activity="Complaints"
    )


def test_it_refuses_a_member_in_two_places_at_once(cast, audit):
    stockholm = plan_day_add(actor=SYSTEM, audit=audit, date=MON, site=_site(cast, "Stockholm"))
    goteborg = plan_day_add(actor=SYSTEM, audit=audit, date=MON, site=_site(cast, "Göteborg"))
    plan_slot_add(
        actor=SYSTEM,
        day=stockholm,
        start=t("09:00"),
        end=t("12:00"),
        member=audit.lead,
        activity="Leadership",
    )
    with pytest.raises(DomainError, match="two places at once: 09:00 to 12:00 at Stockholm"):
        plan_slot_add(
            actor=SYSTEM, day=goteborg, start=t("10:00"), end=t("11:00"), member=audit.lead, activity="Floor"
        )


def test_it_refuses_a_member_booked_on_another_audit(cast, audit):
    other_audit = Audit.objects.create(organization=cast.org_b, audit_type=AuditType.SURVEILLANCE)
    other_audit.standards.add(cast.standard)
    audit_update(
        actor=SYSTEM, audit=other_audit, start_date=MON, end_date=MON, sites=list(cast.org_b.sites.all())
    )
    member = team_member_add(
        actor=SYSTEM, audit=other_audit, user=cast.lead, role=TeamRole.LEAD_AUDITOR, today=TODAY
    )
    luleå = plan_day_add(actor=SYSTEM, audit=other_audit, date=MON, site=cast.org_b.sites.get())
    plan_slot_add(
        actor=SYSTEM, day=luleå, start=t("08:00"), end=t("16:00"), member=member, activity="All clauses"
    )
    day = plan_day_add(actor=SYSTEM, audit=audit, date=MON, site=_site(cast, "Stockholm"))
    with pytest.raises(DomainError, match="two places at once"):
        plan_slot_add(
            actor=SYSTEM, day=day, start=t("09:00"), end=t("10:00"), member=audit.lead, activity="Opening"
        )


def test_it_refuses_a_slot_ending_before_it_starts(cast, audit):
    day = plan_day_add(actor=SYSTEM, audit=audit, date=MON, site=_site(cast, "Stockholm"))
    with pytest.raises(DomainError, match="end after it starts"):
        plan_slot_add(
            actor=SYSTEM, day=day, start=t("12:00"), end=t("09:00"), member=audit.lead, activity="X"
        )


def test_it_refuses_clauses_of_another_standard(cast, audit):
    day = plan_day_add(actor=SYSTEM, audit=audit, date=MON, site=_site(cast, "Stockholm"))
    foreign = ClauseFactory(number="8.5")
    with pytest.raises(DomainError, match="8.5 is not in this audit's standards"):
        plan_slot_add(
            actor=SYSTEM,
            day=day,
            start=t("09:00"),
            end=t("10:00"),
            member=audit.lead,
            activity="X",
            clauses=[foreign],
        )


def _full_plan(cast, audit):
    """Three days, one per site, two auditors for 8 hours = 24 hours = 3 audit days."""
    clause = cast.standard.clauses.get(number="4.1")
    for date, name in ((MON, "Stockholm"), (TUE, "Göteborg"), (WED, "Malmö")):
        day = plan_day_add(actor=SYSTEM, audit=audit, date=date, site=_site(cast, name))
        plan_slot_add(
            actor=SYSTEM,
            day=day,
            start=t("08:00"),
            end=t("12:00"),
            member=audit.lead,
            activity="Floor",
            clauses=[clause],
        )
        plan_slot_add(
            actor=SYSTEM, day=day, start=t("13:00"), end=t("17:00"), member=audit.auditor, activity="Records"
        )


def test_it_confirms_a_plan_whose_hours_match(cast, audit):
    _full_plan(cast, audit)
    plan_confirm(actor=SYSTEM, audit=audit)
    audit.refresh_from_db()
    assert audit.status == AuditStatus.CONFIRMED
    assert audit.confirmed_at is not None
    with pytest.raises(ConflictError, match="already confirmed"):
        plan_confirm(actor=SYSTEM, audit=audit)


def test_it_refuses_a_plan_that_leaves_a_sampled_site_out(cast, audit):
    day = plan_day_add(actor=SYSTEM, audit=audit, date=MON, site=_site(cast, "Stockholm"))
    plan_slot_add(actor=SYSTEM, day=day, start=t("08:00"), end=t("16:00"), member=audit.lead, activity="All")
    with pytest.raises(DomainError) as error:
        plan_confirm(actor=SYSTEM, audit=audit)
    assert "Göteborg is in the sample but has no slot" in error.value.message
    assert "8 hours but the audit time is 24 hours" in error.value.message
    audit.refresh_from_db()
    assert audit.status == AuditStatus.PLANNED


def test_it_accepts_other_hours_with_a_recorded_justification(cast, audit):
    _full_plan(cast, audit)
    slot = audit.days.get(date=WED).slots.get(member=audit.auditor)
    slot.delete()
    with pytest.raises(DomainError, match="20 hours but the audit time is 24 hours"):
        plan_confirm(actor=SYSTEM, audit=audit)
    plan_confirm(actor=SYSTEM, audit=audit, justification="Malmö's records are kept centrally in Stockholm.")
    audit.refresh_from_db()
    assert audit.plan_justification.startswith("Malmö's records")


def test_it_refuses_removing_a_member_with_slots(cast, audit):
    day = plan_day_add(actor=SYSTEM, audit=audit, date=MON, site=_site(cast, "Stockholm"))
    plan_slot_add(
        actor=SYSTEM, day=day, start=t("08:00"), end=t("16:00"), member=audit.auditor, activity="All"
    )
    with pytest.raises(ConflictError, match="has slots in the plan"):
        team_member_remove(actor=SYSTEM, member=audit.auditor)


def test_it_refuses_changes_to_a_closed_audit(cast, audit):
    Audit.objects.filter(pk=audit.pk).update(status=AuditStatus.CLOSED)
    audit.refresh_from_db()
    with pytest.raises(ConflictError, match="closed and can no longer be changed"):
        plan_day_add(actor=SYSTEM, audit=audit, date=MON, site=_site(cast, "Stockholm"))
