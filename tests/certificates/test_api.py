"""Decisions and certificates over the API: who may do what, every refusal, the payload, queries."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from accounts.roles import STAFF, role_group
from audits.models import Audit, AuditStatus, AuditType
from audits.services import programme_create
from certificates.api import revision_pdf_url
from certificates.documents import CERTIFICATE_TEMPLATE_VERSION
from certificates.models import (
    Certificate,
    CertificateEvent,
    CertificateEventKind,
    CertificateRevision,
    CertificateSite,
    CertificateStatus,
    Decision,
    DecisionOutcome,
)
from certificates.services import certificate_suspend, certificate_withdraw
from core.actors import SYSTEM
from findings.models import Nonconformity
from tests.conftest import CAST_NAMES
from tests.factories import ready_to_certify

LIST = "/api/v1/certificates/"


def _decision_url(audit):
    return f"/api/v1/audits/{audit.pk}/decision/"


def _url(certificate, step=""):
    return f"{LIST}{certificate.pk}/{step + '/' if step else ''}"


def _decide(api, user, audit, **body):
    ready_to_certify(audit)  # its sampled sites with findings and its minors with accepted plans
    return api(user).post(
        _decision_url(audit), {"outcome": "grant", "rationale": "Requirements met.", **body}, format="json"
    )


def _certificate_of(organization, cast, number):
    """A certificate of the organisation with one site, revision and event, written straight to the tables."""
    programme = organization.programmes.first() or programme_create(
        actor=SYSTEM, organization=organization, standards=[cast.standard]
    )
    today = timezone.localdate()
    # An audit of its own: an audit has one decision.
    audit = Audit.objects.create(organization=organization, audit_type=AuditType.STAGE2, programme=programme)
    decision = Decision.objects.create(
        audit=audit,
        outcome=DecisionOutcome.GRANT,
        rationale="Requirements met.",
        decided_on=today,
        decided_by=cast.staff,
    )
    certificate = Certificate.objects.create(
        number=number,
        programme=programme,
        organization=organization,
        entity_name=organization.legal_name,
        entity_address="Storgatan 1",
        scope="Customer contact centre services.",
        original_issue_date=today,
        issue_date=today,
        expiry_date=today + datetime.timedelta(days=1000),
        decision=decision,
    )
    certificate.standards.set([cast.standard])
    site = organization.sites.first()
    CertificateSite.objects.create(
        certificate=certificate, site=site, name=site.name, city=site.city, country="SE"
    )
    CertificateRevision.objects.create(
        certificate=certificate, revision=1, issue_date=today, reason="First issue"
    )
    CertificateEvent.objects.create(
        certificate=certificate, kind=CertificateEventKind.ISSUED, by=cast.staff, revision=1
    )
    return certificate


# --- the decision ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [("anonymous", 401), ("staff", 201), ("lead", 403), ("auditor", 404), ("client", 403), ("other", 404)],
)
def test_it_lets_only_staff_decide(name, expected, cast, closed_audit, api):
    response = _decide(api, cast.user(name), closed_audit)
    assert response.status_code == expected, response.content
    assert Decision.objects.filter(audit=closed_audit).exists() is (expected == 201)
    assert Certificate.objects.exists() is (expected == 201)


def test_it_answers_a_grant_with_the_decision_and_the_certificate(cast, closed_audit, api):
    response = _decide(api, cast.staff, closed_audit)
    assert response.status_code == 201
    body = response.json()
    decision = Decision.objects.get(audit=closed_audit)
    certificate = Certificate.objects.get()
    today = timezone.localdate().isoformat()
    assert body["decision"] == {
        "id": decision.pk,
        "audit": closed_audit.pk,
        "outcome": "grant",
        "rationale": "Requirements met.",
        "decided_on": today,
        "decided_by": str(cast.staff),
        "created_at": body["decision"]["created_at"],
    }
    assert body["certificate"]["id"] == certificate.pk
    assert body["certificate"]["number"] == certificate.number
    assert body["certificate"]["status"] == "active"
    assert certificate.decision == decision


def test_it_answers_a_refusal_without_a_certificate(cast, closed_audit, api):
    response = _decide(api, cast.staff, closed_audit, outcome="refuse", rationale="Scope not supported.")
    assert response.status_code == 201
    assert response.json()["decision"]["outcome"] == "refuse"
    assert response.json()["certificate"] is None
    assert not Certificate.objects.exists()


def test_it_renews_after_recertification(cast, certificate, api):
    recertification = certificate.programme.audits.get(audit_type=AuditType.RECERTIFICATION)
    Audit.objects.filter(pk=recertification.pk).update(status=AuditStatus.CLOSED, closed_at=timezone.now())
    response = _decide(api, cast.staff, recertification, outcome="renew", rationale="Still conforms.")
    assert response.status_code == 201, response.json()
    assert response.json()["certificate"]["number"] == certificate.number
    assert response.json()["certificate"]["revision"] == 2
    certificate.refresh_from_db()
    assert certificate.decision.audit == recertification


def test_it_refuses_a_decision_by_a_lead_made_staff_with_the_team_rule(cast, closed_audit, api):
    cast.lead.groups.add(role_group(STAFF))
    response = _decide(api, cast.lead, closed_audit)
    assert response.status_code == 400
    assert "You were on the team" in response.json()["detail"]
    assert not Decision.objects.exists()


def test_it_refuses_a_decision_on_an_open_audit_with_409(cast, onsite_audit, api):
    response = _decide(api, cast.staff, onsite_audit)
    assert response.status_code == 409
    assert "not closed" in response.json()["detail"]
    assert not Decision.objects.exists()


def test_it_refuses_a_second_decision_with_409(cast, closed_audit, api):
    assert _decide(api, cast.staff, closed_audit).status_code == 201
    response = _decide(api, cast.staff, closed_audit, outcome="refuse")
    assert response.status_code == 409
    assert "already has its decision" in response.json()["detail"]
    assert Decision.objects.get().outcome == "grant"


def test_it_refuses_a_grant_while_a_major_is_open(cast, closed_audit, api):
    Nonconformity.objects.update(grade="major")
    response = _decide(api, cast.staff, closed_audit)
    assert response.status_code == 400
    assert "Major nonconformities are not closed" in response.json()["detail"]
    assert not Decision.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"outcome": "renew"}, "outcome"),
        ({"outcome": "approve"}, "outcome"),
        ({"rationale": "  "}, "rationale"),
        ({"rationale": None}, "rationale"),
        ({"decided_on": "tomorrow"}, "decided_on"),
        ({"decided_on": "2999-01-01"}, "decided_on"),
    ],
)
def test_it_refuses_bad_input_naming_the_field(change, field, cast, closed_audit, api):
    response = _decide(api, cast.staff, closed_audit, **change)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Decision.objects.exists()


def test_it_checks_the_role_before_the_body(cast, closed_audit, api):
    assert api(cast.client).post(_decision_url(closed_audit), {}, format="json").status_code == 403
    assert api(cast.staff).post(_decision_url(closed_audit), {}, format="json").status_code == 400


def test_it_takes_the_decision_only_by_post(cast, closed_audit, api):
    assert api(cast.staff).get(_decision_url(closed_audit)).status_code == 405


def test_it_takes_the_decision_date(cast, closed_audit, api):
    today = timezone.localdate()
    Audit.objects.filter(pk=closed_audit.pk).update(closed_at=timezone.now() - datetime.timedelta(days=3))
    earlier = today - datetime.timedelta(days=2)
    response = _decide(api, cast.staff, closed_audit, decided_on=earlier.isoformat())
    assert response.status_code == 201
    assert Decision.objects.get().decided_on == earlier
    assert Certificate.objects.get().issue_date == earlier


# --- reading certificates ----------------------------------------------------------------------


def test_it_answers_reads_as_decided(cast, certificate, api):
    # The team that audited the client does not see its certificates: only staff and the client.
    expected = {
        LIST: [401, 200, 200, 200, 200, 200],
        _url(certificate): [401, 200, 404, 404, 200, 404],
        f"{LIST}999999/": [401, 404, 404, 404, 404, 404],
    }
    for url, statuses in expected.items():
        got = [api(cast.user(name)).get(url).status_code for name in CAST_NAMES]
        assert got == statuses, f"{url}: {dict(zip(CAST_NAMES, got, strict=True))}"


def test_it_lists_only_the_callers_certificates(cast, certificate, api):
    theirs = _certificate_of(cast.org_b, cast, "CERT-B-1")

    def numbers(user):
        return sorted(row["number"] for row in api(user).get(LIST).json()["results"])

    assert numbers(cast.staff) == sorted([certificate.number, theirs.number])
    assert numbers(cast.client) == [certificate.number]
    assert numbers(cast.other) == [theirs.number]
    assert numbers(cast.lead) == numbers(cast.auditor) == []


def test_it_refuses_writes_to_the_record_itself(cast, certificate, api):
    assert api(cast.staff).post(LIST, {}, format="json").status_code == 405
    for method in ("put", "patch", "delete"):
        assert getattr(api(cast.staff), method)(_url(certificate), {}, format="json").status_code == 405
    assert api(cast.staff).get(_url(certificate, "suspend")).status_code == 405


def test_it_describes_a_certificate(cast, certificate, api):
    certificate_suspend(certificate=certificate, user=cast.staff, reason="No answer in 90 days")
    certificate.refresh_from_db()
    body = api(cast.client).get(_url(certificate)).json()
    assert body == {
        "id": certificate.pk,
        "number": certificate.number,
        "identity": str(certificate.identity),
        "organization": {"id": cast.org_a.pk, "name": "Nordkontakt AB"},
        "entity_name": "Nordkontakt AB",
        "entity_address": certificate.entity_address,
        "scope": "Inbound customer service by telephone, e-mail and chat.",
        "standards": [{"code": "ISO 18295-1:2017", "title": "Customer contact centres", "edition": "2020"}],
        "sites": [
            {"name": site.name, "city": site.city, "country": "SE", "scope": site.scope}
            for site in certificate.sites.order_by("id")
        ],
        "status": "suspended",
        "original_issue_date": certificate.original_issue_date.isoformat(),
        "issue_date": certificate.issue_date.isoformat(),
        "expiry_date": certificate.expiry_date.isoformat(),
        "lapsed_from": None,
        "lapsed_until": None,
        "revision": 1,
        "confidential": False,
        "suspended_until": certificate.suspended_until.isoformat(),
        "status_reason": "No answer in 90 days",
        "revisions": [
            {
                "revision": 1,
                "issue_date": certificate.issue_date.isoformat(),
                "reason": "First issue",
                "pdf": reverse("certificates:certificate-revision-pdf", args=[certificate.pk, 1]),
            }
        ],
        "events": [
            {
                "kind": "issued",
                "reason": "Requirements met.",
                "by": str(cast.staff),
                "at": body["events"][0]["at"],
            },
            {
                "kind": "suspended",
                "reason": "No answer in 90 days",
                "by": str(cast.staff),
                "at": body["events"][1]["at"],
            },
        ],
    }
    assert [site["name"] for site in body["sites"]] == ["Stockholm", "Göteborg", "Malmö"]


# A URLconf without the HTML pages, for the test below.
urlpatterns = []


def test_it_leaves_out_the_revision_link_without_the_page(cast, certificate, settings):
    settings.ROOT_URLCONF = __name__
    assert revision_pdf_url(certificate.revisions.get()) is None


def test_it_filters_by_status_and_organization(cast, certificate, api):
    theirs = _certificate_of(cast.org_b, cast, "CERT-B-1")
    certificate_withdraw(certificate=theirs, user=cast.staff, reason="Ended")
    staff = api(cast.staff)

    def numbers(**query):
        response = staff.get(LIST, query)
        assert response.status_code == 200, response.json()
        return [row["number"] for row in response.json()["results"]]

    assert numbers(status="active") == [certificate.number]
    assert numbers(status="withdrawn") == [theirs.number]
    assert numbers(organization=cast.org_b.pk) == [theirs.number]
    assert numbers(organization=cast.org_a.pk, status="withdrawn") == []
    assert staff.get(LIST, {"status": "lost"}).status_code == 400
    # Another client's organisation is refused as unknown, not answered with an empty list.
    response = api(cast.client).get(LIST, {"organization": cast.org_b.pk})
    assert response.status_code == 400
    assert list(response.json()) == ["organization"]


def test_it_searches_by_number_and_entity_name(cast, certificate, api):
    _certificate_of(cast.org_b, cast, "CERT-B-1")
    staff = api(cast.staff)

    def numbers(search):
        return [row["number"] for row in staff.get(LIST, {"search": search}).json()["results"]]

    assert numbers(certificate.number) == [certificate.number]
    assert numbers("norr") == ["CERT-B-1"]
    assert numbers("Customer contact") == []  # the scope is not searched


def test_it_orders_only_by_whitelisted_fields(cast, certificate, api):
    _certificate_of(cast.org_b, cast, "AAA-1")
    staff = api(cast.staff)

    def numbers(ordering):
        return [row["number"] for row in staff.get(LIST, {"ordering": ordering}).json()["results"]]

    assert numbers("number") == ["AAA-1", certificate.number]
    assert numbers("-number") == [certificate.number, "AAA-1"]
    assert numbers("entity_name") == ["AAA-1", certificate.number]  # Kundtjänst before Nordkontakt
    # Not whitelisted: ignored, so the default order (latest issue, then latest id) stands.
    assert numbers("scope") == numbers("") == ["AAA-1", certificate.number]


@pytest.mark.parametrize("name", ["staff", "client"])
def test_it_lists_in_a_fixed_number_of_queries(
    name, cast, certificate, api, django_assert_max_num_queries, django_assert_num_queries
):
    def fresh_user():
        # A new instance each time: role and permission caches on the user object start cold.
        return get_user_model().objects.get(pk=cast.user(name).pk)

    api(fresh_user()).get(LIST)  # warms the process-wide caches (content types)
    with django_assert_max_num_queries(12) as few:
        first = api(fresh_user()).get(LIST)
    assert first.json()["count"] == 1
    certificate_suspend(certificate=certificate, user=cast.staff, reason="x")
    for n in range(3):
        _certificate_of(cast.org_a, cast, f"CERT-A-{n}")
    _certificate_of(cast.org_b, cast, "CERT-B-1")
    with django_assert_num_queries(len(few.captured_queries)):
        more = api(fresh_user()).get(LIST)
    assert more.json()["count"] == (5 if name == "staff" else 4)


# --- the PDF -----------------------------------------------------------------------------------


def test_it_serves_the_latest_revisions_stored_pdf(cast, certificate, api):
    CertificateRevision.objects.create(
        certificate=certificate, revision=2, issue_date=certificate.issue_date, reason="Scope reduced"
    )
    for revision in certificate.revisions.all():
        revision.template_version = CERTIFICATE_TEMPLATE_VERSION
        revision.file.save("x.pdf", ContentFile(f"%PDF-1.4 rev {revision.revision}".encode()))
    response = api(cast.client).get(_url(certificate, "pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{certificate.number}-rev2.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == b"%PDF-1.4 rev 2"


def test_it_makes_a_missing_pdf_on_the_spot(cast, certificate, api):
    # No worker ran in this test (on_commit callbacks are not run): the revision has no file yet.
    assert not certificate.revisions.get().file
    response = api(cast.staff).get(_url(certificate, "pdf"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert certificate.revisions.get().file


def test_it_answers_404_for_a_certificate_without_revisions(cast, api):
    bare = _certificate_of(cast.org_a, cast, "CERT-A-1")
    bare.revisions.all().delete()
    response = api(cast.staff).get(_url(bare, "pdf"))
    assert response.status_code == 404
    assert "no revision" in response.json()["detail"]


def test_it_refuses_the_pdf_to_outsiders(cast, certificate, api):
    for name, expected in (("anonymous", 401), ("lead", 404), ("auditor", 404), ("other", 404)):
        assert api(cast.user(name)).get(_url(certificate, "pdf")).status_code == expected, name


# --- changing certificates ---------------------------------------------------------------------


def _post(api, user, certificate, step, body):
    return api(user).post(_url(certificate, step), body, format="json")


@pytest.mark.parametrize(
    ("name", "expected"),
    [("anonymous", 401), ("staff", 200), ("lead", 404), ("auditor", 404), ("client", 403), ("other", 404)],
)
@pytest.mark.parametrize(
    ("step", "body"),
    [
        ("suspend", {"reason": "No answer in 90 days"}),
        ("withdraw", {"reason": "Client asked to end it"}),
        ("scope", {"reason": "Malmö closed", "scope": "Inbound telephone.", "sites": []}),
    ],
)
def test_it_lets_only_staff_change_a_certificate(step, body, name, expected, cast, certificate, api):
    if step == "scope":
        body = {**body, "sites": [{"site": cast.org_a.sites.get(name="Stockholm").pk}]}
    response = _post(api, cast.user(name), certificate, step, body)
    assert response.status_code == expected, response.content
    changed = certificate.events.exclude(kind=CertificateEventKind.ISSUED).exists()
    assert changed is (expected == 200)


@pytest.mark.parametrize(("name", "expected"), [("staff", 200), ("client", 403), ("other", 404)])
def test_it_lets_only_staff_restore(name, expected, cast, certificate, api):
    certificate_suspend(certificate=certificate, user=cast.staff, reason="x")
    response = _post(api, cast.user(name), certificate, "restore", {})
    assert response.status_code == expected
    certificate.refresh_from_db()
    assert (certificate.status == CertificateStatus.ACTIVE) is (expected == 200)


def test_it_suspends_restores_and_withdraws(cast, certificate, api):
    until = timezone.localdate() + datetime.timedelta(days=30)
    response = _post(
        api, cast.staff, certificate, "suspend", {"reason": "No answer", "until": until.isoformat()}
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["suspended_until"]) == ("suspended", until.isoformat())
    assert response.json()["events"][-1]["kind"] == "suspended"

    response = _post(api, cast.staff, certificate, "restore", {"reason": "Answered"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["suspended_until"]) == ("active", None)

    response = _post(api, cast.staff, certificate, "withdraw", {"reason": "Client asked to end it"})
    assert response.status_code == 200
    assert response.json()["status_reason"] == "Client asked to end it"
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.WITHDRAWN
    assert list(certificate.events.values_list("kind", "reason")) == [
        ("issued", "Requirements met."),
        ("suspended", "No answer"),
        ("restored", "Answered"),
        ("withdrawn", "Client asked to end it"),
    ]


@pytest.mark.parametrize(
    ("setup", "step", "body"),
    [
        (None, "restore", {}),
        ("suspend", "suspend", {"reason": "again"}),
        # A suspended certificate's scope may be reduced (test_cycle_renewal_and_reduction); a
        # withdrawn one's may not be changed at all.
        ("withdraw", "scope", {"reason": "x", "scope": "y", "sites": []}),
        ("withdraw", "withdraw", {"reason": "again"}),
        ("withdraw", "suspend", {"reason": "x"}),
        ("withdraw", "restore", {}),
    ],
)
def test_it_refuses_a_step_the_state_does_not_allow_with_409(setup, step, body, cast, certificate, api):
    if setup == "suspend":
        certificate_suspend(certificate=certificate, user=cast.staff, reason="x")
    elif setup == "withdraw":
        certificate_withdraw(certificate=certificate, user=cast.staff, reason="x")
    if step == "scope":
        body = {**body, "sites": [{"site": cast.org_a.sites.get(name="Stockholm").pk}]}
    events = certificate.events.count()
    response = _post(api, cast.staff, certificate, step, body)
    assert response.status_code == 409
    assert "cannot be" in response.json()["detail"]
    assert certificate.events.count() == events


def test_it_refuses_to_restore_an_expired_certificate(cast, certificate, api):
    certificate_suspend(certificate=certificate, user=cast.staff, reason="x")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Certificate.objects.filter(pk=certificate.pk).update(
        issue_date=yesterday - datetime.timedelta(days=30), expiry_date=yesterday
    )
    response = _post(api, cast.staff, certificate, "restore", {})
    assert response.status_code == 409
    assert "renew it instead" in response.json()["detail"]


@pytest.mark.parametrize(
    ("step", "body", "field"),
    [
        ("suspend", {}, "reason"),
        ("suspend", {"reason": " "}, "reason"),
        ("suspend", {"reason": "x", "until": "2000-01-01"}, "until"),
        ("suspend", {"reason": "x", "until": "2999-01-01"}, "until"),
        ("suspend", {"reason": "x", "until": "soon"}, "until"),
        ("withdraw", {}, "reason"),
        ("withdraw", {"reason": ""}, "reason"),
        ("scope", {"scope": "y", "sites": "STOCKHOLM"}, "reason"),
        ("scope", {"reason": "x", "scope": " ", "sites": "STOCKHOLM"}, "scope"),
        ("scope", {"reason": "x", "scope": "y", "sites": []}, "sites"),
        ("scope", {"reason": "x", "scope": "y", "sites": [{"scope": "y"}]}, "sites"),
        ("scope", {"reason": "x", "scope": "y", "sites": "LULEÅ"}, "sites"),
        ("scope", {"reason": "x", "scope": "y", "sites": "STOCKHOLM TWICE"}, "sites"),
    ],
)
def test_it_refuses_bad_input_naming_the_field_when_changing(step, body, field, cast, certificate, api):
    stockholm = cast.org_a.sites.get(name="Stockholm").pk
    sites = {
        "STOCKHOLM": [{"site": stockholm}],
        "STOCKHOLM TWICE": [{"site": stockholm}, {"site": stockholm, "scope": "x"}],
        "LULEÅ": [{"site": cast.org_b.sites.get().pk}],
    }
    if isinstance(body.get("sites"), str):
        body = {**body, "sites": sites[body["sites"]]}
    response = _post(api, cast.staff, certificate, step, body)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    certificate.refresh_from_db()
    assert (certificate.status, certificate.revision) == (CertificateStatus.ACTIVE, 1)
    assert certificate.sites.count() == 3


def test_it_checks_the_role_before_the_body_when_changing(cast, certificate, api):
    assert _post(api, cast.client, certificate, "suspend", {}).status_code == 403
    assert _post(api, cast.staff, certificate, "suspend", {}).status_code == 400


def test_it_changes_the_scope_as_a_new_revision(cast, certificate, api):
    stockholm = cast.org_a.sites.get(name="Stockholm")
    goteborg = cast.org_a.sites.get(name="Göteborg")
    body = {
        "reason": "Malmö closed",
        "scope": "Inbound customer service by telephone.",
        "sites": [{"site": goteborg.pk, "scope": "Telephone"}, {"site": stockholm.pk}],
    }
    response = _post(api, cast.staff, certificate, "scope", body)
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["revision"] == 2
    assert data["scope"] == "Inbound customer service by telephone."
    assert [(site["name"], site["scope"]) for site in data["sites"]] == [
        ("Göteborg", "Telephone"),
        ("Stockholm", ""),
    ]
    assert [(row["revision"], row["reason"]) for row in data["revisions"]] == [
        (1, "First issue"),
        (2, "Malmö closed"),
    ]
    assert data["events"][-1]["kind"] == "scope_changed"
    certificate.refresh_from_db()
    assert certificate.revision == 2
    assert certificate.revisions.get(revision=2).snapshot["sites"][0]["name"] == "Göteborg"
