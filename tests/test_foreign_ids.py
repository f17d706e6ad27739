"""An id of a record the caller cannot see is refused exactly as an id that does not exist.

Every serializer, list filter and form that takes an id is asked twice by the same caller: once
with the id of another client's record, once with an id no record has. The two answers must be
the same (the id itself aside), and neither may name the other client's record: a refusal that
says "Luleå is not among the sites of this audit" tells a team member at Nordkontakt the name of
Kundtjänst Norr's site.
"""

import json

import pytest
from django.test import RequestFactory
from rest_framework.request import Request

from audits.api import AuditSerializer
from audits.models import Audit, AuditDay, AuditType, TeamMember
from audits.services import programme_create
from certificates.models import Certificate
from certificates.services import decision_record
from clients.api import SiteSerializer
from core.actors import SYSTEM
from findings.models import Evidence, Finding, Grade
from findings.services import finding_create
from tests.factories import ready_to_certify
from tests.world import png_upload

MISSING = 987_654_321


def _same_answer(foreign, missing, foreign_id):
    """The two answers, with the ids that differ between them written alike."""
    assert foreign.status_code == missing.status_code, (foreign.content, missing.content)
    foreign_text = foreign.content.decode().replace(str(foreign_id), "<id>")
    missing_text = missing.content.decode().replace(str(MISSING), "<id>")
    assert foreign_text == missing_text


def _no_names_of(cast, response):
    text = json.dumps(response.json(), ensure_ascii=False)
    for name in ("Luleå", "Kundtjänst Norr"):
        assert name not in text, text


@pytest.fixture
def finding(cast, onsite_audit):
    return finding_create(
        audit=onsite_audit,
        user=cast.lead,
        clause=onsite_audit.clause_41,
        site=onsite_audit.stockholm,
        grade=Grade.OFI,
        statement="No trend analysis.",
    )


@pytest.fixture
def other_audit(cast):
    """Kundtjänst Norr's stage 2: the lead of Nordkontakt's audit is not on its team."""
    return programme_create(actor=SYSTEM, organization=cast.org_b, standards=[cast.standard]).audits.get(
        audit_type=AuditType.STAGE2
    )


# -- Serializers -----------------------------------------------------------------------------------


def test_a_finding_cannot_be_moved_to_another_clients_site(cast, finding, api):
    # Was 400 "Luleå is not among the sites of this audit".
    luleå = cast.org_b.sites.get()
    client = api(cast.lead)
    url = f"/api/v1/findings/{finding.pk}/"
    foreign = client.patch(url, {"site": luleå.pk, "version": 1}, format="json")
    missing = client.patch(url, {"site": MISSING, "version": 1}, format="json")
    assert foreign.status_code == 400
    assert list(foreign.json()) == ["site"]
    _same_answer(foreign, missing, luleå.pk)
    _no_names_of(cast, foreign)
    assert Finding.objects.get(pk=finding.pk).site == finding.site


def test_a_finding_names_its_own_clients_sites_when_refused(cast, finding, api):
    # A site the caller may see, but not among the audit's: the service's reason, with its name.
    onsite_audit = finding.audit
    onsite_audit.sites.remove(cast.org_a.sites.get(name="Malmö"))
    malmö = cast.org_a.sites.get(name="Malmö")
    response = api(cast.lead).patch(
        f"/api/v1/findings/{finding.pk}/", {"site": malmö.pk, "version": 1}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"site": ["Malmö is not among the sites of this audit."]}


@pytest.mark.parametrize("field", ["site", "audit"])
def test_a_new_finding_cannot_name_another_clients_site_or_audit(field, cast, onsite_audit, other_audit, api):
    foreign_id = cast.org_b.sites.get().pk if field == "site" else other_audit.pk
    body = {"audit": onsite_audit.pk, "clause": onsite_audit.clause_41.pk, "grade": "conforming"}
    client = api(cast.lead)
    foreign = client.post("/api/v1/findings/", {**body, field: foreign_id}, format="json")
    missing = client.post("/api/v1/findings/", {**body, field: MISSING}, format="json")
    assert foreign.status_code == 400
    assert list(foreign.json()) == [field]
    _same_answer(foreign, missing, foreign_id)
    _no_names_of(cast, foreign)
    assert not Finding.objects.exists()


def test_evidence_cannot_name_another_clients_finding(cast, onsite_audit, other_audit, api):
    other_finding = Finding.objects.create(
        audit=other_audit,
        clause=onsite_audit.clause_41,
        grade=Grade.CONFORMING,
        recorded_by=cast.staff,
        updated_by=cast.staff,
    )
    client = api(cast.lead)
    foreign = client.post("/api/v1/evidence/", {"finding": other_finding.pk, "file": png_upload("a.png")})
    missing = client.post("/api/v1/evidence/", {"finding": MISSING, "file": png_upload("a.png")})
    assert foreign.status_code == 400
    _same_answer(foreign, missing, other_finding.pk)
    assert not Evidence.objects.exists()


def _api_request(user):
    request = Request(RequestFactory().post("/"))
    request.user = user
    return request


def test_a_site_cannot_be_added_to_an_organisation_the_caller_cannot_see(cast):
    # Only staff (who see every organisation) write sites; the field is scoped all the same.
    context = {"request": _api_request(cast.client)}
    answers = {}
    for organization in (cast.org_b.pk, MISSING):
        serializer = SiteSerializer(data={"organization": organization, "name": "Kiruna"}, context=context)
        assert not serializer.is_valid()
        answers[organization] = str(serializer.errors["organization"][0]).replace(str(organization), "<id>")
    assert answers[cast.org_b.pk] == answers[MISSING]
    assert "does not exist" in answers[MISSING]


@pytest.mark.parametrize("field", ["organization", "sites"])
def test_an_audit_cannot_name_what_the_caller_cannot_see(field, cast):
    context = {"request": _api_request(cast.client)}
    base = {"organization": cast.org_a.pk, "standards": [cast.standard.code], "audit_type": "special"}
    foreign_id = cast.org_b.pk if field == "organization" else cast.org_b.sites.get().pk
    answers = []
    for value in (foreign_id, MISSING):
        data = {**base, field: [value] if field == "sites" else value}
        serializer = AuditSerializer(data=data, context=context)
        assert not serializer.is_valid()
        answers.append(json.dumps(serializer.errors[field], default=str).replace(str(value), "<id>"))
    assert answers[0] == answers[1]
    assert "does not exist" in answers[1]


# -- List filters ---------------------------------------------------------------------------------


@pytest.fixture
def other_records(cast, other_audit):
    """Ids of Kundtjänst Norr's records, by the name of the filter that takes them."""
    other_finding = Finding.objects.create(
        audit=other_audit,
        clause=cast.standard.clauses.get(number="4.1"),
        grade=Grade.CONFORMING,
        recorded_by=cast.staff,
        updated_by=cast.staff,
    )
    return {
        "organization": cast.org_b.pk,
        "site": cast.org_b.sites.get().pk,
        "audit": other_audit.pk,
        "programme": other_audit.programme_id,
        "finding": other_finding.pk,
    }


FILTERS = [
    ("/api/v1/findings/", "audit"),
    ("/api/v1/findings/", "site"),
    ("/api/v1/sites/", "organization"),
    ("/api/v1/audits/", "organization"),
    ("/api/v1/audits/", "programme"),
    ("/api/v1/evidence/", "finding"),
    ("/api/v1/evidence/", "audit"),
    ("/api/v1/nonconformities/", "audit"),
    ("/api/v1/certificates/", "organization"),
]


@pytest.mark.parametrize(("url", "name"), FILTERS)
def test_a_filter_on_another_clients_record_answers_as_for_none(
    url, name, cast, onsite_audit, other_records, api
):
    # Was 200 with an empty list for another client's id and 400 for a missing one: which ids
    # exist could be read off the answers.
    client = api(cast.client)
    foreign = client.get(url, {name: other_records[name]})
    missing = client.get(url, {name: MISSING})
    assert foreign.status_code == 400
    assert list(foreign.json()) == [name]
    _same_answer(foreign, missing, other_records[name])


@pytest.mark.parametrize(("url", "name"), FILTERS)
def test_a_filter_on_the_callers_own_record_still_filters(url, name, cast, closed_audit, api):
    own = {
        "organization": cast.org_a.pk,
        "site": closed_audit.stockholm.pk,
        "audit": closed_audit.pk,
        "programme": closed_audit.programme_id,
        "finding": closed_audit.findings.get().pk,
    }
    response = api(cast.client).get(url, {name: own[name]})
    assert response.status_code == 200, response.json()
    everything = api(cast.client).get(url).json()["count"]
    assert response.json()["count"] == everything


# -- Forms ----------------------------------------------------------------------------------------


def _form_errors(response) -> dict:
    form = response.context["form"]
    return {field: [str(error) for error in errors] for field, errors in form.errors.items()}


def _same_form_errors(foreign, missing, foreign_id):
    assert foreign.status_code == missing.status_code
    got = json.dumps(_form_errors(foreign), ensure_ascii=False).replace(str(foreign_id), "<id>")
    assert got == json.dumps(_form_errors(missing), ensure_ascii=False).replace(str(MISSING), "<id>")
    for name in ("Luleå", "Kundtjänst Norr"):
        assert name not in foreign.content.decode()


def test_the_new_finding_form_refuses_another_clients_site_as_no_site(cast, onsite_audit, login):
    url = f"/audits/{onsite_audit.pk}/checklist/{onsite_audit.clause_41.pk}/"
    body = {"grade": "conforming", "statement": "", "evidence": "", "interviewee_role": ""}
    client = login(cast.lead)
    luleå = cast.org_b.sites.get().pk
    foreign = client.post(url, {**body, "site": luleå})
    missing = client.post(url, {**body, "site": MISSING})
    assert foreign.status_code == 400
    _same_form_errors(foreign, missing, luleå)
    assert not Finding.objects.exists()


def test_the_audit_form_refuses_another_clients_site_as_no_site(cast, onsite_audit, login):
    url = f"/audits/{onsite_audit.pk}/edit/"
    body = {"mode": "on_site", "language": "en", "scope": "Inbound calls."}
    client = login(cast.staff)
    luleå = cast.org_b.sites.get().pk
    foreign = client.post(url, {**body, "sites": [luleå]})
    missing = client.post(url, {**body, "sites": [MISSING]})
    assert foreign.status_code == 200  # the form again, with the reason
    _same_form_errors(foreign, missing, luleå)
    assert "sites" in _form_errors(foreign)


def test_the_plan_day_form_refuses_another_clients_site_as_no_site(cast, onsite_audit, login):
    Audit.objects.filter(pk=onsite_audit.pk).update(status="planned")
    url = f"/audits/{onsite_audit.pk}/plan/"
    body = {"form": "day", "day-date": onsite_audit.start_date.isoformat()}
    client = login(cast.lead)
    luleå = cast.org_b.sites.get().pk
    answers = []
    for site in (luleå, MISSING):
        response = client.post(url, {**body, "day-site": site})
        assert response.status_code == 400
        answers.append({field: list(errors) for field, errors in response.context["day_form"].errors.items()})
        assert "Luleå" not in response.content.decode()
    assert answers[0] == answers[1]
    assert AuditDay.objects.filter(audit=onsite_audit).count() == 1


def test_the_team_form_refuses_a_clients_user_as_no_one(cast, onsite_audit, login):
    Audit.objects.filter(pk=onsite_audit.pk).update(status="planned")
    client = login(cast.staff)
    url = f"/audits/{onsite_audit.pk}/team/"
    foreign = client.post(url, {"user": cast.other.pk, "role": "auditor"})
    missing = client.post(url, {"user": MISSING, "role": "auditor"})
    _same_form_errors(foreign, missing, cast.other.pk)
    assert TeamMember.objects.filter(audit=onsite_audit).count() == 1


def test_the_scope_form_ignores_another_clients_site(cast, closed_audit, login):
    ready_to_certify(closed_audit)
    decision_record(audit=closed_audit, user=cast.staff, outcome="grant", rationale="Met.")
    certificate = Certificate.objects.get()
    luleå = cast.org_b.sites.get().pk
    stockholm = closed_audit.stockholm.pk
    response = login(cast.staff).post(
        f"/certificates/{certificate.pk}/scope/",
        {
            "scope-reason": "Narrower.",
            "scope-scope": "Inbound calls.",
            f"scope-site_{stockholm}": "on",
            f"scope-site_{luleå}": "on",
            f"scope-site_{luleå}_scope": "Everything",
        },
    )
    assert response.status_code == 302
    assert list(certificate.sites.values_list("site_id", flat=True)) == [stockholm]
