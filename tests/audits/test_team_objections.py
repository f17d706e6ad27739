"""The client may object to a named team member before the plan is confirmed (17021-1 9.2.3.3):
recorded with its reason, a plan blocker until staff replace the member or record why they stay."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from audits.models import Audit, AuditType, ObjectionOutcome, TeamObjection, TeamRole
from audits.services import (
    audit_add,
    plan_problems,
    team_member_add,
    team_member_remove,
    team_objection_decide,
    team_objection_raise,
)
from core.actors import SYSTEM
from core.errors import ConflictError, DomainError
from tests.conftest import page_text
from tests.factories import CompetenceFactory

REASON = "Erik Lund audited our competitor Samtal Syd last month and knows our tender."


def objection_problems(audit) -> list[str]:
    return [problem for problem in plan_problems(audit) if problem.startswith("Objection rule")]


@pytest.fixture
def objection(cast, stage2):
    return team_objection_raise(actor=cast.client, audit=stage2, member=stage2.lead, reason=REASON)


@pytest.fixture
def second_member(cast, stage2):
    """The auditor on stage 2's team as well: a member who is not the lead."""
    CompetenceFactory(user=cast.auditor, standard=cast.standard, role=TeamRole.AUDITOR)
    return team_member_add(actor=SYSTEM, audit=stage2, user=cast.auditor, role=TeamRole.AUDITOR)


# -- The rule -------------------------------------------------------------------------------------


def test_it_records_the_clients_objection_with_its_reason(cast, stage2, objection):
    assert objection.user == cast.lead
    assert objection.raised_by == cast.client
    assert objection.reason == REASON
    assert objection.outcome == ObjectionOutcome.OPEN


def test_an_open_objection_blocks_the_plan(cast, stage2, objection):
    assert objection_problems(stage2) == [
        f"Objection rule: the client objects to {cast.lead}; replace them or record why they stay on "
        "the team."
    ]


def test_it_refuses_an_objection_once_the_plan_is_confirmed(cast, onsite_audit):
    with pytest.raises(ConflictError, match="only before the plan is confirmed"):
        team_objection_raise(actor=cast.client, audit=onsite_audit, member=onsite_audit.lead, reason=REASON)
    assert not TeamObjection.objects.exists()


def test_it_refuses_an_objection_at_a_short_notice_audit(cast, programme):
    special = audit_add(actor=SYSTEM, programme=programme, due_date=datetime.date(2027, 3, 1))
    CompetenceFactory(user=cast.lead, standard=cast.standard, role=TeamRole.LEAD_AUDITOR)
    lead = team_member_add(actor=SYSTEM, audit=special, user=cast.lead, role=TeamRole.LEAD_AUDITOR)
    assert special.audit_type == AuditType.SPECIAL
    with pytest.raises(ConflictError, match="short-notice audit the client cannot object"):
        team_objection_raise(actor=cast.client, audit=special, member=lead, reason=REASON)


def test_it_lets_only_the_audited_clients_users_object(cast, stage2):
    for person in (cast.staff, cast.lead, cast.auditor, cast.other):
        with pytest.raises(PermissionDenied, match="Only the audited client's users"):
            team_objection_raise(actor=person, audit=stage2, member=stage2.lead, reason=REASON)
    assert not TeamObjection.objects.exists()


def test_it_refuses_an_objection_without_a_reason(cast, stage2):
    with pytest.raises(DomainError, match="Say why you object"):
        team_objection_raise(actor=cast.client, audit=stage2, member=stage2.lead, reason="  ")


def test_it_refuses_a_second_open_objection_to_the_same_member(cast, stage2, objection):
    with pytest.raises(ConflictError, match="already awaiting staff's decision"):
        team_objection_raise(actor=cast.client, audit=stage2, member=stage2.lead, reason="Again.")


def test_replacing_the_member_answers_the_objection(cast, stage2, objection):
    team_objection_decide(actor=cast.staff, objection=objection, outcome="replaced")
    objection.refresh_from_db()
    assert objection.outcome == ObjectionOutcome.REPLACED
    assert objection.decided_by == cast.staff
    assert not stage2.team.filter(user=cast.lead).exists()
    assert objection_problems(stage2) == []


def test_removing_the_member_from_the_team_answers_the_objection(cast, stage2, second_member):
    objection = team_objection_raise(actor=cast.client, audit=stage2, member=second_member, reason=REASON)
    team_member_remove(actor=cast.staff, member=second_member)
    objection.refresh_from_db()
    assert objection.outcome == ObjectionOutcome.REPLACED
    assert objection_problems(stage2) == []


def test_keeping_the_member_needs_a_recorded_reason(cast, stage2, objection):
    with pytest.raises(DomainError, match="Record why the member stays"):
        team_objection_decide(actor=cast.staff, objection=objection, outcome="kept", reason="")
    team_objection_decide(
        actor=cast.staff, objection=objection, outcome="kept", reason="Different client; no conflict."
    )
    objection.refresh_from_db()
    assert objection.outcome == ObjectionOutcome.KEPT
    assert objection.decision_reason == "Different client; no conflict."
    assert stage2.team.filter(user=cast.lead).exists()
    assert objection_problems(stage2) == []


def test_it_refuses_to_decide_an_objection_twice(cast, objection):
    team_objection_decide(actor=cast.staff, objection=objection, outcome="kept", reason="No conflict.")
    with pytest.raises(ConflictError, match="already been decided"):
        team_objection_decide(actor=cast.staff, objection=objection, outcome="replaced")


def test_only_staff_decide_on_an_objection(cast, objection):
    for person in (cast.lead, cast.client):
        with pytest.raises(PermissionDenied):
            team_objection_decide(actor=person, objection=objection, outcome="kept", reason="Fine.")
    objection.refresh_from_db()
    assert objection.is_open


# -- Pages ----------------------------------------------------------------------------------------


def test_the_client_objects_from_the_audit_page(cast, stage2, login):
    client = login(cast.client)
    body = page_text(client.get(f"/audits/{stage2.pk}/"))
    assert f'href="/audits/{stage2.pk}/objections/new/"' in body
    response = client.post(
        f"/audits/{stage2.pk}/objections/new/", {"member": stage2.lead.pk, "reason": REASON}
    )
    assert response.status_code == 302
    objection = TeamObjection.objects.get(audit=stage2)
    assert (objection.user, objection.raised_by, objection.reason) == (cast.lead, cast.client, REASON)
    assert REASON in page_text(client.get(f"/audits/{stage2.pk}/"))


def test_the_objection_page_gives_the_reason_it_is_closed(cast, onsite_audit, login):
    response = login(cast.client).post(
        f"/audits/{onsite_audit.pk}/objections/new/", {"member": onsite_audit.lead.pk, "reason": REASON}
    )
    assert response.status_code == 200
    assert "only before the plan is confirmed" in page_text(response)
    assert not TeamObjection.objects.exists()


def test_staff_and_the_lead_see_the_objection_and_other_members_do_not(
    cast, stage2, objection, second_member, login
):
    assert REASON in page_text(login(cast.staff).get(f"/audits/{stage2.pk}/"))
    assert REASON in page_text(login(cast.lead).get(f"/audits/{stage2.pk}/"))
    body = page_text(login(cast.auditor).get(f"/audits/{stage2.pk}/"))
    assert "Objections to team members" not in body
    assert REASON not in body


def test_another_client_never_finds_the_objection_pages(cast, stage2, objection, login, api):
    other = login(cast.other)
    assert other.get(f"/audits/{stage2.pk}/objections/new/").status_code == 404
    assert other.get(f"/audits/{stage2.pk}/objections/{objection.pk}/decide/").status_code == 404
    assert api(cast.other).get(f"/api/v1/audits/{stage2.pk}/objections/").status_code == 404


def test_staff_record_why_the_member_stays_on_the_page(cast, stage2, objection, login):
    staff = login(cast.staff)
    url = f"/audits/{stage2.pk}/objections/{objection.pk}/decide/"
    assert url in page_text(staff.get(f"/audits/{stage2.pk}/"))
    response = staff.post(url, {"outcome": "kept", "reason": ""})
    assert response.status_code == 200
    assert "Record why the member stays on the team." in page_text(response)
    assert staff.post(url, {"outcome": "kept", "reason": "No conflict."}).status_code == 302
    objection.refresh_from_db()
    assert (objection.outcome, objection.decided_by) == (ObjectionOutcome.KEPT, cast.staff)


# -- API ------------------------------------------------------------------------------------------


def test_the_client_objects_over_the_api_and_staff_decide(cast, stage2, second_member, api):
    url = f"/api/v1/audits/{stage2.pk}/objections/"
    response = api(cast.client).post(url, {"member": stage2.lead.pk, "reason": REASON}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["user"] == cast.lead.pk
    assert response.json()["outcome"] == ""
    listed = api(cast.staff).get(url).json()
    assert [row["reason"] for row in listed] == [REASON]
    assert api(cast.lead).get(url).status_code == 200
    assert api(cast.auditor).get(url).status_code == 403
    decision = f"{url}{listed[0]['id']}/decision/"
    refused = api(cast.staff).post(decision, {"outcome": "kept"}, format="json")
    assert refused.status_code == 400
    assert api(cast.lead).post(decision, {"outcome": "kept", "reason": "x"}, format="json").status_code == 403
    done = api(cast.staff).post(decision, {"outcome": "replaced"}, format="json")
    assert done.status_code == 200
    assert done.json()["outcome"] == "replaced"
    assert not stage2.team.filter(user=cast.lead).exists()


def test_the_api_refuses_an_objection_after_confirmation_with_409(cast, onsite_audit, api):
    response = api(cast.client).post(
        f"/api/v1/audits/{onsite_audit.pk}/objections/",
        {"member": onsite_audit.lead.pk, "reason": REASON},
        format="json",
    )
    assert response.status_code == 409
    assert "only before the plan is confirmed" in response.json()["detail"]


def test_the_api_refuses_a_member_of_another_audit(cast, stage2, api):
    elsewhere = Audit.objects.create(organization=cast.org_b, audit_type=AuditType.SURVEILLANCE)
    elsewhere.standards.add(cast.standard)
    CompetenceFactory(user=cast.auditor, standard=cast.standard, role=TeamRole.AUDITOR)
    member = team_member_add(actor=SYSTEM, audit=elsewhere, user=cast.auditor, role=TeamRole.AUDITOR)
    response = api(cast.client).post(
        f"/api/v1/audits/{stage2.pk}/objections/", {"member": member.pk, "reason": REASON}, format="json"
    )
    assert response.status_code == 400
    assert "member" in response.json()
    assert not TeamObjection.objects.exists()


def test_the_plans_blockers_are_read_only_by_those_who_plan(cast, stage2, objection, second_member, api):
    url = f"/api/v1/audits/{stage2.pk}/plan/"
    blocker = f"Objection rule: the client objects to {cast.lead}"
    for planner in (cast.staff, cast.lead):
        assert any(problem.startswith(blocker) for problem in api(planner).get(url).json()["problems"])
    # The objection is not the other members' to read, nor the team's competences the client's.
    for reader in (cast.auditor, cast.client):
        response = api(reader).get(url)
        assert response.status_code == 200
        assert response.json()["problems"] == []
