import datetime

import pytest

from audits.models import AuditType, TeamRole
from audits.services import (
    audit_compute_time,
    audit_update,
    plan_day_add,
    plan_slot_add,
    programme_create,
    team_member_add,
)
from core.actors import SYSTEM
from tests.conftest import CAST_NAMES
from tests.factories import CompetenceFactory


@pytest.fixture
def programme(cast):
    programme = programme_create(actor=SYSTEM, organization=cast.org_a, standards=[cast.standard])
    stage2 = programme.audits.get(audit_type=AuditType.STAGE2)
    audit_update(
        actor=SYSTEM, audit=stage2, start_date=datetime.date(2027, 2, 1), end_date=datetime.date(2027, 2, 3)
    )
    CompetenceFactory(user=cast.lead, standard=cast.standard, role=TeamRole.LEAD_AUDITOR)
    lead = team_member_add(
        actor=SYSTEM,
        audit=stage2,
        user=cast.lead,
        role=TeamRole.LEAD_AUDITOR,
        today=datetime.date(2026, 11, 27),
    )
    audit_compute_time(actor=SYSTEM, audit=stage2, seed=3)
    day = plan_day_add(
        actor=SYSTEM,
        audit=stage2,
        date=datetime.date(2027, 2, 1),
        site=cast.org_a.sites.get(name="Stockholm"),
    )
    plan_slot_add(
        actor=SYSTEM,
        day=day,
        start=datetime.time(9),
        end=datetime.time(12),
        member=lead,
        activity="Customer relationship",
        clauses=[cast.standard.clauses.get(number="4.1")],
    )
    return programme


def test_it_answers_each_cast_user_as_decided(cast, programme, login):
    url = f"/programmes/{programme.pk}/"
    got = [login(cast.user(name)).get(url).status_code for name in CAST_NAMES]
    assert got == [302, 200, 200, 404, 200, 404]


def test_it_shows_the_timeline_and_clause_coverage(cast, programme, login):
    body = login(cast.staff).get(f"/programmes/{programme.pk}/").content.decode()
    assert body.index("Stage 1") < body.index("Stage 2") < body.index("Recertification")
    assert "1 clause not yet planned in any audit" in body  # 4.2 is not in any slot; 4.1 is
    assert "Göteborg" in body


def test_it_links_the_programme_from_the_organization(cast, programme, login):
    body = login(cast.client).get(f"/organizations/{cast.org_a.pk}/").content.decode()
    assert f"/programmes/{programme.pk}/" in body


def test_it_renders_in_a_constant_number_of_queries(cast, programme, login, django_assert_max_num_queries):
    client = login(cast.staff)
    url = f"/programmes/{programme.pk}/"
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for number in range(10):
        cast.standard.clauses.create(number=f"5.{number}", title="More", order=100 + number)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
