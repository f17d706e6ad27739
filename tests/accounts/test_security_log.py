"""The security log: each event recorded by the real action, and the staff page that shows them."""

import io

import pytest
from django.conf import settings as project_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import SecurityEvent, SecurityEventKind
from accounts.security import record
from audits.models import TeamRole
from certificates.models import Certificate
from findings.evidence import evidence_add
from findings.services import finding_create
from tests.conftest import CAST_NAMES, page_text
from tests.factories import CompetenceFactory, ready_to_certify

IP = "198.51.100.23"
REQUEST_CONTEXT = "accounts.security.RequestContextMiddleware"


@pytest.fixture
def request_context(settings):
    """The services' events take the actor and address from the request: the middleware must run."""
    if REQUEST_CONTEXT not in settings.MIDDLEWARE:
        after = settings.MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1
        settings.MIDDLEWARE = [*settings.MIDDLEWARE[:after], REQUEST_CONTEXT, *settings.MIDDLEWARE[after:]]


def events(kind) -> list[SecurityEvent]:
    return list(
        SecurityEvent.objects.filter(kind=kind).select_related("actor", "organization").order_by("id")
    )


def test_it_keeps_the_request_for_the_services_in_the_settings():
    # Without it, team changes and grants made in the browser are recorded with no actor or address.
    middleware = project_settings.MIDDLEWARE
    assert REQUEST_CONTEXT in middleware
    assert middleware.index(REQUEST_CONTEXT) > middleware.index(
        "django.contrib.auth.middleware.AuthenticationMiddleware"
    )


# -- Log-ins ------------------------------------------------------------------------------------


def test_it_records_a_log_in_on_the_login_page(cast, client):
    response = client.post("/login/", {"username": "client", "password": "demo"}, REMOTE_ADDR=IP)
    assert response.status_code == 302
    (event,) = events(SecurityEventKind.LOGIN)
    assert event.actor == cast.client
    assert event.username == "client"
    assert event.ip == IP
    # A client's log-ins are found under its organisation.
    assert event.organization == cast.org_a


def test_it_records_a_failed_log_in_with_the_name_typed(cast, client):
    response = client.post("/login/", {"username": "staff", "password": "wrong"}, REMOTE_ADDR=IP)
    assert response.status_code == 200
    client.post("/login/", {"username": "nobody", "password": "demo"}, REMOTE_ADDR=IP)
    failures = events(SecurityEventKind.LOGIN_FAILED)
    assert [(event.username, event.actor, event.ip) for event in failures] == [
        ("staff", None, IP),
        ("nobody", None, IP),
    ]
    assert not events(SecurityEventKind.LOGIN)


def test_it_records_a_log_out(cast, client):
    client.post("/login/", {"username": "lead", "password": "demo"}, REMOTE_ADDR=IP)
    client.post("/logout/", REMOTE_ADDR=IP)
    (event,) = events(SecurityEventKind.LOGOUT)
    assert (event.actor, event.ip, event.organization) == (cast.lead, IP, None)


def test_it_takes_the_address_from_the_trusted_proxy(cast, client, settings):
    settings.NUM_PROXIES = 1
    client.post(
        "/login/",
        {"username": "lead", "password": "demo"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=f"6.6.6.6, {IP}",
    )
    assert events(SecurityEventKind.LOGIN)[0].ip == IP


# -- Grants and team changes -------------------------------------------------------------------


def test_it_records_team_changes_and_the_grants_they_make(cast, onsite_audit, login, request_context):
    CompetenceFactory(user=cast.auditor, standard=cast.standard, role=TeamRole.AUDITOR)
    client = login(cast.staff)
    SecurityEvent.objects.all().delete()

    client.post(
        f"/audits/{onsite_audit.pk}/team/",
        {"user": cast.auditor.pk, "role": TeamRole.AUDITOR},
        REMOTE_ADDR=IP,
    )
    member = onsite_audit.team.get(user=cast.auditor)
    client.post(f"/audits/{onsite_audit.pk}/team/{member.pk}/remove/", REMOTE_ADDR=IP)

    recorded = [
        (event.kind, event.actor, event.ip, event.organization, event.target)
        for event in SecurityEvent.objects.order_by("id")
    ]
    audit = f"audit {onsite_audit.pk}"
    assert recorded == [
        (SecurityEventKind.PERMISSION_GRANTED, cast.staff, IP, cast.org_a, "user auditor"),
        (SecurityEventKind.TEAM_ADDED, cast.staff, IP, cast.org_a, audit),
        (SecurityEventKind.TEAM_REMOVED, cast.staff, IP, cast.org_a, audit),
        (SecurityEventKind.PERMISSION_REVOKED, cast.staff, IP, cast.org_a, "user auditor"),
    ]
    added = events(SecurityEventKind.TEAM_ADDED)[0]
    assert added.details == {"member": "auditor", "role": "auditor"}


def test_it_records_nothing_for_a_refused_team_change(cast, onsite_audit, login, request_context):
    SecurityEvent.objects.all().delete()
    # The auditor has no competence for the standard: refused, and the grant rolled back with it.
    response = login(cast.staff).post(
        f"/audits/{onsite_audit.pk}/team/", {"user": cast.auditor.pk, "role": TeamRole.AUDITOR}
    )
    assert response.status_code == 200
    assert not SecurityEvent.objects.exclude(kind=SecurityEventKind.LOGIN).exists()


def test_it_records_a_grant_made_outside_a_request_without_an_actor(cast):
    # The cast fixture made the client a member of Nordkontakt: no request, so no actor or address.
    (grant,) = [
        event for event in events(SecurityEventKind.PERMISSION_GRANTED) if event.target == "user client"
    ]
    assert (grant.actor, grant.ip, grant.organization) == (None, None, cast.org_a)
    assert grant.details == {"permission": "clients.view_organization"}


# -- Decisions, certificates, evidence ----------------------------------------------------------


def test_it_records_the_decision_and_the_certificate_it_issues(cast, closed_audit, login, request_context):
    ready_to_certify(closed_audit)
    response = login(cast.staff).post(
        f"/audits/{closed_audit.pk}/decision/",
        {"outcome": "grant", "rationale": "Requirements met."},
        REMOTE_ADDR=IP,
    )
    assert response.status_code == 302
    certificate = Certificate.objects.get()
    (decision,) = events(SecurityEventKind.DECISION)
    assert (decision.actor, decision.ip, decision.organization) == (cast.staff, IP, cast.org_a)
    assert decision.target == f"audit {closed_audit.pk}"
    assert decision.details["outcome"] == "grant"
    (issued,) = events(SecurityEventKind.CERTIFICATE_CHANGED)
    assert (issued.actor, issued.ip, issued.organization) == (cast.staff, IP, cast.org_a)
    assert issued.target == f"certificate {certificate.number}"
    assert issued.details == {"change": "issued", "revision": 1}


def test_it_records_a_certificate_suspension(cast, closed_audit, login, request_context):
    ready_to_certify(closed_audit)
    client = login(cast.staff)
    client.post(
        f"/audits/{closed_audit.pk}/decision/", {"outcome": "grant", "rationale": "Requirements met."}
    )
    certificate = Certificate.objects.get()
    client.post(f"/certificates/{certificate.pk}/suspend/", {"suspend-reason": "No answer"}, REMOTE_ADDR=IP)
    suspended = events(SecurityEventKind.CERTIFICATE_CHANGED)[-1]
    assert suspended.details["change"] == "suspended"
    assert (suspended.actor, suspended.ip, suspended.organization) == (cast.staff, IP, cast.org_a)


def test_it_records_an_evidence_download(cast, onsite_audit, login):
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(buffer, "PNG")
    finding = finding_create(
        audit=onsite_audit, user=cast.lead, clause=onsite_audit.clause_41, site=None, grade="conforming"
    )
    evidence = evidence_add(
        finding=finding,
        user=cast.lead,
        upload=SimpleUploadedFile("screen.png", buffer.getvalue(), content_type="image/png"),
    )
    response = login(cast.lead).get(f"/evidence/{evidence.pk}/download/", REMOTE_ADDR=IP)
    assert response.status_code == 200
    (download,) = events(SecurityEventKind.EVIDENCE_DOWNLOADED)
    assert (download.actor, download.ip, download.organization) == (cast.lead, IP, cast.org_a)
    assert download.target == f"evidence {evidence.pk}"
    assert download.details == {"audit": onsite_audit.pk, "file": "screen.png"}


def test_it_records_no_download_for_someone_refused(cast, onsite_audit, login):
    finding = finding_create(
        audit=onsite_audit, user=cast.lead, clause=onsite_audit.clause_41, site=None, grade="conforming"
    )
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(buffer, "PNG")
    evidence = evidence_add(
        finding=finding, user=cast.lead, upload=SimpleUploadedFile("s.png", buffer.getvalue())
    )
    assert login(cast.auditor).get(f"/evidence/{evidence.pk}/download/").status_code == 404
    assert not events(SecurityEventKind.EVIDENCE_DOWNLOADED)


# -- The page -----------------------------------------------------------------------------------


def test_it_shows_the_log_to_staff_only(cast, login):
    got = [login(cast.user(name)).get("/security/").status_code for name in CAST_NAMES]
    assert got == [302, 200, 403, 403, 403, 403]


def test_it_sends_the_anonymous_to_log_in(db, client):
    response = client.get("/security/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_it_refuses_a_post(cast, login):
    assert login(cast.staff).post("/security/").status_code == 405


def test_it_lists_the_events_with_who_where_and_what(cast, login):
    record(
        SecurityEventKind.DECISION,
        actor=cast.staff,
        organization=cast.org_b,
        target="audit 77",
        outcome="grant",
    )
    record(SecurityEventKind.LOGIN_FAILED, username="mallory")
    body = page_text(login(cast.staff).get("/security/"))
    assert "Certification decision" in body
    assert "audit 77" in body
    assert "outcome: grant" in body
    assert "Kundtjänst Norr AB" in body
    assert "mallory" in body


def test_it_filters_by_kind_and_organisation(cast, login):
    SecurityEvent.objects.all().delete()
    record(SecurityEventKind.DECISION, organization=cast.org_a, target="audit 1")
    record(SecurityEventKind.DECISION, organization=cast.org_b, target="audit 2")
    record(SecurityEventKind.EXPORT, organization=cast.org_a, target="organisation A")
    client = login(cast.staff)

    def shown(query):
        return [event.target for event in client.get(f"/security/?{query}").context["page"]]

    assert shown("kind=decision") == ["audit 2", "audit 1"]
    assert shown(f"organization={cast.org_a.pk}") == ["organisation A", "audit 1"]
    assert shown(f"kind=decision&organization={cast.org_a.pk}") == ["audit 1"]
    # An unknown kind or a malformed id is no filter rather than an error.
    assert len(shown("kind=nonsense&organization=x")) == 4  # and the staff's own log-in


def test_it_pages_the_log(cast, login):
    SecurityEvent.objects.all().delete()
    for number in range(55):
        record(SecurityEventKind.LOGIN_FAILED, username=f"guess{number}")
    client = login(cast.staff)
    first = client.get("/security/?kind=login_failed").context["page"]
    second = client.get("/security/?kind=login_failed&page=2").context["page"]
    assert [len(first), len(second)] == [50, 5]
    assert first[0].username == "guess54"
    assert second[4].username == "guess0"


@pytest.mark.parametrize("rows", [3, 120])
def test_it_reads_the_page_in_a_fixed_number_of_queries(rows, cast, login, django_assert_num_queries):
    for number in range(rows):
        record(
            SecurityEventKind.TEAM_ADDED,
            actor=cast.staff,
            organization=cast.org_a if number % 2 else cast.org_b,
            target=f"audit {number}",
        )
    client = login(cast.staff)
    # Session, user, the user's groups, the navigation's client membership, the count, the page of
    # events (actor and organisation joined), the organisations for the filter.
    with django_assert_num_queries(7):
        response = client.get("/security/")
    assert response.status_code == 200
