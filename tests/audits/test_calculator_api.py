"""GET /api/v1/audit-time/: the calculator for staff and auditors; it reads and never writes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from standards.models import Standard
from tests.conftest import CAST_NAMES

URL = "/api/v1/audit-time/"
DOMAIN_EXAMPLE = {"standard": "ISO 18295-1:2017", "personnel": "155", "sites": "3", "audit_type": "initial"}


def test_it_answers_each_cast_user_as_decided(cast, api):
    got = [api(cast.user(name)).get(URL, DOMAIN_EXAMPLE).status_code for name in CAST_NAMES]
    expected = [401, 200, 200, 200, 403, 403]
    assert got == expected, dict(zip(CAST_NAMES, got, strict=True))


def test_it_refuses_other_methods(cast, api):
    assert api(cast.staff).post(URL, DOMAIN_EXAMPLE).status_code == 405


def test_it_calculates_the_domain_example(cast, api):
    response = api(cast.auditor).get(URL, DOMAIN_EXAMPLE)
    assert response.status_code == 200
    data = response.json()
    assert data["standard"] == "ISO 18295-1:2017"
    assert data["audit_type"] == "initial"
    assert data["table_days"] == 2.5
    assert (data["days"], data["stage1_days"], data["stage2_days"]) == (3.5, 0.5, 3.0)
    assert (data["sampled_sites"], data["visited_sites"]) == (2, 3)
    assert data["warnings"] == []
    assert data["justification"][0] == (
        "Effective personnel 155 -> table value 2.5 days (ISO 18295-1:2017 table: 101-250 personnel)."
    )


def test_it_calculates_a_surveillance(cast, api):
    data = api(cast.staff).get(URL, {**DOMAIN_EXAMPLE, "audit_type": "surveillance"}).json()
    assert (data["days"], data["stage1_days"], data["sampled_sites"], data["visited_sites"]) == (
        1.0,
        None,
        1,
        2,
    )


def test_it_finds_the_standard_whatever_the_case(cast, api):
    response = api(cast.staff).get(URL, {**DOMAIN_EXAMPLE, "standard": "iso 18295-1:2017"})
    assert response.status_code == 200
    assert response.json()["standard"] == "ISO 18295-1:2017"


def test_it_takes_fractional_personnel(cast, api):
    data = api(cast.staff).get(URL, {**DOMAIN_EXAMPLE, "personnel": "25.5", "sites": "1"}).json()
    assert data["table_days"] == 2.0


def test_it_applies_adjustments(cast, api):
    query = {**DOMAIN_EXAMPLE, "adjustment": ["-10:Low complexity", "+5: Many languages"]}
    data = api(cast.staff).get(URL, query).json()
    assert data["adjustments"] == [
        {"percent": -10.0, "justification": "Low complexity"},
        {"percent": 5.0, "justification": "Many languages"},
    ]
    assert data["adjusted_days"] == 2.375
    assert "Reduction of 10 %: Low complexity." in data["justification"]


def test_it_warns_about_a_long_stage_2(cast, api):
    data = api(cast.staff).get(URL, {**DOMAIN_EXAMPLE, "personnel": "1200", "sites": "11"}).json()
    assert data["days"] == 7.0
    assert data["warnings"][0].startswith("Stage 2 needs 6.5 days, more than the 4 days one audit may last")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"standard": None}, "standard"),
        ({"standard": ""}, "standard"),
        ({"standard": "ISO 0000:1900"}, "standard"),
        ({"personnel": None}, "personnel"),
        ({"personnel": "0"}, "personnel"),
        ({"personnel": "-5"}, "personnel"),
        ({"personnel": "many"}, "personnel"),
        ({"personnel": "nan"}, "personnel"),
        ({"sites": None}, "sites"),
        ({"sites": "0"}, "sites"),
        ({"sites": "-1"}, "sites"),
        ({"sites": "two"}, "sites"),
        ({"sites": "1.5"}, "sites"),
        ({"audit_type": None}, "audit_type"),
        ({"audit_type": "weekly"}, "audit_type"),
        ({"adjustment": "10"}, "adjustment"),
        ({"adjustment": "ten:More work"}, "adjustment"),
        ({"adjustment": "-10:"}, "adjustment"),
        ({"adjustment": "-10:   "}, "adjustment"),
        ({"adjustment": ["-20:Low risk", "-15:Simple"]}, "adjustment"),
    ],
)
def test_it_names_the_bad_parameter(changes, field, cast, api):
    query = {key: value for key, value in {**DOMAIN_EXAMPLE, **changes}.items() if value is not None}
    response = api(cast.staff).get(URL, query)
    assert response.status_code == 400
    body = response.json()
    assert list(body) == [field]
    assert isinstance(body[field], list)
    assert body[field][0]


def test_it_explains_an_over_limit_reduction(cast, api):
    response = api(cast.staff).get(URL, {**DOMAIN_EXAMPLE, "adjustment": ["-20:Low risk", "-15:Simple"]})
    assert response.json() == {
        "adjustment": ["Total reductions of 35 % exceed the 30 % allowed by the scheme (IAF MD 5)."]
    }


def test_it_refuses_a_standard_without_a_scheme(cast, api):
    Standard.objects.create(code="ISO 10002:2018", title="Complaints handling", edition="2018")
    response = api(cast.staff).get(URL, {**DOMAIN_EXAMPLE, "standard": "ISO 10002:2018"})
    assert response.status_code == 400
    assert response.json() == {"standard": ["ISO 10002:2018 has no certification scheme yet."]}


def test_it_only_reads(cast, api):
    client = api(cast.staff)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {**DOMAIN_EXAMPLE, "adjustment": "-10:Low complexity"})
    assert response.status_code == 200
    statements = [query["sql"] for query in queries.captured_queries]
    assert statements
    assert all(sql.lstrip().upper().startswith("SELECT") for sql in statements), statements
    # The user's groups, then the standard with its scheme: the calculation itself reads nothing.
    assert len(statements) == 2


def test_it_is_in_the_api_schema(cast, api):
    schema = api(cast.staff).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/audit-time/"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert names == {"standard", "personnel", "sites", "audit_type", "adjustment", "integration"}
