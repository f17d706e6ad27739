"""The benchmark dataset (bench/dataset.py, issue 9): QUICK built in the test database, seen by the app."""

import pytest
from django.db import transaction
from django.db.models import F
from rest_framework.test import APIClient

from audits.models import Audit, AuditStatus
from audits.selectors import audits_for_user
from bench import dataset
from certificates.models import Certificate, Decision
from findings.models import Evidence, Finding, Grade
from standards.models import Clause

QUICK = dataset.QUICK


@pytest.fixture
def world(db):
    return dataset.build(QUICK)


def _user(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def _token_client(world, username):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {world.tokens[username]}")
    return client


def test_it_builds_the_sizes_asked_for(world):
    clauses_per_standard = QUICK.clauses_per_standard + QUICK.clauses_per_standard // 10  # with headings
    expected = {
        "clients.Organization": QUICK.organizations,
        "clients.Site": QUICK.organizations * QUICK.sites_per_organization,
        "standards.Standard": 2,
        "standards.CertificationScheme": 2,
        "standards.Clause": 2 * clauses_per_standard,
        "audits.CertificationProgramme": QUICK.organizations,
        "audits.Audit": QUICK.audits,
        "audits.AuditStandard": QUICK.audits,
        "certificates.Decision": QUICK.organizations,
        "audits.TeamMember": QUICK.lead_audits + 1,
        "audits.AuditUserObjectPermission": 2 * (QUICK.lead_audits + 1),
        "audits.AuditDay": 3,
        "certificates.Certificate": QUICK.certificates,
        "certificates.CertificateStandard": QUICK.certificates,
        "certificates.CertificateSite": QUICK.certificates,
        "findings.Finding": QUICK.big_audit_findings,
        "findings.Evidence": QUICK.big_audit_findings,
        "findings.FindingChange": 2 * QUICK.big_audit_findings,
        "accounts.User": 3,
        "authtoken.Token": 3,
    }
    assert {label: world.counts[label] for label in expected} == expected
    assert world.counts == dataset.counts()


def test_it_builds_the_big_audit_as_described(world):
    audit = Audit.objects.get(pk=world.big_audit)
    assert audit.status == AuditStatus.IN_PROGRESS
    assert audit.organization_id == world.client_organization
    assert audit.sites.count() == 3
    assert audit.team.get().user.username == world.lead
    assert audit.time_calculation["audit_days"] > 0
    findings = Finding.objects.filter(audit=audit)
    assert findings.values("clause", "site").distinct().count() == QUICK.big_audit_findings
    assert findings.filter(grade=Grade.CONFORMING).count() > QUICK.big_audit_findings // 2
    assert findings.filter(grade__in=[Grade.MINOR, Grade.MAJOR]).exists()
    assert Evidence.objects.filter(audit=audit, finding__in=findings).count() == QUICK.big_audit_findings
    assert Clause.objects.get(pk=world.big_clause).standard.code == "BENCH-A:2026"
    assert audit.sites.filter(pk=world.big_site).exists()


def test_it_gives_every_certificate_a_decision_on_a_closed_stage_2(world):
    assert not Decision.objects.exclude(audit__audit_type="stage2", audit__status=AuditStatus.CLOSED).exists()
    assert Certificate.objects.filter(confidential=True).count() == 0
    assert Certificate.objects.filter(status="active").count() > QUICK.certificates * 3 // 4
    assert not Certificate.objects.exclude(decision__audit__organization=F("organization")).exists()
    assert not Certificate.objects.exclude(programme__organization=F("organization")).exists()
    assert not Certificate.objects.filter(expiry_date__lte=F("issue_date")).exists()


def test_it_scopes_the_lead_to_exactly_their_audits(world):
    lead = _user(world.lead)
    assert audits_for_user(lead).count() == QUICK.lead_audits + 1
    response = _token_client(world, world.lead).get("/api/v1/audits/")
    assert response.status_code == 200
    assert response.json()["count"] == QUICK.lead_audits + 1


def test_it_shows_the_certificate_to_the_public(world, client):
    response = client.get(f"/verify/{world.certificate_number}/")
    assert response.status_code == 200
    assert world.certificate_number in response.content.decode()
    assert Certificate.objects.get(number=world.certificate_number).status == "active"


def test_it_shows_the_client_only_their_organisation(world):
    response = _token_client(world, world.client).get("/api/v1/organizations/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [world.client_organization]


def test_it_opens_the_checklist_for_the_lead(world, client):
    assert client.login(username=world.lead, password=dataset.PASSWORD)
    response = client.get(f"/audits/{world.big_audit}/checklist/")
    assert response.status_code == 200


def test_it_opens_the_bulk_audits_for_staff(world, client):
    assert client.login(username=world.staff, password=dataset.PASSWORD)
    for status in (AuditStatus.CLOSED, AuditStatus.PLANNED, AuditStatus.IN_PROGRESS):
        audit = Audit.objects.filter(status=status).exclude(pk=world.big_audit).order_by("id").first()
        assert client.get(f"/audits/{audit.pk}/").status_code == 200, status


def test_it_describes_an_existing_database_as_built(world):
    assert dataset.describe() == world


def test_it_refuses_to_build_twice(world):
    with pytest.raises(RuntimeError):
        dataset.build(QUICK)


def _fingerprint():
    return (
        list(
            Certificate.objects.order_by("number").values_list(
                "number", "status", "issue_date", "entity_name"
            )
        ),
        list(
            Audit.objects.order_by("organization__org_number", "audit_type", "sequence").values_list(
                "audit_type", "sequence", "status", "start_date", "due_date", "planned_days"
            )
        ),
        list(Finding.objects.order_by("clause__number", "site__name").values_list("grade", "statement")),
    )


class _Undo(Exception):
    pass


def test_it_is_deterministic(db):
    prints = []
    for _ in range(2):
        with pytest.raises(_Undo), transaction.atomic():
            dataset.build(QUICK)
            prints.append(_fingerprint())
            raise _Undo
    assert prints[0] == prints[1]
    with pytest.raises(_Undo), transaction.atomic():
        dataset.build(QUICK, seed=1)
        assert _fingerprint() != prints[0]
        raise _Undo
