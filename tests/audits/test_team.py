"""Team checks: competence on the audit dates, impartiality, one lead, and the grants that follow."""

import datetime

import pytest

from audits.models import Audit, AuditType, TeamRole
from audits.services import (
    team_member_add,
    team_member_remove,
)
from clients.models import ConsultancyDeclaration
from core.actors import SYSTEM
from core.errors import ConflictError, DomainError
from tests.conftest import fresh, page_text
from tests.factories import CompetenceFactory

TODAY = datetime.date(2026, 11, 27)
# The first day of the shared stage2 audit (tests/conftest.py).
MON = datetime.date(2027, 2, 1)


@pytest.fixture
def audit(cast):
    audit = Audit.objects.create(
        organization=cast.org_b,
        audit_type=AuditType.STAGE2,
        start_date=datetime.date(2027, 2, 1),
        end_date=datetime.date(2027, 2, 2),
    )
    audit.standards.add(cast.standard)
    CompetenceFactory(user=cast.lead, standard=cast.standard, role=TeamRole.LEAD_AUDITOR)
    CompetenceFactory(user=cast.auditor, standard=cast.standard, role=TeamRole.AUDITOR)
    return audit


def test_it_adds_a_competent_member_and_grants_the_audit(cast, audit):
    team_member_add(actor=SYSTEM, audit=audit, user=cast.lead, role=TeamRole.LEAD_AUDITOR, today=TODAY)
    lead = fresh(cast.lead)
    assert lead.has_perm("audits.view_audit", audit)
    assert lead.has_perm("clients.view_organization", cast.org_b)


def test_it_refuses_a_member_without_competence_naming_the_rule(cast, audit):
    with pytest.raises(
        DomainError, match="Competence rule: .* no valid lead auditor competence for ISO 18295-1"
    ):
        team_member_add(actor=SYSTEM, audit=audit, user=cast.auditor, role=TeamRole.LEAD_AUDITOR, today=TODAY)
    assert not audit.team.exists()
    assert not fresh(cast.auditor).has_perm("audits.view_audit", audit)


def test_it_refuses_a_competence_that_lapses_during_the_audit(cast, audit):
    cast.lead.competences.update(valid_to=datetime.date(2027, 2, 1))
    with pytest.raises(DomainError, match="Competence rule"):
        team_member_add(actor=SYSTEM, audit=audit, user=cast.lead, role=TeamRole.LEAD_AUDITOR, today=TODAY)


def test_it_lets_a_lead_auditor_serve_as_auditor(cast, audit):
    member = team_member_add(actor=SYSTEM, audit=audit, user=cast.lead, role=TeamRole.AUDITOR, today=TODAY)
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
            team_member_add(actor=SYSTEM, audit=audit, user=cast.auditor, role=TeamRole.AUDITOR, today=TODAY)
        assert not audit.team.exists()
    else:
        team_member_add(actor=SYSTEM, audit=audit, user=cast.auditor, role=TeamRole.AUDITOR, today=TODAY)
        assert audit.team.count() == 1


def test_it_ignores_declarations_about_other_clients(cast, audit):
    ConsultancyDeclaration.objects.create(
        organization=cast.org_a, provider="X", person=cast.auditor, until=datetime.date(2026, 1, 1)
    )
    team_member_add(actor=SYSTEM, audit=audit, user=cast.auditor, role=TeamRole.AUDITOR, today=TODAY)


def test_it_allows_one_lead_auditor(cast, audit):
    CompetenceFactory(user=cast.auditor, standard=cast.standard, role=TeamRole.LEAD_AUDITOR)
    team_member_add(actor=SYSTEM, audit=audit, user=cast.lead, role=TeamRole.LEAD_AUDITOR, today=TODAY)
    with pytest.raises(ConflictError, match="already has a lead auditor"):
        team_member_add(actor=SYSTEM, audit=audit, user=cast.auditor, role=TeamRole.LEAD_AUDITOR, today=TODAY)


def test_it_refuses_the_same_person_twice(cast, audit):
    team_member_add(actor=SYSTEM, audit=audit, user=cast.lead, role=TeamRole.LEAD_AUDITOR, today=TODAY)
    with pytest.raises(ConflictError, match="already on this audit's team"):
        team_member_add(actor=SYSTEM, audit=audit, user=cast.lead, role=TeamRole.AUDITOR, today=TODAY)


def test_it_refuses_client_users(cast, audit):
    CompetenceFactory(user=cast.other, standard=cast.standard, role=TeamRole.AUDITOR)
    with pytest.raises(DomainError, match="client's user"):
        team_member_add(actor=SYSTEM, audit=audit, user=cast.other, role=TeamRole.AUDITOR, today=TODAY)


def test_it_revokes_on_removal(cast, audit):
    member = team_member_add(actor=SYSTEM, audit=audit, user=cast.auditor, role=TeamRole.AUDITOR, today=TODAY)
    team_member_remove(actor=SYSTEM, member=member)
    auditor = fresh(cast.auditor)
    assert not auditor.has_perm("audits.view_audit", audit)
    assert not auditor.has_perm("clients.view_organization", cast.org_b)


def test_it_keeps_the_organization_while_on_another_of_its_audits(cast, audit):
    second = Audit.objects.create(organization=cast.org_b, audit_type=AuditType.SURVEILLANCE)
    second.standards.add(cast.standard)
    team_member_add(actor=SYSTEM, audit=second, user=cast.auditor, role=TeamRole.AUDITOR, today=TODAY)
    member = team_member_add(actor=SYSTEM, audit=audit, user=cast.auditor, role=TeamRole.AUDITOR, today=TODAY)
    team_member_remove(actor=SYSTEM, member=member)
    auditor = fresh(cast.auditor)
    assert not auditor.has_perm("audits.view_audit", audit)
    assert auditor.has_perm("audits.view_audit", second)
    assert auditor.has_perm("clients.view_organization", cast.org_b)


def test_it_gives_the_audit_dates_of_a_competence_refusal_as_people_write_them(cast, stage2, login):
    response = login(cast.staff).post(
        f"/audits/{stage2.pk}/team/", {"user": cast.auditor.pk, "role": TeamRole.AUDITOR}
    )
    assert response.status_code == 200
    body = page_text(response)
    assert (
        f"Competence rule: {cast.auditor} holds no valid auditor competence for ISO 18295-1:2017 "
        "on the audit dates (1 Feb 2027 to 3 Feb 2027)."
    ) in body
    assert "2027-02-01" not in body
    assert not stage2.team.filter(user=cast.auditor).exists()


def test_it_gives_the_date_of_an_impartiality_refusal_as_people_write_it(cast, stage2):
    CompetenceFactory(user=cast.auditor, standard=cast.standard, role=TeamRole.AUDITOR)
    ConsultancyDeclaration.objects.create(
        organization=cast.org_a, kind="employment", provider="Nordkontakt AB", person=cast.auditor,
        until=datetime.date(2026, 6, 30),
    )  # fmt: skip
    with pytest.raises(DomainError) as refusal:
        team_member_add(actor=SYSTEM, audit=stage2, user=cast.auditor, role=TeamRole.AUDITOR, today=MON)
    assert "until 30 Jun 2026, less than 2 years before the audit" in refusal.value.message
