"""What `make fuzz` found, pinned as plain requests so the ordinary suite keeps them fixed.

Each request goes through the real WSGI app with an API token and the fuzz's own checks (no 5xx,
the answer as the schema declares it, a refusal that says why), then the test asserts the status.
Not marked `fuzz`: these are quick and run with `make test`.
"""

import datetime

import pytest

from audits.models import Audit, TeamRole
from audits.services import audit_update
from certificates.services import certificates_daily
from core.actors import SYSTEM
from tests.factories import CompetenceFactory
from tests.fuzz.schema import SCHEMA_DOCUMENT, checked_call


def test_it_answers_404_for_a_finding_id_that_is_not_a_number(world, wsgi):
    # Was a 500: the view's own lookup let Django's ValueError through.
    headers = world.headers("lead")
    for label in (
        "GET /api/v1/findings/{id}/",
        "PATCH /api/v1/findings/{id}/",
        "DELETE /api/v1/findings/{id}/",
    ):
        response = checked_call(label, headers, wsgi, path_parameters={"id": "abc"})
        assert response.status_code == 404, label


def test_it_describes_the_plan_it_answers(world, wsgi):
    # Was described as an audit; a slot's times are local, with no UTC offset.
    response = checked_call(
        "GET /api/v1/audits/{id}/plan/", world.headers("lead"), wsgi, path_parameters={"id": world.open.pk}
    )
    assert response.status_code == 200
    assert response.json()["days"][0]["slots"][0]["start"] == "09:00:00"


def test_it_declares_the_201_of_a_new_day_and_slot(world, wsgi):
    audit = world.open
    day_after = audit.end_date + datetime.timedelta(days=1)
    audit_update(actor=SYSTEM, audit=audit, end_date=day_after)
    headers = world.headers("lead")
    site = world.cast.org_b.sites.get()
    response = checked_call(
        "POST /api/v1/audits/{id}/plan/days/",
        headers,
        wsgi,
        path_parameters={"id": audit.pk},
        body={"date": day_after.isoformat(), "site": site.pk},
        media_type="application/json",
    )
    assert response.status_code == 201, response.json()
    day = next(day for day in response.json()["days"] if day["date"] == day_after.isoformat())
    response = checked_call(
        "POST /api/v1/audits/{id}/plan/slots/",
        headers,
        wsgi,
        path_parameters={"id": audit.pk},
        body={
            "day": day["id"],
            "start": "13:00",
            "end": "15:30",
            "member": audit.team.get().pk,
            "activity": "Complaints handling",
            "clauses": ["4.2"],
        },
        media_type="application/json",
    )
    assert response.status_code == 201, response.json()


def test_it_answers_the_team_as_one_list_and_declares_each_change(world, wsgi):
    # Was described as a page of members; adding answered an undeclared 201, removing a 200.
    audit, auditor = world.open, world.cast.auditor
    CompetenceFactory(user=auditor, standard=world.cast.standard, role=TeamRole.AUDITOR)
    headers = world.headers("staff")
    ids = {"id": audit.pk}
    response = checked_call("GET /api/v1/audits/{id}/team/", headers, wsgi, path_parameters=ids)
    assert response.status_code == 200 and len(response.json()) == 1
    body = {"user": auditor.pk, "role": "auditor"}
    response = checked_call(
        "POST /api/v1/audits/{id}/team/",
        headers,
        wsgi,
        path_parameters=ids,
        body=body,
        media_type="application/json",
    )
    assert response.status_code == 201, response.json()
    response = checked_call(
        "DELETE /api/v1/audits/{id}/team/", headers, wsgi, path_parameters=ids, query={"user": auditor.pk}
    )
    assert response.status_code == 200 and len(response.json()) == 1


def test_it_answers_an_unreviewed_answer_with_no_reviewer(world, wsgi):
    response = checked_call(
        "GET /api/v1/nonconformities/{id}/",
        world.headers("lead"),
        wsgi,
        path_parameters={"id": world.answered.pk},
    )
    assert response.status_code == 200
    assert response.json()["responses"][0]["reviewed_by"] is None


def test_it_answers_an_organisation_without_sites_with_no_personnel_total(world, wsgi):
    response = checked_call(
        "POST /api/v1/organizations/",
        world.headers("staff"),
        wsgi,
        body={"legal_name": "Ny Kund AB"},
        media_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["personnel_total"] is None


@pytest.mark.parametrize("label", ["POST /api/v1/organizations/", "POST /api/v1/sites/"])
def test_it_refuses_a_country_code_of_superscript_digits(world, wsgi, label):
    # Was a 500: django-countries passed "²" (a digit, not a decimal) to int().
    body = {"legal_name": "Ny Kund AB", "organization": world.cast.org_b.pk, "name": "Nytt", "country": "²"}
    response = checked_call(label, world.headers("staff"), wsgi, body=body, media_type="application/json")
    assert response.status_code == 400
    assert "country" in response.json()


def test_it_refuses_a_site_id_too_large_for_the_database(world, wsgi):
    # Was a 500: the id overflowed the `IN (…)` query.
    response = checked_call(
        "POST /api/v1/certificates/{id}/scope/",
        world.headers("staff"),
        wsgi,
        path_parameters={"id": world.certificate.pk},
        body={"reason": "New site.", "scope": "Inbound calls.", "sites": [{"site": 2**70, "scope": ""}]},
        media_type="application/json",
    )
    assert response.status_code == 400
    assert "sites" in response.json()


def test_it_answers_a_change_by_the_daily_run_with_no_author(world, wsgi):
    certificates_daily(today=world.certificate.expiry_date + datetime.timedelta(days=1))
    response = checked_call(
        "GET /api/v1/certificates/{id}/",
        world.headers("staff"),
        wsgi,
        path_parameters={"id": world.certificate.pk},
    )
    assert response.status_code == 200
    assert response.json()["events"][-1]["by"] is None


def test_it_declares_that_audits_are_never_deleted(world, wsgi):
    # Was declared as a 204 it never gave.
    assert list(SCHEMA_DOCUMENT["paths"]["/api/v1/audits/{id}/"]["delete"]["responses"]) == ["405"]
    response = checked_call(
        "DELETE /api/v1/audits/{id}/", world.headers("staff"), wsgi, path_parameters={"id": world.open.pk}
    )
    assert response.status_code == 405
    assert Audit.objects.filter(pk=world.open.pk).exists()


@pytest.mark.parametrize("page", ["100001", "6124517960625715937280", str(2**63)])
def test_a_page_number_past_any_list_is_404_not_500(api, cast, page):
    response = api(cast.client).get(f"/api/v1/organizations/?page={page}")

    assert response.status_code == 404
    assert response.json()["detail"]
