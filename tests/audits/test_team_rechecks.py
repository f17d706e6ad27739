"""The team's competence and impartiality, checked again whenever the audit changes: a blocker of
the plan (audits.team_rules.team_problems), not only a refusal when a member is added."""

import datetime

import pytest

from audits.models import Audit, AuditStatus, TeamRole
from audits.services import audit_update, plan_confirm, plan_problems, team_member_add, team_member_remove
from clients.models import ConsultancyDeclaration
from core.actors import SYSTEM
from core.errors import DomainError
from tests.conftest import page_text
from tests.factories import CompetenceFactory


def rule_problems(audit, rule: str) -> list[str]:
    return [problem for problem in plan_problems(audit) if problem.startswith(rule)]


def test_it_passes_a_team_whose_competences_cover_every_audit_day(stage2):
    assert rule_problems(stage2, "Competence rule") == []
    assert rule_problems(stage2, "Impartiality rule") == []


def test_it_blocks_the_plan_when_a_competence_ends_before_the_audits_last_day(cast, stage2):
    # Valid when the lead was added; it now lapses on the second of three days.
    cast.lead.competences.update(valid_to=datetime.date(2027, 2, 2))
    assert rule_problems(stage2, "Competence rule") == [
        f"Competence rule: {cast.lead} holds no valid lead auditor competence for ISO 18295-1:2017 "
        "on the audit dates (1 Feb 2027 to 3 Feb 2027)."
    ]
    with pytest.raises(DomainError, match="Competence rule"):
        plan_confirm(actor=SYSTEM, audit=stage2)
    stage2.refresh_from_db()
    assert stage2.status == AuditStatus.PLANNED


def test_it_blocks_the_plan_when_the_audit_moves_past_a_members_competence(cast, stage2):
    cast.lead.competences.update(valid_to=datetime.date(2027, 2, 28))
    audit_update(
        actor=SYSTEM, audit=stage2, start_date=datetime.date(2027, 3, 1), end_date=datetime.date(2027, 3, 2)
    )
    assert len(rule_problems(stage2, "Competence rule")) == 1


def test_it_blocks_a_member_whose_consultancy_is_declared_after_joining(cast, stage2):
    ConsultancyDeclaration.objects.create(
        organization=cast.org_a, kind="consultancy", provider="Kvalitetsbyrån AB", person=cast.lead,
        until=datetime.date(2025, 6, 30),
    )  # fmt: skip
    assert rule_problems(stage2, "Impartiality rule") == [
        f"Impartiality rule: {cast.lead} declared management-system consultancy with Nordkontakt AB until "
        "30 Jun 2025, less than 2 years before the audit."
    ]
    with pytest.raises(DomainError, match="Impartiality rule"):
        plan_confirm(actor=SYSTEM, audit=stage2)


def test_it_blocks_a_member_who_consulted_for_a_body_related_to_the_client(cast, stage2):
    ConsultancyDeclaration.objects.create(
        organization=cast.org_a, kind="employment", provider="Nordkontakt Holding AB", person=cast.lead,
        client_related_body="Nordkontakt Holding AB", until=datetime.date(2026, 1, 31),
    )  # fmt: skip
    assert rule_problems(stage2, "Impartiality rule") == [
        f"Impartiality rule: {cast.lead} declared employment with Nordkontakt Holding AB, a body related "
        "to Nordkontakt AB until 31 Jan 2026, less than 2 years before the audit."
    ]


def test_it_lets_a_consultancy_two_years_before_the_audit_pass(cast, stage2):
    ConsultancyDeclaration.objects.create(
        organization=cast.org_a,
        provider="Kvalitetsbyrån AB",
        person=cast.lead,
        until=datetime.date(2025, 1, 31),
    )
    assert rule_problems(stage2, "Impartiality rule") == []


def test_it_makes_a_confirmed_plan_a_draft_when_the_audit_dates_move(onsite_audit):
    audit_update(
        actor=SYSTEM, audit=onsite_audit, end_date=onsite_audit.end_date + datetime.timedelta(days=1)
    )
    onsite_audit.refresh_from_db()
    assert onsite_audit.status == AuditStatus.PLANNED
    assert onsite_audit.confirmed_at is None


def test_it_makes_a_confirmed_plan_a_draft_when_the_team_changes(cast, onsite_audit):
    CompetenceFactory(user=cast.auditor, standard=cast.standard, role=TeamRole.AUDITOR)

    member = team_member_add(actor=SYSTEM, audit=onsite_audit, user=cast.auditor, role=TeamRole.AUDITOR)
    onsite_audit.refresh_from_db()
    assert (onsite_audit.status, onsite_audit.confirmed_at) == (AuditStatus.PLANNED, None)

    Audit.objects.filter(pk=onsite_audit.pk).update(status=AuditStatus.CONFIRMED)  # confirmed anew
    team_member_remove(actor=SYSTEM, member=member)
    onsite_audit.refresh_from_db()
    assert onsite_audit.status == AuditStatus.PLANNED


def test_it_keeps_a_confirmed_plan_when_only_other_fields_change(onsite_audit):
    audit_update(actor=SYSTEM, audit=onsite_audit, scope="Inbound calls.", end_date=onsite_audit.end_date)
    onsite_audit.refresh_from_db()
    assert onsite_audit.status == AuditStatus.CONFIRMED


def test_it_makes_the_plan_a_draft_when_staff_move_the_dates_on_the_page(cast, onsite_audit, login):
    # The page's model form sets the new dates on the audit before the service sees it.
    response = login(cast.staff).post(
        f"/audits/{onsite_audit.pk}/edit/",
        {
            "mode": "on_site",
            "language": "Swedish",
            "start_date": onsite_audit.start_date.isoformat(),
            "end_date": (onsite_audit.end_date + datetime.timedelta(days=1)).isoformat(),
            "sites": [site.pk for site in onsite_audit.sites.all()],
        },
    )
    assert response.status_code == 302
    onsite_audit.refresh_from_db()
    assert onsite_audit.status == AuditStatus.PLANNED


def test_it_shows_the_team_blocker_on_the_audit_page_and_in_the_api(cast, stage2, login, api):
    cast.lead.competences.update(valid_to=datetime.date(2027, 2, 2))
    body = page_text(login(cast.staff).get(f"/audits/{stage2.pk}/"))
    assert "Before the plan can be confirmed" in body
    assert "Competence rule: " in body
    problems = api(cast.lead).get(f"/api/v1/audits/{stage2.pk}/plan/").json()["problems"]
    assert any(problem.startswith("Competence rule") for problem in problems)
