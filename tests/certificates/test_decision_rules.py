"""The rules of the certification decision (ISO/IEC 17021-1 9.5): what blocks a grant, who may not
decide, which sites a certificate may carry; the review page and the API's refusal."""

import datetime

import pytest
from django.utils import timezone

from audits.models import Audit, AuditStatus, AuditType, TeamMember
from certificates.models import Certificate, Decision
from certificates.services import decision_blockers, decision_record
from clients.models import ConsultancyDeclaration, ConsultancyKind, Site
from core.errors import ConflictError, DomainError
from findings.models import Finding, Grade, Nonconformity, NonconformityStatus
from standards.models import CertificationScheme
from tests.conftest import page_text
from tests.factories import SiteFactory, ready_to_certify


def _grant(audit, user, **kwargs):
    return decision_record(audit=audit, user=user, outcome="grant", rationale="Requirements met.", **kwargs)


def _accept_minors():
    Nonconformity.objects.filter(grade=Grade.MINOR).update(status=NonconformityStatus.ACCEPTED)


def _audited_everywhere(audit):
    """A conforming finding at each sampled site, the minor left as it is."""
    for site in audit.sites.exclude(findings__audit=audit):
        Finding.objects.create(
            audit=audit,
            clause=audit.clause_42,
            site=site,
            grade=Grade.CONFORMING,
            recorded_by=audit.closed_by,
            updated_by=audit.closed_by,
        )


# -- Minors -------------------------------------------------------------------------------------


def test_it_refuses_a_grant_while_a_minor_awaits_the_clients_answer(cast, closed_audit):
    _audited_everywhere(closed_audit)
    with pytest.raises(ConflictError, match="Minor nonconformities have no accepted") as refused:
        _grant(closed_audit, cast.staff)
    number = Nonconformity.objects.get().number
    assert refused.value.reasons == [
        "Minor nonconformities have no accepted correction and corrective-action plan yet: "
        f"{number}. (ISO/IEC 17021-1 9.5.3)"
    ]
    assert not Decision.objects.exists()


def test_it_refuses_a_grant_while_a_minors_answer_awaits_review(cast, closed_audit):
    _audited_everywhere(closed_audit)
    Nonconformity.objects.update(status=NonconformityStatus.AWAITING_REVIEW)
    with pytest.raises(ConflictError, match="Minor nonconformities"):
        _grant(closed_audit, cast.staff)
    Nonconformity.objects.update(status=NonconformityStatus.ACCEPTED)
    assert _grant(closed_audit, cast.staff).outcome == "grant"


def test_it_lets_a_refusal_through_while_a_minor_is_open(cast, closed_audit):
    decision = decision_record(audit=closed_audit, user=cast.staff, outcome="refuse", rationale="Not ready.")
    assert decision.outcome == "refuse"
    assert not Certificate.objects.exists()


# -- Majors -------------------------------------------------------------------------------------


def test_it_refuses_a_grant_while_a_major_is_not_verified_closed(cast, closed_audit):
    ready_to_certify(closed_audit)
    Nonconformity.objects.update(grade=Grade.MAJOR, status=NonconformityStatus.ACCEPTED)
    with pytest.raises(DomainError, match="Major nonconformities are not closed") as refused:
        _grant(closed_audit, cast.staff)
    assert "(ISO/IEC 17021-1 9.5.3)" in refused.value.reasons[0]


def _stage2_ended(audit, days_ago):
    end = timezone.localdate() - datetime.timedelta(days=days_ago)
    Audit.objects.filter(pk=audit.pk).update(start_date=end - datetime.timedelta(days=2), end_date=end)
    audit.refresh_from_db()


def test_it_asks_for_a_new_stage_2_when_a_major_was_verified_after_six_months(cast, closed_audit):
    ready_to_certify(closed_audit)
    _stage2_ended(closed_audit, days_ago=200)  # six months after it ended was about three weeks ago
    Nonconformity.objects.update(
        grade=Grade.MAJOR, status=NonconformityStatus.CLOSED, closed_at=timezone.now()
    )
    number = Nonconformity.objects.get().number
    with pytest.raises(ConflictError, match="Stage 2 must be repeated") as refused:
        _grant(closed_audit, cast.staff)
    (reason,) = refused.value.reasons
    assert number in reason
    assert reason.endswith("(ISO/IEC 17021-1 9.5.3.2)")
    assert not Certificate.objects.exists()


def test_it_grants_when_the_major_was_verified_within_the_schemes_months(cast, closed_audit):
    ready_to_certify(closed_audit)
    _stage2_ended(closed_audit, days_ago=200)
    Nonconformity.objects.update(
        grade=Grade.MAJOR,
        status=NonconformityStatus.CLOSED,
        closed_at=timezone.now() - datetime.timedelta(days=100),
    )
    assert _grant(closed_audit, cast.staff).outcome == "grant"


def test_it_reads_the_months_from_the_scheme(cast, closed_audit):
    ready_to_certify(closed_audit)
    _stage2_ended(closed_audit, days_ago=200)
    Nonconformity.objects.update(
        grade=Grade.MAJOR, status=NonconformityStatus.CLOSED, closed_at=timezone.now()
    )
    CertificationScheme.objects.filter(standard=cast.standard).update(initial_major_nc_max_months=12)
    assert _grant(closed_audit, cast.staff).outcome == "grant"


def test_it_says_on_the_programme_page_that_stage_2_must_be_repeated(cast, closed_audit, login):
    _stage2_ended(closed_audit, days_ago=200)
    Nonconformity.objects.update(grade=Grade.MAJOR)  # still open, and past the six months
    number = Nonconformity.objects.get().number
    body = page_text(login(cast.staff).get(f"/programmes/{closed_audit.programme_id}/"))
    assert "Stage 2 must be repeated" in body
    assert number in body
    problems = [str(b) for b in decision_blockers(audit=closed_audit, user=cast.staff, outcome="grant")]
    assert any("Stage 2 must be repeated" in problem for problem in problems)


def test_the_programme_page_says_nothing_while_within_the_months(cast, closed_audit, login):
    Nonconformity.objects.update(grade=Grade.MAJOR)
    body = page_text(login(cast.staff).get(f"/programmes/{closed_audit.programme_id}/"))
    assert "Stage 2 must be repeated" not in body


# -- The sample ---------------------------------------------------------------------------------


def test_it_refuses_a_grant_when_a_sampled_site_was_not_audited(cast, closed_audit):
    _accept_minors()
    assert set(closed_audit.sites.values_list("name", flat=True)) == {"Stockholm", "Göteborg", "Malmö"}
    with pytest.raises(ConflictError, match="Sites of the sample were not audited") as refused:
        _grant(closed_audit, cast.staff)
    (reason,) = refused.value.reasons
    assert "Göteborg, Malmö" in reason
    assert reason.endswith("(IAF MD 1)")
    assert not Certificate.objects.exists()


def test_it_lists_every_blocker_at_once(cast, closed_audit):
    with pytest.raises(ConflictError) as refused:
        _grant(closed_audit, cast.staff)
    assert len(refused.value.reasons) == 2
    assert "Minor" in refused.value.reasons[0]
    assert "Malmö" in refused.value.reasons[1]


# -- The sites on the certificate ---------------------------------------------------------------


def test_it_certifies_only_the_sites_chosen(cast, closed_audit):
    ready_to_certify(closed_audit)
    stockholm, goteborg = (cast.org_a.sites.get(name=name) for name in ("Stockholm", "Göteborg"))
    _grant(closed_audit, cast.staff, site_scopes=[(stockholm, "Inbound"), (goteborg, "Outbound")])
    certificate = Certificate.objects.get()
    assert [(site.name, site.scope) for site in certificate.sites.all()] == [
        ("Stockholm", "Inbound"),
        ("Göteborg", "Outbound"),
    ]


def test_it_refuses_to_certify_a_site_the_sample_does_not_cover(cast, closed_audit):
    ready_to_certify(closed_audit)
    # Opened after the audit: neither audited nor in the population the sample was drawn from.
    uppsala = SiteFactory(organization=cast.org_a, name="Uppsala", city="Uppsala")
    with pytest.raises(DomainError, match="not certifiable: Uppsala") as refused:
        _grant(closed_audit, cast.staff, site_scopes=[(uppsala, "")])
    assert refused.value.field == "sites"
    assert not Decision.objects.exists()
    _grant(closed_audit, cast.staff)
    names = list(Certificate.objects.get().sites.values_list("name", flat=True))
    assert names == ["Stockholm", "Göteborg", "Malmö"]


def test_it_certifies_the_sites_a_valid_sample_covers(cast, closed_audit):
    """Five sites besides the central function: an initial sample of three covers the other two."""
    ready_to_certify(closed_audit)
    for name in ("Kiruna", "Umeå", "Örebro"):
        SiteFactory(organization=cast.org_a, name=name, city=name)
    # All six were the client's when the audit closed, so all are the sample's population.
    closed_at = timezone.now()
    Site.objects.filter(organization=cast.org_a).update(created_at=closed_at - datetime.timedelta(days=30))
    Audit.objects.filter(pk=closed_audit.pk).update(closed_at=closed_at)
    kiruna = cast.org_a.sites.get(name="Kiruna")
    Finding.objects.create(
        audit=closed_audit,
        clause=closed_audit.clause_42,
        site=kiruna,
        grade=Grade.CONFORMING,
        recorded_by=cast.lead,
        updated_by=cast.lead,
    )
    closed_audit.refresh_from_db()
    _grant(closed_audit, cast.staff)
    names = set(Certificate.objects.get().sites.values_list("name", flat=True))
    assert names == {"Stockholm", "Göteborg", "Malmö", "Kiruna", "Umeå", "Örebro"}


# -- The decider --------------------------------------------------------------------------------


def test_it_refuses_a_decider_who_consulted_for_the_client_within_two_years(cast, closed_audit):
    ready_to_certify(closed_audit)
    ConsultancyDeclaration.objects.create(
        organization=cast.org_a,
        provider="Kvalitetshuset",
        person=cast.staff,
        kind=ConsultancyKind.CONSULTANCY,
        until=timezone.localdate() - datetime.timedelta(days=400),
    )
    with pytest.raises(DomainError, match="You declared management-system consultancy") as refused:
        _grant(closed_audit, cast.staff)
    assert refused.value.reasons[0].endswith("(ISO/IEC 17021-1 5.2)")


def test_it_refuses_a_decider_who_consulted_for_a_body_related_to_the_client(cast, closed_audit):
    ready_to_certify(closed_audit)
    ConsultancyDeclaration.objects.create(
        organization=cast.org_a,
        provider="Kvalitetshuset",
        person=cast.staff,
        client_related_body="Nordkontakt Holding AB",
        until=timezone.localdate() - datetime.timedelta(days=200),
    )
    with pytest.raises(DomainError) as refused:
        _grant(closed_audit, cast.staff)
    assert refused.value.reasons[0].startswith(
        "You declared management-system consultancy with Nordkontakt Holding AB, a body related to "
        "Nordkontakt AB (Kvalitetshuset) until"
    )


def test_it_lets_a_decider_whose_consultancy_ended_over_two_years_ago(cast, closed_audit):
    ready_to_certify(closed_audit)
    ConsultancyDeclaration.objects.create(
        organization=cast.org_a,
        provider="Kvalitetshuset",
        person=cast.staff,
        until=timezone.localdate() - datetime.timedelta(days=3 * 365),
    )
    assert _grant(closed_audit, cast.staff).outcome == "grant"


def test_it_refuses_a_grant_within_two_years_of_consultancy_by_a_related_body(cast, closed_audit):
    ready_to_certify(closed_audit)
    ConsultancyDeclaration.objects.create(
        organization=cast.org_a,
        provider="Certdesk Advisory AB",
        related_to_certification_body=True,
        until=timezone.localdate() - datetime.timedelta(days=30),
    )
    with pytest.raises(ConflictError, match="Certdesk Advisory AB, a body related"):
        _grant(closed_audit, cast.staff)


def test_it_refuses_a_renewal_by_someone_on_the_recertification_audit(cast, certificate):
    recertification = certificate.programme.audits.get(audit_type=AuditType.RECERTIFICATION)
    Audit.objects.filter(pk=recertification.pk).update(status=AuditStatus.CLOSED, closed_at=timezone.now())
    TeamMember.objects.create(audit=recertification, user=cast.staff, role="auditor")
    with pytest.raises(DomainError, match="You were on the team"):
        decision_record(audit=recertification, user=cast.staff, outcome="renew", rationale="Recertified.")


# -- The review page ----------------------------------------------------------------------------


def test_the_review_page_lists_the_blockers_and_closes_the_grant(cast, closed_audit, login):
    response = login(cast.staff).get(f"/audits/{closed_audit.pk}/decision/")
    assert response.status_code == 200
    body = page_text(response)
    assert "Certification cannot be granted yet" in body
    assert "Sites of the sample were not audited: Göteborg, Malmö" in body
    assert "IAF MD 1" in body
    assert "ISO/IEC 17021-1 9.5.3" in body
    assert "disabled" in body.split('value="grant"')[1].split(">")[0]
    assert "disabled" not in body.split('value="refuse"')[1].split(">")[0]
    assert "Not audited" in body
    number = Nonconformity.objects.get().number
    assert number in body
    assert "Awaiting the client" in body
    # The audits it rests on, with the team's recommendation and the clauses.
    assert "Stage 1" in body
    assert "Certify" in body
    assert "4.1 General" in body


def test_the_review_page_refuses_a_posted_grant_while_a_blocker_stands(cast, closed_audit, login):
    response = login(cast.staff).post(
        f"/audits/{closed_audit.pk}/decision/", {"outcome": "grant", "rationale": "Met."}
    )
    assert response.status_code == 400
    assert "Sites of the sample were not audited" in page_text(response)
    assert not Decision.objects.exists()


def test_the_review_page_opens_the_grant_when_nothing_blocks(cast, closed_audit, login):
    ready_to_certify(closed_audit)
    body = page_text(login(cast.staff).get(f"/audits/{closed_audit.pk}/decision/"))
    assert "Certification cannot be granted yet" not in body
    assert "disabled" not in body.split('value="grant"')[1].split(">")[0]


def test_the_review_page_grants_the_sites_ticked(cast, closed_audit, login):
    ready_to_certify(closed_audit)
    stockholm, malmo = (cast.org_a.sites.get(name=name) for name in ("Stockholm", "Malmö"))
    response = login(cast.staff).post(
        f"/audits/{closed_audit.pk}/decision/",
        {
            "outcome": "grant",
            "rationale": "Met.",
            "scope": "Inbound customer service by telephone.",
            "choose_sites": "True",
            f"site_{stockholm.pk}": "on",
            f"site_{malmo.pk}": "on",
        },
    )
    assert response.status_code == 302
    certificate = Certificate.objects.get()
    assert certificate.scope == "Inbound customer service by telephone."
    assert list(certificate.sites.values_list("name", flat=True)) == ["Stockholm", "Malmö"]


def test_the_review_page_refuses_a_site_not_covered(cast, closed_audit, login):
    ready_to_certify(closed_audit)
    uppsala = SiteFactory(organization=cast.org_a, name="Uppsala", city="Uppsala")
    response = login(cast.staff).post(
        f"/audits/{closed_audit.pk}/decision/",
        {"outcome": "grant", "rationale": "Met.", "choose_sites": "True", f"site_{uppsala.pk}": "on"},
    )
    assert response.status_code == 400
    assert "not certifiable: Uppsala" in page_text(response)
    assert not Decision.objects.exists()


# -- The API ------------------------------------------------------------------------------------


def test_the_api_refuses_a_blocked_grant_with_409_and_the_reasons(cast, closed_audit, api):
    response = api(cast.staff).post(
        f"/api/v1/audits/{closed_audit.pk}/decision/",
        {"outcome": "grant", "rationale": "Met."},
        format="json",
    )
    assert response.status_code == 409
    reasons = response.json()["reasons"]
    assert isinstance(reasons, list)
    assert len(reasons) == 2
    assert reasons[0].startswith("Minor nonconformities")
    assert reasons[1].endswith("(IAF MD 1)")
    assert not Decision.objects.exists()


def test_the_api_grants_the_sites_and_scope_chosen(cast, closed_audit, api):
    ready_to_certify(closed_audit)
    goteborg = cast.org_a.sites.get(name="Göteborg")
    response = api(cast.staff).post(
        f"/api/v1/audits/{closed_audit.pk}/decision/",
        {
            "outcome": "grant",
            "rationale": "Met.",
            "scope": "Outbound calls.",
            "sites": [{"site": goteborg.pk, "scope": "Outbound calls"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    certificate = response.json()["certificate"]
    assert certificate["scope"] == "Outbound calls."
    assert [(site["name"], site["scope"]) for site in certificate["sites"]] == [
        ("Göteborg", "Outbound calls")
    ]


def test_the_api_refuses_a_site_the_audit_does_not_cover(cast, closed_audit, api):
    ready_to_certify(closed_audit)
    uppsala = SiteFactory(organization=cast.org_a, name="Uppsala", city="Uppsala")
    response = api(cast.staff).post(
        f"/api/v1/audits/{closed_audit.pk}/decision/",
        {"outcome": "grant", "rationale": "Met.", "sites": [{"site": uppsala.pk}]},
        format="json",
    )
    assert response.status_code == 400
    assert "not certifiable: Uppsala" in response.json()["sites"][0]
    assert not Decision.objects.exists()
