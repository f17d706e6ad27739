"""Combined audits (IAF MD 11) through the API calculator, the page calculator, the audit's own time,
its plan PDF and the programme quote. The figures are those of test_combined_audit_time.py.

Nordkontakt AB (the cast's org_a) has 155 effective personnel at 3 sites: ISO 18295-1 on its own
2.5 + 2 x 0.5 = 3.5 days, ISO 9001 on its own 8 days; together 11.5 days, less 20 % = 9.2 -> 9.0.
"""

import datetime
from decimal import Decimal

import pytest

from audits.audit_time import Integration
from audits.documents import plan_pdf_render, programme_quote
from audits.models import AuditType
from audits.services import audit_compute_time, audit_update, plan_day_add, programme_create
from core.actors import SYSTEM
from core.errors import DomainError
from tests.conftest import page_text, pdf_text
from tests.factories import StandardFactory

URL = "/api/v1/audit-time/"
ISO_9001 = "ISO 9001:2015"
ISO_18295 = "ISO 18295-1:2017"
COMBINED = {"standard": [ISO_9001, ISO_18295], "personnel": "155", "sites": "1", "audit_type": "initial"}


@pytest.fixture
def qms(db):
    return StandardFactory(code=ISO_9001, title="Quality management systems", with_scheme="iaf-md5-qms")


@pytest.fixture
def combined_programme(cast, qms):
    return programme_create(actor=SYSTEM, organization=cast.org_a, standards=[qms, cast.standard])


# -- The API ------------------------------------------------------------------------------------


def test_it_sums_the_standards_given_repeated_in_the_api(cast, qms, api):
    response = api(cast.staff).get(URL, COMBINED)
    assert response.status_code == 200
    data = response.json()
    assert data["standards"] == [ISO_18295, ISO_9001]
    assert [(part["standard"], part["initial_days"]) for part in data["parts"]] == [
        (ISO_18295, 2.5),
        (ISO_9001, 8.0),
    ]
    # 8 + 2.5, not the 2.5 days of the alphabetically first standard.
    assert data["combined_days"] == data["days"] == 10.5
    assert data["integration"] is None


def test_it_applies_the_integration_reduction_in_the_api(cast, qms, api):
    query = {**COMBINED, "integration": "20:One manual and one management review"}
    data = api(cast.staff).get(URL, query).json()
    # 10.5 x 0.8 = 8.4 -> 8.5; stage 1 (2.5 + 0.5) x 0.8 = 2.4 -> 2.5.
    assert (data["days"], data["stage1_days"], data["stage2_days"]) == (8.5, 2.5, 6.0)
    assert data["integration"] == {"percent": 20.0, "justification": "One manual and one management review"}
    assert any(line.startswith("Reduction of 20 % for the integration") for line in data["justification"])
    surveillance = api(cast.staff).get(URL, {**query, "audit_type": "surveillance"}).json()
    assert surveillance["days"] == 3.0


def test_it_refuses_more_than_the_integration_limit_in_the_api(cast, qms, api):
    response = api(cast.staff).get(URL, {**COMBINED, "integration": "25:Fully integrated"})
    assert response.status_code == 400
    assert response.json() == {
        "integration": [
            "A reduction of 25 % for integration exceeds the 20 % the schemes allow for a combined audit "
            "(IAF MD 11)."
        ]
    }


@pytest.mark.parametrize(
    ("standards", "message"),
    [
        ([ISO_9001, ISO_9001], "ISO 9001:2015 is given more than once; name each standard once."),
        ([ISO_9001, "iso 9001:2015"], "ISO 9001:2015 is given more than once; name each standard once."),
        ([ISO_9001, "ISO 0000:1900"], "No standard with the code ISO 0000:1900."),
        ([ISO_9001, ""], "Name each standard by its code, for example ISO 9001:2015."),
    ],
)
def test_it_refuses_unknown_or_repeated_standards_with_a_400(standards, message, cast, qms, api):
    response = api(cast.staff).get(URL, {**COMBINED, "standard": standards})
    assert response.status_code == 400
    assert response.json() == {"standard": [message]}


def test_it_refuses_integration_for_one_standard_in_the_api(cast, api):
    query = {**COMBINED, "standard": ISO_18295, "integration": "10:Integrated"}
    response = api(cast.staff).get(URL, query)
    assert response.status_code == 400
    assert list(response.json()) == ["integration"]


def test_it_documents_the_repeated_standard_in_the_schema(cast, api):
    schema = api(cast.staff).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    parameters = {parameter["name"]: parameter for parameter in schema["paths"][URL]["get"]["parameters"]}
    assert parameters["standard"]["schema"]["type"] == "array"
    assert "integration" in parameters


# -- The page calculator ------------------------------------------------------------------------


def _calculate(client, **params):
    query = {
        "personnel": "155",
        "sites": "1",
        "audit_type": "initial",
        "adjustment-TOTAL_FORMS": "3",
        "adjustment-INITIAL_FORMS": "0",
    }
    query.update(params)
    return client.get("/calculator/", query)


def test_it_calculates_a_combined_audit_in_the_browser(cast, qms, login):
    response = _calculate(
        login(cast.auditor),
        standard=[qms.pk, cast.standard.pk],
        integration_percent="20",
        integration_justification="One manual and one management review",
    )
    body = page_text(response)
    assert response.status_code == 200
    assert "<strong>8.5</strong> days" in body
    assert "<strong>ISO 9001:2015</strong>: 8.0 days" in body
    assert "20 %: One manual and one management review" in body
    assert "Combined audit of 2 standards (IAF MD 11): 2.5 + 8.0 = 10.5 days." in body


def test_it_refuses_a_standard_chosen_twice_in_the_browser(cast, qms, login):
    response = _calculate(login(cast.staff), standard=[qms.pk, qms.pk])
    assert response.status_code == 400
    assert "A standard is chosen more than once; choose each standard once." in page_text(response)


def test_it_asks_why_for_an_integration_reduction_in_the_browser(cast, qms, login):
    response = _calculate(login(cast.staff), standard=[qms.pk, cast.standard.pk], integration_percent="10")
    assert response.status_code == 400
    assert "Say how far the client&#x27;s management systems are integrated (IAF MD 11)." in page_text(
        response
    )


# -- An audit of several standards ---------------------------------------------------------------


def test_it_computes_an_audit_of_several_standards_as_a_combined_audit(cast, combined_programme):
    stage2 = combined_programme.audits.get(audit_type=AuditType.STAGE2)
    audit_compute_time(
        actor=SYSTEM,
        audit=stage2,
        integration=Integration(Decimal("20"), "One manual and one management review"),
        seed=1,
    )
    stage2.refresh_from_db()
    # 11.5 x 0.8 = 9.2 -> 9.0; stage 1 (2.5 + 0.5) x 0.8 = 2.4 -> 2.5; stage 2 the remaining 6.5.
    assert stage2.planned_days == Decimal("6.5")
    calculation = stage2.time_calculation
    assert (calculation["days"], calculation["combined_days"]) == (9.0, 11.5)
    assert calculation["standard"] == "ISO 18295-1:2017 + ISO 9001:2015"
    assert calculation["integration"]["percent"] == 20.0
    swedish = calculation["wording"]["sv"]["justification"]
    assert any("IAF MD 11" in line for line in swedish)


def test_it_sizes_the_surveillance_of_a_combined_programme_from_the_combined_total(cast, combined_programme):
    surveillance = combined_programme.audits.get(audit_type=AuditType.SURVEILLANCE, sequence=1)
    audit_compute_time(actor=SYSTEM, audit=surveillance, seed=1)
    surveillance.refresh_from_db()
    # 11.5 x 0.3333 = 3.83 -> 4.0; ISO 18295-1 alone would give 1.0.
    assert surveillance.planned_days == Decimal("4.0")


def test_it_lets_a_combined_audit_last_longer_than_one_standards_limit(cast, combined_programme):
    stage2 = combined_programme.audits.get(audit_type=AuditType.STAGE2)
    start = datetime.date(2027, 3, 1)
    audit_update(actor=SYSTEM, audit=stage2, start_date=start, end_date=start + datetime.timedelta(days=6))
    audit_compute_time(actor=SYSTEM, audit=stage2, seed=1)
    central = stage2.sites.get(is_central_function=True)
    # ISO 18295's policy ends an audit of its own at 4 days; the combined one may take a fifth.
    for offset in range(5):
        plan_day_add(actor=SYSTEM, audit=stage2, date=start + datetime.timedelta(days=offset), site=central)
    assert stage2.days.count() == 5


def test_it_prints_the_combined_justification_on_the_plan(cast, combined_programme):
    stage2 = combined_programme.audits.get(audit_type=AuditType.STAGE2)
    audit_compute_time(
        actor=SYSTEM, audit=stage2, integration=Integration(Decimal("20"), "One manual"), seed=1
    )
    stage2.refresh_from_db()
    text = " ".join(pdf_text(plan_pdf_render(audit=stage2)).split())
    assert "Combined audit of 2 standards (IAF MD 11): 3.5 + 8.0 = 11.5 days." in text
    assert "Reduction of 20 % for the integration" in text


def test_it_quotes_a_combined_programme_on_the_combined_time(cast, combined_programme):
    quote = programme_quote(programme=combined_programme)
    days = {line.label: line.days for line in quote.lines}
    # No reduction chosen yet: 11.5 days, stage 1 2.5 + 0.5 = 3.0, stage 2 8.5; surveillance
    # 11.5 x 0.3333 = 3.83 -> 4.0; recertification 11.5 x 0.6667 = 7.67 -> 7.5.
    assert (days["Stage 1"], days["Stage 2"], days["Surveillance 1"], days["Recertification"]) == (
        Decimal("3.0"),
        Decimal("8.5"),
        Decimal("4.0"),
        Decimal("7.5"),
    )
    assert any("ISO 18295-1:2017 + ISO 9001:2015 together" in note for note in quote.notes)


def test_it_quotes_with_the_integration_chosen_for_the_programme(cast, combined_programme):
    stage1 = combined_programme.audits.get(audit_type=AuditType.STAGE1)
    audit_compute_time(
        actor=SYSTEM, audit=stage1, integration=Integration(Decimal("20"), "One manual"), seed=1
    )
    days = {line.label: line.days for line in programme_quote(programme=combined_programme).lines}
    # 9.0 days: stage 1 2.5 (planned), stage 2 6.5, surveillance 9 x 0.3333 = 3.0.
    assert (days["Stage 1"], days["Stage 2"], days["Surveillance 1"]) == (
        Decimal("2.5"),
        Decimal("6.5"),
        Decimal("3.0"),
    )


def test_it_refuses_a_combined_audit_whose_standard_lost_its_scheme(cast, combined_programme, qms):
    qms.scheme.delete()
    stage2 = combined_programme.audits.get(audit_type=AuditType.STAGE2)
    with pytest.raises(DomainError, match="No certification scheme is set up for ISO 9001:2015"):
        audit_compute_time(actor=SYSTEM, audit=stage2, seed=1)


# -- The audit's time page ------------------------------------------------------------------------


def _time_form(**fields):
    return {
        "adjustment-TOTAL_FORMS": "3",
        "adjustment-INITIAL_FORMS": "0",
        "adjustment-MIN_NUM_FORMS": "0",
        "adjustment-MAX_NUM_FORMS": "10",
        **fields,
    }


def test_it_records_the_integration_reduction_from_the_audit_time_page(cast, combined_programme, login):
    stage2 = combined_programme.audits.get(audit_type=AuditType.STAGE2)
    url = f"/audits/{stage2.pk}/time/"
    client = login(cast.staff)
    # The scheme's integration criteria are there to weigh.
    assert "One management review of the whole business strategy and plan" in page_text(client.get(url))
    response = client.post(
        url, _time_form(integration_percent="20", integration_justification="One manual and one review")
    )
    assert response.status_code == 302
    stage2.refresh_from_db()
    assert stage2.planned_days == Decimal("6.5")
    assert stage2.time_calculation["integration"] == {
        "percent": 20.0,
        "justification": "One manual and one review",
    }
    body = page_text(client.get(url))
    assert 'value="One manual and one review"' in body
    assert "Reduction for integration</dt><dd>20 %: One manual and one review" in body


def test_it_refuses_an_integration_reduction_over_20_percent_on_the_page(cast, combined_programme, login):
    stage2 = combined_programme.audits.get(audit_type=AuditType.STAGE2)
    response = login(cast.staff).post(
        f"/audits/{stage2.pk}/time/",
        _time_form(integration_percent="25", integration_justification="Integrated"),
    )
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 20." in page_text(response)
    stage2.refresh_from_db()
    assert stage2.planned_days is None


def test_it_offers_no_integration_reduction_for_one_standard(cast, programme, login):
    stage2 = programme.audits.get(audit_type=AuditType.STAGE2)
    body = page_text(login(cast.staff).get(f"/audits/{stage2.pk}/time/"))
    assert "integration_percent" not in body


# -- The audit's time over the API ----------------------------------------------------------------


def test_it_computes_a_combined_audit_with_its_integration_over_the_api(cast, combined_programme, api):
    stage2 = combined_programme.audits.get(audit_type=AuditType.STAGE2)
    response = api(cast.staff).post(
        f"/api/v1/audits/{stage2.pk}/compute-time/",
        {"integration": "20:One manual and one review", "adjustment": ["-10:Low complexity"]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    stage2.refresh_from_db()
    calculation = stage2.time_calculation
    # ISO 18295-1: 2.5 x 0.9 = 2.25 + 1.0 = 3.25 -> 3.5; ISO 9001: 8 x 0.9 = 7.2 -> 7.0;
    # together 10.5, less 20 % = 8.4 -> 8.5.
    assert (calculation["combined_days"], calculation["days"]) == (10.5, 8.5)
    assert calculation["integration"] == {"percent": 20.0, "justification": "One manual and one review"}


def test_it_refuses_an_integration_over_the_limit_over_the_api(cast, combined_programme, api):
    stage2 = combined_programme.audits.get(audit_type=AuditType.STAGE2)
    response = api(cast.staff).post(
        f"/api/v1/audits/{stage2.pk}/compute-time/", {"integration": "30:Integrated"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["integration"]
    stage2.refresh_from_db()
    assert stage2.planned_days is None


def test_it_still_computes_the_plain_time_without_a_body(cast, combined_programme, api):
    stage2 = combined_programme.audits.get(audit_type=AuditType.STAGE2)
    assert api(cast.staff).post(f"/api/v1/audits/{stage2.pk}/compute-time/").status_code == 200
    stage2.refresh_from_db()
    assert stage2.time_calculation["days"] == 11.5
