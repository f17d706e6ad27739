"""Team checks: competence on the audit dates, impartiality, one lead, and the grants that follow."""

import datetime

import pytest

from audits.models import Audit, AuditType, CompetenceRole, TeamRole
from audits.services import team_member_add, team_member_remove
from clients.models import ConsultancyDeclaration
from core.errors import ConflictError, DomainError
from tests.factories import CompetenceFactory

TODAY = datetime.date(2026, 11, 27)


@pytest.fixture
def audit(cast):
    audit = Audit.objects.create(
        organization=cast.org_b,
        audit_type=AuditType.STAGE2,
        start_date=datetime.date(2027, 2, 1),
        end_date=datetime.date(2027, 2, 2),
    )
    audit.standards.add(cast.standard)
    CompetenceFactory(user=cast.lead, standard=cast.standard, role=CompetenceRole.LEAD_AUDITOR)
    CompetenceFactory(user=cast.auditor, standard=cast.standard, role=CompetenceRole.AUDITOR)
    return audit


def _fresh(user):
    return type(user).objects.get(pk=user.pk)


def test_it_adds_a_competent_member_and_grants_the_audit(cast, audit):
    team_member_add(audit=audit, user=cast.lead, role=TeamRole.LEAD_AUDITOR, today=TODAY)
    lead = _fresh(cast.lead)
    assert lead.has_perm("audits.view_audit", audit)
    assert lead.has_perm("clients.view_organization", cast.org_b)


def test_it_refuses_a_member_without_competence_naming_the_rule(cast, audit):
    with pytest.raises(
        DomainError, match="Competence rule: .* no valid lead auditor competence for ISO 18295-1"
    ):
        team_member_add(audit=audit, user=cast.auditor, role=TeamRole.LEAD_AUDITOR, today=TODAY)
    assert not audit.team.exists()
    assert not _fresh(cast.auditor).has_perm("audits.view_audit", audit)


def test_it_refuses_a_competence_that_lapses_during_the_audit(cast, audit):
    cast.lead.competences.update(valid_to=datetime.date(2027, 2, 1))
    with pytest.raises(DomainError, match="Competence rule"):
        team_member_add(audit=audit, user=cast.lead, role=TeamRole.LEAD_AUDITOR, today=TODAY)


def test_it_lets_a_lead_auditor_serve_as_auditor(cast, audit):
    member = team_member_add(audit=audit, user=cast.lead, role=TeamRole.AUDITOR, today=TODAY)
    assert member.role == TeamRole.AUDITOR


@pytest.mark.parametrize(
    ("until", "refused"),
    [
        (datetime.date(2025, 6, 30), True),
        (datetime.date(2025, 2, 1), True),
        (datetime.date(2025, 1, 31), False),
    ],
)
def test_it_applies_the_two_year_impartiality_rule(cast, audit, until, refused):
    ConsultancyDeclaration.objects.create(
        organization=cast.org_b,
        kind="employment",
        provider="Kundtjänst Norr AB",
        person=cast.auditor,
        until=until,
    )
    if refused:
        with pytest.raises(
            DomainError, match="Impartiality rule: .* employment with Kundtjänst Norr AB until"
        ):
            team_member_add(audit=audit, user=cast.auditor, role=TeamRole.AUDITOR, today=TODAY)
        assert not audit.team.exists()
    else:
        team_member_add(audit=audit, user=cast.auditor, role=TeamRole.AUDITOR, today=TODAY)
        assert audit.team.count() == 1


def test_it_ignores_declarations_about_other_clients(cast, audit):
    ConsultancyDeclaration.objects.create(
        organization=cast.org_a, provider="X", person=cast.auditor, until=datetime.date(2026, 1, 1)
    )
    team_member_add(audit=audit, user=cast.auditor, role=TeamRole.AUDITOR, today=TODAY)


def test_it_allows_one_lead_auditor(cast, audit):
    CompetenceFactory(user=cast.auditor, standard=cast.standard, role=CompetenceRole.LEAD_AUDITOR)
    team_member_add(audit=audit, user=cast.lead, role=TeamRole.LEAD_AUDITOR, today=TODAY)
    with pytest.raises(ConflictError, match="already has a lead auditor"):
        team_member_add(audit=audit, user=cast.auditor, role=TeamRole.LEAD_AUDITOR, today=TODAY)


def test_it_refuses_the_same_person_twice(cast, audit):
    team_member_add(audit=audit, user=cast.lead, role=TeamRole.LEAD_AUDITOR, today=TODAY)
    with pytest.raises(ConflictError, match="already on this audit's team"):
        team_member_add(audit=audit, user=cast.lead, role=TeamRole.AUDITOR, today=TODAY)


def test_it_refuses_client_users(cast, audit):
    CompetenceFactory(user=cast.other, standard=cast.standard, role=CompetenceRole.AUDITOR)
    with pytest.raises(DomainError, match="client's user"):
        team_member_add(audit=audit, user=cast.other, role=TeamRole.AUDITOR, today=TODAY)


def test_it_revokes_on_removal(cast, audit):
    member = team_member_add(audit=audit, user=cast.auditor, role=TeamRole.AUDITOR, today=TODAY)
    team_member_remove(member=member)
    auditor = _fresh(cast.auditor)
    assert not auditor.has_perm("audits.view_audit", audit)
    assert not auditor.has_perm("clients.view_organization", cast.org_b)


def test_it_keeps_the_organization_while_on_another_of_its_audits(cast, audit):
    second = Audit.objects.create(organization=cast.org_b, audit_type=AuditType.SURVEILLANCE)
    second.standards.add(cast.standard)
    team_member_add(audit=second, user=cast.auditor, role=TeamRole.AUDITOR, today=TODAY)
    member = team_member_add(audit=audit, user=cast.auditor, role=TeamRole.AUDITOR, today=TODAY)
    team_member_remove(member=member)
    auditor = _fresh(cast.auditor)
    assert not auditor.has_perm("audits.view_audit", audit)
    assert auditor.has_perm("audits.view_audit", second)
    assert auditor.has_perm("clients.view_organization", cast.org_b)
