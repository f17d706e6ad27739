"""A form sent twice is saved once (accounts.submissions), and a finding sent twice over the API
with the same client_uuid is recorded once (findings.services.finding_create_once).

Each page renders its form with a one-time token. Sent again with it (a double tap, a retry after
a dropped answer), the form saves nothing more and the second answer leads where the first did.
"""

import datetime
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.models import FormSubmission
from accounts.submissions import FORM_TOKEN_DAYS, TOKEN_FIELD
from audits.models import (
    Audit,
    AuditDay,
    AuditType,
    CertificationProgramme,
    PlanSlot,
    TeamMember,
    TeamRole,
)
from audits.services import programme_create, team_member_add
from certificates.models import Certificate, CertificateRevision, Decision
from certificates.services import decision_record
from clients.models import ClientMembership, ConsultancyDeclaration, Organization, Site
from core.actors import SYSTEM
from findings.models import (
    ChangeAction,
    Evidence,
    Finding,
    FindingChange,
    InternalNote,
    Nonconformity,
    NonconformityResponse,
)
from findings.services import finding_create, finding_remove
from tests.factories import CompetenceFactory, closing_form, ready_to_certify
from tests.fuzz.pages import PageParser
from tests.world import png_upload

ALREADY_SENT = "already sent and saved"


def form_token(response, action: str, data: dict | None = None) -> str:
    """The token of the form the page sends to `action` (the one that sends `data`'s `form`, if
    several go there)."""
    parser = PageParser(response.wsgi_request.path)
    parser.feed(response.content.decode())
    which = (data or {}).get("form")
    tokens = [
        form.fields[TOKEN_FIELD].values[0]
        for form, url in parser.forms
        if url == action
        and TOKEN_FIELD in form.fields
        and (which is None or (form.fields.get("form") and form.fields["form"].values == [which]))
    ]
    assert len(tokens) == 1, (action, tokens)
    return tokens[0]


@dataclass
class Case:
    user: str
    page: str  # where the form is shown
    action: str  # where it is sent
    data: Callable[[], dict]  # what is sent, made anew for each sending (files are read once)
    count: Callable[[], int]  # the records a sending makes


def _finding(cast, audit):
    return finding_create(
        audit=audit, user=cast.lead, clause=audit.clause_41, site=audit.stockholm, grade="ofi", statement="x"
    )


def case_new_finding(cast, onsite_audit, **_):
    url = f"/audits/{onsite_audit.pk}/checklist/{onsite_audit.clause_41.pk}/"
    data = {"grade": "observation", "site": onsite_audit.stockholm.pk, "statement": "Queue boards lag."}
    return Case("lead", url, url, lambda: {**data, "file": png_upload("board.png")}, Finding.objects.count)


def case_evidence(cast, onsite_audit, **_):
    finding = _finding(cast, onsite_audit)
    url = f"/findings/{finding.pk}/evidence/"
    return Case("lead", url, url, lambda: {"file": png_upload("log.png")}, Evidence.objects.count)


def case_finding_edit(cast, onsite_audit, **_):
    finding = _finding(cast, onsite_audit)
    url = f"/findings/{finding.pk}/edit/"
    data = {"version": 1, "grade": "observation", "statement": "Queue boards lag by a minute."}
    return Case(
        "lead",
        url,
        url,
        lambda: dict(data),
        FindingChange.objects.filter(action=ChangeAction.UPDATED).count,
    )


def case_organisation(cast, **_):
    data = {"legal_name": "Samtal Syd AB", "org_number": "556677-8899", "country": "SE", "city": "Malmö"}
    return Case(
        "staff", "/organizations/new/", "/organizations/new/", lambda: dict(data), Organization.objects.count
    )


def case_site(cast, **_):
    url = f"/organizations/{cast.org_a.pk}/sites/new/"
    data = {"name": "Uppsala", "city": "Uppsala", "country": "SE", "effective_personnel": "12"}
    return Case("staff", url, url, lambda: dict(data), Site.objects.count)


def case_declaration(cast, **_):
    url = f"/organizations/{cast.org_a.pk}/declarations/new/"
    data = {
        "kind": "consultancy",
        "provider": "Kvalitetsbyrån AB",
        "subject": "ISO 18295-1",
        "until": "2025-06-30",
    }
    return Case("staff", url, url, lambda: dict(data), ConsultancyDeclaration.objects.count)


def case_client_user(cast, **_):
    url = f"/organizations/{cast.org_a.pk}/users/new/"
    data = {"username": "maria", "email": "maria@example.se", "role": "responder", "language": "sv"}
    return Case("staff", url, url, lambda: dict(data), ClientMembership.objects.count)


def case_programme(cast, **_):
    data = {"organization": cast.org_b.pk, "standards": [cast.standard.pk]}
    return Case(
        "staff",
        "/programmes/new/",
        "/programmes/new/",
        lambda: dict(data),
        CertificationProgramme.objects.count,
    )


def case_special_audit(cast, onsite_audit, **_):
    url = f"/programmes/{onsite_audit.programme_id}/audits/new/"
    data = {"due_date": "2027-03-01", "scope": "Short-notice audit after a complaint."}
    return Case("staff", url, url, lambda: dict(data), Audit.objects.count)


def case_team(cast, onsite_audit, **_):
    CompetenceFactory(user=cast.auditor, standard=cast.standard, role=TeamRole.AUDITOR)
    url = f"/audits/{onsite_audit.pk}/team/"
    data = {"user": cast.auditor.pk, "role": "auditor"}
    return Case("staff", url, url, lambda: dict(data), TeamMember.objects.count)


def case_plan_day(cast, onsite_audit, **_):
    url = f"/audits/{onsite_audit.pk}/plan/"
    day = onsite_audit.start_date + datetime.timedelta(days=1)
    data = {"form": "day", "day-date": day.isoformat(), "day-site": onsite_audit.stockholm.pk}
    return Case("lead", url, url, lambda: dict(data), AuditDay.objects.count)


def case_plan_slot(cast, onsite_audit, **_):
    url = f"/audits/{onsite_audit.pk}/plan/"
    data = {
        "form": "slot",
        "slot-day": onsite_audit.days.get().pk,
        "slot-start": "13:00",
        "slot-end": "15:00",
        "slot-member": onsite_audit.lead.pk,
        "slot-activity": "Complaints handling",
        "slot-clauses": "4.2",
    }
    return Case("lead", url, url, lambda: dict(data), PlanSlot.objects.count)


def case_audit_close(cast, onsite_audit, **_):
    _finding(cast, onsite_audit)
    url = f"/audits/{onsite_audit.pk}/close/"
    return Case(
        "lead",
        url,
        url,
        lambda: {**closing_form(onsite_audit), "recommendation": "certify"},
        lambda: Audit.objects.filter(status="closed").count(),
    )


def case_nc_answer(cast, closed_audit, **_):
    nonconformity = Nonconformity.objects.get(audit=closed_audit)
    data = {"correction": "Ran it.", "root_cause": "Not handed over.", "corrective_action": "A monthly task."}
    return Case(
        "client",
        f"/ncrs/{nonconformity.pk}/",
        f"/ncrs/{nonconformity.pk}/respond/",
        lambda: dict(data),
        NonconformityResponse.objects.count,
    )


def case_nc_note(cast, closed_audit, **_):
    nonconformity = Nonconformity.objects.get(audit=closed_audit)
    return Case(
        "lead",
        f"/ncrs/{nonconformity.pk}/",
        f"/ncrs/{nonconformity.pk}/notes/",
        lambda: {"text": "Ask for the calendar at the next audit."},
        InternalNote.objects.count,
    )


def case_decision(cast, closed_audit, **_):
    ready_to_certify(closed_audit)
    url = f"/audits/{closed_audit.pk}/decision/"
    data = {"outcome": "grant", "rationale": "Requirements met."}
    return Case("staff", url, url, lambda: dict(data), Decision.objects.count)


def case_certificate_scope(cast, closed_audit, **_):
    ready_to_certify(closed_audit)
    decision_record(audit=closed_audit, user=cast.staff, outcome="grant", rationale="Requirements met.")
    certificate = Certificate.objects.get()
    stockholm = certificate.sites.get(name="Stockholm").site_id
    data = {
        "scope-reason": "Göteborg closed.",
        "scope-scope": "Inbound calls.",
        f"scope-site_{stockholm}": "on",
    }
    return Case(
        "staff",
        f"/certificates/{certificate.pk}/",
        f"/certificates/{certificate.pk}/scope/",
        lambda: dict(data),
        CertificateRevision.objects.count,
    )


CASES = {
    "new finding": (case_new_finding, "onsite_audit"),
    "evidence": (case_evidence, "onsite_audit"),
    "finding change": (case_finding_edit, "onsite_audit"),
    "organisation": (case_organisation, None),
    "site": (case_site, None),
    "declaration": (case_declaration, None),
    "client user": (case_client_user, None),
    "programme": (case_programme, None),
    "special audit": (case_special_audit, "onsite_audit"),
    "team member": (case_team, "onsite_audit"),
    "plan day": (case_plan_day, "onsite_audit"),
    "plan slot": (case_plan_slot, "onsite_audit"),
    "audit closing": (case_audit_close, "onsite_audit"),
    "nonconformity answer": (case_nc_answer, "closed_audit"),
    "internal note": (case_nc_note, "closed_audit"),
    "decision": (case_decision, "closed_audit"),
    "certificate scope": (case_certificate_scope, "closed_audit"),
}


def _case(name, request, cast) -> Case:
    make, fixture = CASES[name]
    records = {fixture: request.getfixturevalue(fixture)} if fixture else {}
    return make(cast, **records)


@pytest.mark.parametrize("name", CASES)
def test_a_form_sent_twice_is_saved_once(name, request, cast, login, django_capture_on_commit_callbacks):
    case = _case(name, request, cast)
    client = login(cast.user(case.user))
    token = form_token(client.get(case.page), case.action, case.data())
    before = case.count()
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(case.action, {**case.data(), TOKEN_FIELD: token})
    assert first.status_code == 302, first.content[:3000]
    assert case.count() == before + 1
    emails = len(mail.outbox)

    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(case.action, {**case.data(), TOKEN_FIELD: token})

    # Nothing more is saved or sent; the second answer leads where the first did, and says why.
    assert case.count() == before + 1
    assert len(mail.outbox) == emails
    assert second.status_code == 302
    assert second["Location"] == first["Location"]
    assert any(ALREADY_SENT in str(message) for message in get_messages(second.wsgi_request))


def test_a_refused_form_can_be_sent_again_with_its_token(cast, onsite_audit, login):
    url = f"/audits/{onsite_audit.pk}/checklist/{onsite_audit.clause_41.pk}/"
    client = login(cast.lead)
    token = form_token(client.get(url), url)
    refused = client.post(url, {"grade": "major", "statement": "", TOKEN_FIELD: token})
    assert refused.status_code == 400
    assert not Finding.objects.exists()
    assert not FormSubmission.objects.exists()
    # The page shown again keeps what was typed; sent corrected (the same token), it is saved.
    saved = client.post(url, {"grade": "major", "statement": "No complaints log.", TOKEN_FIELD: token})
    assert saved.status_code == 302
    assert Finding.objects.count() == 1


def test_each_rendering_of_a_form_has_its_own_token(cast, onsite_audit, login):
    url = f"/audits/{onsite_audit.pk}/checklist/{onsite_audit.clause_41.pk}/"
    client = login(cast.lead)
    first, second = (form_token(client.get(url), url) for _ in range(2))
    assert first != second
    body = {"grade": "conforming"}
    client.post(url, {**body, TOKEN_FIELD: first})
    client.post(url, {**body, TOKEN_FIELD: second})
    assert Finding.objects.count() == 2  # two forms, two findings


def test_a_token_is_the_senders_own(cast, onsite_audit, login):
    # The same token from another person is another sending, and learns nothing of the first.
    url = f"/organizations/{cast.org_a.pk}/sites/new/"
    token = str(uuid.uuid4())
    body = {"name": "Uppsala", "city": "Uppsala", "country": "SE", "effective_personnel": "12"}
    login(cast.staff).post(url, {**body, TOKEN_FIELD: token})
    assert FormSubmission.objects.get().user == cast.staff
    response = login(cast.client).post(url, {**body, TOKEN_FIELD: token})
    assert response.status_code == 403
    assert Site.objects.filter(name="Uppsala").count() == 1


def test_a_form_without_a_token_is_served_as_before(cast, login):
    url = f"/organizations/{cast.org_a.pk}/sites/new/"
    body = {"name": "Uppsala", "city": "Uppsala", "country": "SE", "effective_personnel": "12"}
    assert login(cast.staff).post(url, body).status_code == 302
    assert login(cast.staff).post(url, {**body, TOKEN_FIELD: "not-a-uuid"}).status_code == 200
    assert not FormSubmission.objects.exists()


def test_tokens_are_forgotten_after_a_few_days(cast, login):
    url = f"/organizations/{cast.org_a.pk}/sites/new/"
    body = {"city": "Uppsala", "country": "SE", "effective_personnel": "12"}
    client = login(cast.staff)
    client.post(url, {**body, "name": "Uppsala", TOKEN_FIELD: str(uuid.uuid4())})
    FormSubmission.objects.update(
        created_at=timezone.now() - datetime.timedelta(days=FORM_TOKEN_DAYS, hours=1)
    )
    client.post(url, {**body, "name": "Enköping", TOKEN_FIELD: str(uuid.uuid4())})
    assert FormSubmission.objects.count() == 1


# -- Two sendings at the same moment ---------------------------------------------------------------

needs_concurrent_writes = pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="two requests writing at once need PostgreSQL: make test-services runs this",
)


def _at_once(*sends):
    """Run the sends in threads released together; their results in order."""
    barrier = threading.Barrier(len(sends))
    results = [None] * len(sends)

    def run(index, send):
        try:
            barrier.wait()
            results[index] = send()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, send)) for index, send in enumerate(sends)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@needs_concurrent_writes
@pytest.mark.django_db(transaction=True)
def test_a_form_sent_twice_at_the_same_moment_is_saved_once(cast, onsite_audit):
    url = f"/audits/{onsite_audit.pk}/checklist/{onsite_audit.clause_41.pk}/"
    token = str(uuid.uuid4())
    body = {"grade": "observation", "statement": "Queue boards lag.", TOKEN_FIELD: token}
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(cast.lead)
    first, second = _at_once(*(lambda client=client: client.post(url, body) for client in clients))
    assert (first.status_code, second.status_code) == (302, 302)
    assert first["Location"].split("?")[0] == second["Location"].split("?")[0]
    assert Finding.objects.count() == 1


# -- The API: the device's id for each finding ------------------------------------------------------


def _body(onsite_audit, client_uuid, **changes):
    return {
        "audit": onsite_audit.pk,
        "clause": onsite_audit.clause_41.pk,
        "site": onsite_audit.stockholm.pk,
        "grade": "observation",
        "statement": "Queue boards lag.",
        "client_uuid": str(client_uuid),
        **changes,
    }


def test_a_finding_sent_twice_with_its_client_uuid_is_recorded_once(cast, onsite_audit, api):
    client_uuid = uuid.uuid4()
    first = api(cast.lead).post("/api/v1/findings/", _body(onsite_audit, client_uuid), format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["client_uuid"] == str(client_uuid)
    # A retry, even with other words (the device's later edit goes by PATCH), answers the first.
    again = api(cast.lead).post(
        "/api/v1/findings/", _body(onsite_audit, client_uuid, statement="Other words."), format="json"
    )
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Finding.objects.count() == 1
    assert FindingChange.objects.filter(action=ChangeAction.CREATED).count() == 1


def test_findings_without_a_client_uuid_are_each_recorded(cast, onsite_audit, api):
    body = _body(onsite_audit, "")
    del body["client_uuid"]
    for _ in range(2):
        assert api(cast.lead).post("/api/v1/findings/", body, format="json").status_code == 201
    assert Finding.objects.count() == 2
    assert set(Finding.objects.values_list("client_uuid", flat=True)) == {None}


def test_a_client_uuid_is_one_audits_own(cast, onsite_audit, api):
    # The same id in another audit records another finding there: ids say nothing across audits.
    other = programme_create(actor=SYSTEM, organization=cast.org_b, standards=[cast.standard]).audits.get(
        audit_type=AuditType.STAGE2
    )
    team_member_add(actor=SYSTEM, audit=other, user=cast.lead, role="lead_auditor")
    Audit.objects.filter(pk=other.pk).update(status="confirmed")
    client_uuid = uuid.uuid4()
    api(cast.lead).post("/api/v1/findings/", _body(onsite_audit, client_uuid), format="json")
    body = _body(onsite_audit, client_uuid, audit=other.pk, site=None)
    response = api(cast.lead).post("/api/v1/findings/", body, format="json")
    assert response.status_code == 201, response.json()
    assert Finding.objects.count() == 2


def test_a_removed_findings_client_uuid_is_answered_with_409(cast, onsite_audit, api):
    client_uuid = uuid.uuid4()
    created = api(cast.lead).post("/api/v1/findings/", _body(onsite_audit, client_uuid), format="json")
    finding_remove(finding=Finding.objects.get(pk=created.json()["id"]), user=cast.lead, version=1)
    again = api(cast.lead).post("/api/v1/findings/", _body(onsite_audit, client_uuid), format="json")
    assert again.status_code == 409
    assert "removed" in again.json()["detail"]


def test_a_findings_client_uuid_never_changes(cast, onsite_audit, api):
    client_uuid = uuid.uuid4()
    created = api(cast.lead).post("/api/v1/findings/", _body(onsite_audit, client_uuid), format="json").json()
    changed = api(cast.lead).patch(
        f"/api/v1/findings/{created['id']}/",
        {"version": 1, "statement": "Lag of a minute.", "client_uuid": str(uuid.uuid4())},
        format="json",
    )
    assert changed.status_code == 200
    assert changed.json()["client_uuid"] == str(client_uuid)


@needs_concurrent_writes
@pytest.mark.django_db(transaction=True)
def test_a_finding_sent_twice_at_the_same_moment_is_recorded_once(cast, onsite_audit):
    from rest_framework.test import APIClient

    body = _body(onsite_audit, uuid.uuid4())
    clients = [APIClient(), APIClient()]
    for client in clients:
        client.force_authenticate(cast.lead)
    answers = _at_once(
        *(lambda client=client: client.post("/api/v1/findings/", body, format="json") for client in clients)
    )
    assert sorted(answer.status_code for answer in answers) == [200, 201]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert Finding.objects.count() == 1
