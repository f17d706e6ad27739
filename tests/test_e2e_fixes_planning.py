"""Regressions found by the staff planning journey (tests/e2e/test_journey_staff_planning.py).

- Plan days were named by ISO date ("2027-02-01 · Stockholm") in the slot form and the messages.
- The competence and impartiality refusals gave ISO dates; people write 1 Feb 2027.
- A site named after its city was offered as "Stockholm (Stockholm)" and headed "Stockholm, Stockholm".
- On a phone, a site's name and its "Central function" tag were pulled apart in the sites table.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import translation

from audits.forms import plan_day_label
from audits.models import AuditType, CompetenceRole, TeamRole
from audits.services import audit_compute_time, audit_update, plan_day_add, programme_create, team_member_add
from clients.models import ConsultancyDeclaration
from core.errors import DomainError
from tests.factories import CompetenceFactory, SiteFactory

MON, TUE, WED = (datetime.date(2027, 2, day) for day in (1, 2, 3))


@pytest.fixture
def stage2(cast):
    """Nordkontakt's stage 2, 1-3 Feb 2027, computed, the lead on the team, Monday at Stockholm."""
    programme = programme_create(organization=cast.org_a, standards=[cast.standard])
    audit = programme.audits.get(audit_type=AuditType.STAGE2)
    audit_update(audit=audit, start_date=MON, end_date=WED)
    CompetenceFactory(user=cast.lead, standard=cast.standard, role=CompetenceRole.LEAD_AUDITOR)
    audit.lead = team_member_add(audit=audit, user=cast.lead, role=TeamRole.LEAD_AUDITOR)
    audit_compute_time(audit=audit, seed=11)
    audit.monday = plan_day_add(audit=audit, date=MON, site=cast.org_a.sites.get(name="Stockholm"))
    return audit


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_it_names_plan_days_as_people_write_dates(cast, stage2, login):
    body = _text(login(cast.staff).get(f"/audits/{stage2.pk}/plan/"))
    assert f'<option value="{stage2.monday.pk}">Mon 1 Feb 2027 · Stockholm</option>' in body
    assert "2027-02-01" not in body.split('id="add-day"')[0]


def test_it_confirms_an_added_day_and_slot_with_readable_dates(cast, stage2, login):
    staff = login(cast.staff)
    goteborg = cast.org_a.sites.get(name="Göteborg")
    response = staff.post(
        f"/audits/{stage2.pk}/plan/",
        {"form": "day", "day-date": TUE.isoformat(), "day-site": goteborg.pk},
        follow=True,
    )
    assert _messages(response) == ["Day added: Tue 2 Feb 2027 · Göteborg."]
    response = staff.post(
        f"/audits/{stage2.pk}/plan/",
        {
            "form": "slot",
            "slot-day": stage2.monday.pk,
            "slot-start": "09:00",
            "slot-end": "12:00",
            "slot-member": stage2.lead.pk,
            "slot-activity": "Leadership",
            "slot-clauses": "4.1",
        },
        follow=True,
    )
    assert _messages(response) == ["Slot added: Mon 1 Feb 2027 · Stockholm · 09:00–12:00 Leadership."]


def test_it_names_plan_days_in_the_users_language(stage2):
    with translation.override("sv"):
        assert plan_day_label(stage2.monday) == "mån 1 feb 2027 · Stockholm"


def test_it_gives_the_audit_dates_of_a_competence_refusal_as_people_write_them(cast, stage2, login):
    response = login(cast.staff).post(
        f"/audits/{stage2.pk}/team/", {"user": cast.auditor.pk, "role": TeamRole.AUDITOR}
    )
    assert response.status_code == 200
    body = _text(response)
    assert (
        f"Competence rule: {cast.auditor} holds no valid auditor competence for ISO 18295-1:2017 "
        "on the audit dates (1 Feb 2027 to 3 Feb 2027)."
    ) in body
    assert "2027-02-01" not in body
    assert not stage2.team.filter(user=cast.auditor).exists()


def test_it_gives_the_date_of_an_impartiality_refusal_as_people_write_it(cast, stage2):
    CompetenceFactory(user=cast.auditor, standard=cast.standard, role=CompetenceRole.AUDITOR)
    ConsultancyDeclaration.objects.create(
        organization=cast.org_a, kind="employment", provider="Nordkontakt AB", person=cast.auditor,
        until=datetime.date(2026, 6, 30),
    )  # fmt: skip
    with pytest.raises(DomainError) as refusal:
        team_member_add(audit=stage2, user=cast.auditor, role=TeamRole.AUDITOR, today=MON)
    assert "until 30 Jun 2026, less than 2 years before the audit" in refusal.value.message


def test_it_names_a_site_once_when_it_is_named_after_its_city(cast, stage2, login):
    SiteFactory(organization=cast.org_a, name="Kista", city="Stockholm", effective_personnel=Decimal(5))
    staff = login(cast.staff)
    edit = _text(staff.get(f"/audits/{stage2.pk}/edit/"))
    assert "> Stockholm</label>" in edit or ">Stockholm</label>" in edit
    assert "Stockholm (Stockholm)" not in edit
    # A site whose name does not say where it is keeps its city.
    assert "Kista (Stockholm)" in edit
    plan = _text(staff.get(f"/audits/{stage2.pk}/plan/"))
    assert "Stockholm (Stockholm)" not in plan
    assert re.search(r"<h3 [^>]*>Monday 1 Feb 2027 · Stockholm</h3>", plan)


def test_it_keeps_the_city_in_a_plan_day_heading_when_the_site_is_named_otherwise(cast, stage2, login):
    kista = SiteFactory(
        organization=cast.org_a, name="Kista", city="Stockholm", effective_personnel=Decimal(5)
    )
    stage2.sites.add(kista)
    plan_day_add(audit=stage2, date=TUE, site=kista)
    plan = _text(login(cast.staff).get(f"/audits/{stage2.pk}/plan/"))
    assert re.search(r"<h3 [^>]*>Tuesday 2 Feb 2027 · Kista, Stockholm</h3>", plan)


def test_it_keeps_a_sites_name_and_its_central_function_tag_in_one_cell_item(cast, login):
    body = _text(login(cast.staff).get(f"/organizations/{cast.org_a.pk}/"))
    # The phone layout sets the cell's children beside its label: the name and tag are one child.
    tagged = '<span>Stockholm <span class="tag tag-info">Central function</span></span>'
    assert f'<td data-label="Site">{tagged}</td>' in body
