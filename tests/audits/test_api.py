"""Audits over the API: who reads, who writes, team refusals as 400 with the reason, the plan."""

import datetime

import pytest

from audits.models import Audit, AuditType, TeamRole
from audits.services import audit_compute_time, audit_update, team_member_add
from core.actors import SYSTEM
from tests.conftest import CAST_NAMES
from tests.factories import CompetenceFactory

TODAY = datetime.date(2026, 11, 27)


@pytest.fixture
def audit(cast):
    """Nordkontakt AB's stage 2, with `lead` as its lead auditor; `auditor` is not on the team."""
    audit = Audit.objects.create(organization=cast.org_a, audit_type=AuditType.STAGE2)
    audit.standards.add(cast.standard)
    audit_update(
        actor=SYSTEM, audit=audit, start_date=datetime.date(2027, 2, 1), end_date=datetime.date(2027, 2, 3)
    )
    CompetenceFactory(user=cast.lead, standard=cast.standard, role=TeamRole.LEAD_AUDITOR)
    team_member_add(actor=SYSTEM, audit=audit, user=cast.lead, role=TeamRole.LEAD_AUDITOR, today=TODAY)
    audit_compute_time(actor=SYSTEM, audit=audit, seed=1)
    return audit


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/audits/{id}/", [401, 200, 200, 404, 200, 404]),
        ("/api/v1/audits/{id}/plan/", [401, 200, 200, 404, 200, 404]),
        ("/api/v1/audits/{id}/team/", [401, 200, 200, 404, 200, 404]),
        ("/api/v1/audits/", [401, 200, 200, 200, 200, 200]),
    ],
)
def test_it_answers_reads_as_decided(path, expected, cast, audit, api):
    url = path.format(id=audit.pk)
    got = [api(cast.user(name)).get(url).status_code for name in CAST_NAMES]
    assert got == expected, dict(zip(CAST_NAMES, got, strict=True))


def test_it_lists_only_visible_audits(cast, audit, api):
    assert [row["id"] for row in api(cast.client).get("/api/v1/audits/").json()["results"]] == [audit.pk]
    assert api(cast.other).get("/api/v1/audits/").json()["results"] == []
    assert api(cast.auditor).get("/api/v1/audits/").json()["results"] == []


def test_it_lets_only_staff_create_audits(cast, api):
    data = {"organization": cast.org_b.pk, "standards": [cast.standard.code], "audit_type": "stage1"}
    assert api(cast.lead).post("/api/v1/audits/", data, format="json").status_code == 403
    response = api(cast.staff).post("/api/v1/audits/", data, format="json")
    assert response.status_code == 201, response.json()
    assert Audit.objects.filter(organization=cast.org_b, audit_type="stage1").count() == 1


@pytest.mark.parametrize(("name", "status"), [("staff", 200), ("lead", 403), ("client", 403), ("other", 404)])
def test_it_lets_only_staff_edit_an_audit(name, status, cast, audit, api):
    response = api(cast.user(name)).patch(f"/api/v1/audits/{audit.pk}/", {"scope": "New"}, format="json")
    assert response.status_code == status
    audit.refresh_from_db()
    assert (audit.scope == "New") is (status == 200)


def test_it_refuses_a_team_member_without_competence_with_the_reason(cast, audit, api):
    response = api(cast.staff).post(
        f"/api/v1/audits/{audit.pk}/team/", {"user": cast.auditor.pk, "role": "auditor"}, format="json"
    )
    assert response.status_code == 400
    assert "Competence rule" in response.json()["user"][0]
    assert not audit.team.filter(user=cast.auditor).exists()


def test_it_adds_and_removes_a_member_through_the_api(cast, audit, api):
    CompetenceFactory(user=cast.auditor, standard=cast.standard, role=TeamRole.AUDITOR)
    url = f"/api/v1/audits/{audit.pk}/team/"
    assert (
        api(cast.lead).post(url, {"user": cast.auditor.pk, "role": "auditor"}, format="json").status_code
        == 403
    )
    response = api(cast.staff).post(url, {"user": cast.auditor.pk, "role": "auditor"}, format="json")
    assert response.status_code == 201
    assert api(cast.auditor).get(f"/api/v1/audits/{audit.pk}/").status_code == 200
    response = api(cast.staff).delete(url, {"user": cast.auditor.pk}, format="json")
    assert response.status_code == 200
    assert api(cast.auditor).get(f"/api/v1/audits/{audit.pk}/").status_code == 404


def test_it_lets_the_lead_plan_and_refuses_bad_slots_with_400(cast, audit, api):
    client = api(cast.lead)
    site = cast.org_a.sites.get(name="Stockholm")
    response = client.post(
        f"/api/v1/audits/{audit.pk}/plan/days/", {"date": "2027-02-01", "site": site.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    day_id = response.json()["days"][0]["id"]
    member_id = audit.team.get().pk
    slot = {"day": day_id, "start": "09:00", "end": "12:00", "member": member_id, "activity": "Floor"}
    assert (
        client.post(
            f"/api/v1/audits/{audit.pk}/plan/slots/", {**slot, "clauses": ["4.1"]}, format="json"
        ).status_code
        == 201
    )
    response = client.post(
        f"/api/v1/audits/{audit.pk}/plan/slots/", {**slot, "start": "11:00"}, format="json"
    )
    assert response.status_code == 400
    assert "overlaps" in response.json()["start"][0]
    response = client.post(f"/api/v1/audits/{audit.pk}/plan/confirm/", {}, format="json")
    assert response.status_code == 400
    assert "no slot in the plan" in response.json()["detail"]
    plan = client.get(f"/api/v1/audits/{audit.pk}/plan/").json()
    assert plan["days"][0]["slots"][0]["clauses"] == ["4.1"]
    assert plan["problems"]


def test_it_refuses_planning_by_the_client(cast, audit, api):
    site = cast.org_a.sites.get(name="Stockholm")
    response = api(cast.client).post(
        f"/api/v1/audits/{audit.pk}/plan/days/", {"date": "2027-02-01", "site": site.pk}, format="json"
    )
    assert response.status_code == 403
    assert not audit.days.exists()


def test_it_lists_audits_in_a_constant_number_of_queries(cast, audit, api, django_assert_max_num_queries):
    def fresh():
        return api(type(cast.staff).objects.get(pk=cast.staff.pk))

    with django_assert_max_num_queries(12) as few:
        fresh().get("/api/v1/audits/")
    for _ in range(10):
        extra = Audit.objects.create(organization=cast.org_b, audit_type=AuditType.SURVEILLANCE)
        extra.standards.add(cast.standard)
        extra.sites.set(cast.org_b.sites.all())
    with django_assert_max_num_queries(len(few.captured_queries)):
        fresh().get("/api/v1/audits/")
