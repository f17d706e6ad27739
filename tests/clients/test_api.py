"""The foundation's API: scoped reads, staff writes, 401/403/404 as decided, constant queries."""

import pytest
from rest_framework.authtoken.models import Token

from clients.models import Organization, Site
from tests.conftest import CAST_NAMES
from tests.factories import ClauseFactory, OrganizationFactory, SiteFactory

# endpoint -> expected GET status per cast user (anonymous, staff, lead, auditor, client, other).
READS = {
    "organization list": ("/api/v1/organizations/", [401, 200, 200, 200, 200, 200]),
    "organization a": ("/api/v1/organizations/{a}/", [401, 200, 200, 404, 200, 404]),
    "organization b": ("/api/v1/organizations/{b}/", [401, 200, 404, 404, 404, 200]),
    "site list": ("/api/v1/sites/", [401, 200, 200, 200, 200, 200]),
    "site a": ("/api/v1/sites/{site_a}/", [401, 200, 200, 404, 200, 404]),
    "standard list": ("/api/v1/standards/", [401, 200, 200, 200, 200, 200]),
    "standard": ("/api/v1/standards/{standard}/", [401, 200, 200, 200, 200, 200]),
    "clause tree": ("/api/v1/standards/{standard}/clauses/", [401, 200, 200, 200, 200, 200]),
    "unknown standard": ("/api/v1/standards/999999/", [401, 404, 404, 404, 404, 404]),
    "schema": ("/api/schema/", [401, 200, 200, 200, 200, 200]),
    "docs": ("/api/docs/", [401, 200, 200, 200, 200, 200]),
}


def _url(template, cast):
    return template.format(
        a=cast.org_a.pk,
        b=cast.org_b.pk,
        site_a=cast.org_a.sites.first().pk,
        standard=cast.standard.pk,
    )


@pytest.mark.parametrize("endpoint", READS)
def test_it_answers_reads_as_decided(endpoint, cast, api):
    template, expected = READS[endpoint]
    url = _url(template, cast)
    got = [api(cast.user(name)).get(url).status_code for name in CAST_NAMES]
    assert got == expected, f"{endpoint}: {dict(zip(CAST_NAMES, got, strict=True))}"


def _names(response):
    return sorted(row["legal_name"] for row in response.json()["results"])


def test_it_scopes_the_organization_list(cast, api):
    assert _names(api(cast.staff).get("/api/v1/organizations/")) == ["Kundtjänst Norr AB", "Nordkontakt AB"]
    assert _names(api(cast.client).get("/api/v1/organizations/")) == ["Nordkontakt AB"]
    assert _names(api(cast.other).get("/api/v1/organizations/")) == ["Kundtjänst Norr AB"]
    assert _names(api(cast.lead).get("/api/v1/organizations/")) == ["Nordkontakt AB"]
    assert _names(api(cast.auditor).get("/api/v1/organizations/")) == []


def test_it_scopes_the_site_list(cast, api):
    rows = api(cast.other).get("/api/v1/sites/").json()["results"]
    assert [row["name"] for row in rows] == ["Luleå"]
    rows = api(cast.client).get("/api/v1/sites/").json()["results"]
    assert sorted(row["name"] for row in rows) == ["Göteborg", "Malmö", "Stockholm"]


def test_it_cannot_be_widened_by_a_filter(cast, api):
    # Another client's organisation is refused as one that does not exist: no list at all.
    response = api(cast.client).get("/api/v1/sites/", {"organization": cast.org_b.pk})
    missing = api(cast.client).get("/api/v1/sites/", {"organization": 999_999})
    assert (response.status_code, response.json()) == (missing.status_code, missing.json())
    assert response.status_code == 400


def test_it_reports_site_totals(cast, api):
    row = api(cast.client).get(f"/api/v1/organizations/{cast.org_a.pk}/").json()
    assert row["site_count"] == 3
    assert row["personnel_total"] == "155.0"


def test_it_accepts_a_token(cast):
    from rest_framework.test import APIClient

    token = Token.objects.create(user=cast.other)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert _names(client.get("/api/v1/organizations/")) == ["Kundtjänst Norr AB"]


def test_it_lets_staff_create_an_organization(cast, api):
    data = {"legal_name": "Samtal Syd AB", "org_number": "5561234500", "country": "SE", "city": "Malmö"}
    response = api(cast.staff).post("/api/v1/organizations/", data, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["org_number"] == "556123-4500"
    assert response.json()["site_count"] == 0
    assert Organization.objects.filter(legal_name="Samtal Syd AB").exists()


def test_it_refuses_a_bad_organization_number_with_400(cast, api):
    data = {"legal_name": "Samtal Syd AB", "org_number": "556123-4501", "country": "SE"}
    response = api(cast.staff).post("/api/v1/organizations/", data, format="json")
    assert response.status_code == 400
    assert "check digit" in response.json()["org_number"][0]
    assert not Organization.objects.filter(legal_name="Samtal Syd AB").exists()


def test_it_refuses_a_duplicate_number_with_400(cast, api):
    data = {"legal_name": "Copy AB", "org_number": cast.org_b.org_number, "country": "SE"}
    response = api(cast.staff).post("/api/v1/organizations/", data, format="json")
    assert response.status_code == 400
    assert "already registered" in str(response.json())


@pytest.mark.parametrize("name", ["lead", "auditor", "client", "other"])
def test_it_refuses_organization_creation_to_non_staff(name, cast, api):
    response = api(cast.user(name)).post("/api/v1/organizations/", {"legal_name": "X AB"}, format="json")
    assert response.status_code == 403
    assert not Organization.objects.filter(legal_name="X AB").exists()


@pytest.mark.parametrize(
    ("name", "status"), [("staff", 200), ("lead", 403), ("auditor", 404), ("client", 403), ("other", 404)]
)
def test_it_lets_only_staff_change_an_organization(name, status, cast, api):
    response = api(cast.user(name)).patch(
        f"/api/v1/organizations/{cast.org_a.pk}/", {"contact_name": "Changed"}, format="json"
    )
    assert response.status_code == status
    cast.org_a.refresh_from_db()
    assert (cast.org_a.contact_name == "Changed") is (status == 200)


def test_it_does_not_delete_organizations(cast, api):
    response = api(cast.staff).delete(f"/api/v1/organizations/{cast.org_a.pk}/")
    assert response.status_code == 405
    assert Organization.objects.filter(pk=cast.org_a.pk).exists()


def test_it_lets_staff_add_a_site(cast, api):
    data = {"organization": cast.org_b.pk, "name": "Kiruna", "city": "Kiruna", "effective_personnel": "7.5"}
    response = api(cast.staff).post("/api/v1/sites/", data, format="json")
    assert response.status_code == 201, response.json()
    assert Site.objects.get(name="Kiruna").organization == cast.org_b


def test_it_refuses_a_second_central_function_in_the_api(cast, api):
    data = {
        "organization": cast.org_b.pk,
        "name": "Kiruna",
        "city": "Kiruna",
        "effective_personnel": "5",
        "is_central_function": True,
    }
    response = api(cast.staff).post("/api/v1/sites/", data, format="json")
    assert response.status_code == 400
    assert "central function" in str(response.json())
    assert not Site.objects.filter(name="Kiruna").exists()


def test_it_refuses_moving_a_site(cast, api):
    site = cast.org_a.sites.get(name="Malmö")
    response = api(cast.staff).patch(
        f"/api/v1/sites/{site.pk}/", {"organization": cast.org_b.pk}, format="json"
    )
    assert response.status_code == 400
    site.refresh_from_db()
    assert site.organization == cast.org_a


def test_it_refuses_sites_on_unseen_organizations_to_clients(cast, api):
    data = {"organization": cast.org_b.pk, "name": "Kiruna", "city": "Kiruna", "effective_personnel": "5"}
    response = api(cast.client).post("/api/v1/sites/", data, format="json")
    assert response.status_code == 403
    assert not Site.objects.filter(name="Kiruna").exists()


@pytest.mark.parametrize(("name", "status"), [("staff", 204), ("client", 403), ("other", 404)])
def test_it_deletes_sites_for_staff_only(name, status, cast, api):
    site = cast.org_a.sites.get(name="Malmö")
    response = api(cast.user(name)).delete(f"/api/v1/sites/{site.pk}/")
    assert response.status_code == status
    assert Site.objects.filter(pk=site.pk).exists() is (status != 204)


def test_it_refuses_deleting_a_site_an_audit_visited(cast, api):
    from audits.models import Audit, AuditType

    site = cast.org_a.sites.get(name="Malmö")
    audit = Audit.objects.create(organization=cast.org_a, audit_type=AuditType.STAGE1)
    audit.sites.add(site)
    response = api(cast.staff).delete(f"/api/v1/sites/{site.pk}/")
    assert response.status_code == 409
    assert "cannot be deleted" in response.json()["detail"]
    assert Site.objects.filter(pk=site.pk).exists()


def test_it_serves_the_clause_tree_nested(cast, api):
    tree = api(cast.client).get(f"/api/v1/standards/{cast.standard.pk}/clauses/").json()
    assert [node["number"] for node in tree] == ["4"]
    assert [child["number"] for child in tree[0]["children"]] == ["4.1", "4.2"]
    assert tree[0]["auditable"] is False


def test_it_filters_and_searches(cast, api):
    rows = api(cast.staff).get("/api/v1/organizations/", {"search": "norr"}).json()["results"]
    assert [row["legal_name"] for row in rows] == ["Kundtjänst Norr AB"]
    rows = api(cast.staff).get("/api/v1/sites/", {"is_central_function": "true"}).json()["results"]
    assert sorted(row["name"] for row in rows) == ["Luleå", "Stockholm"]


def test_it_ignores_ordering_by_unlisted_fields(cast, api):
    response = api(cast.staff).get("/api/v1/organizations/", {"ordering": "contact_email"})
    assert response.status_code == 200
    assert _names(response) == ["Kundtjänst Norr AB", "Nordkontakt AB"]


@pytest.mark.parametrize(
    ("url", "grow"),
    [
        ("/api/v1/organizations/", lambda cast: SiteFactory(organization=OrganizationFactory())),
        ("/api/v1/sites/", lambda cast: SiteFactory(organization=OrganizationFactory())),
        ("/api/v1/standards/", lambda cast: ClauseFactory()),
        ("/api/v1/standards/{standard}/clauses/", lambda cast: ClauseFactory(standard=cast.standard)),
    ],
)
@pytest.mark.parametrize("name", ["staff", "lead", "client"])
def test_it_lists_in_a_constant_number_of_queries(url, grow, name, cast, api, django_assert_max_num_queries):
    user = cast.user(name)
    url = url.format(standard=cast.standard.pk)

    def fresh_client():
        # A new user object per request, as in production: its permission caches start empty.
        return api(type(user).objects.get(pk=user.pk))

    client = fresh_client()
    with django_assert_max_num_queries(8) as few:
        assert client.get(url).status_code == 200
    for _ in range(25):
        grow(cast)
    client = fresh_client()
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_client_may_ask_for_bigger_pages_up_to_200(api, cast):
    for n in range(120):
        SiteFactory(organization=cast.org_a, name=f"Extra {n}")

    default = api(cast.staff).get("/api/v1/sites/").json()
    bigger = api(cast.staff).get("/api/v1/sites/?page_size=100").json()
    capped = api(cast.staff).get("/api/v1/sites/?page_size=5000").json()

    assert len(default["results"]) == 50
    assert len(bigger["results"]) == 100
    assert len(capped["results"]) == min(200, capped["count"])


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    "url",
    ["/api/v1/findings/", "/api/v1/sites/", "/api/v1/evidence/", "/api/v1/audits/", "/api/v1/organizations/"],
)
def test_a_browser_gets_json_and_no_form_that_lists_other_clients_records(url, cast, login):
    # DRF's browsable API offered every write as a form whose choices named other clients' sites
    # and audits; the API answers JSON only (its documentation is /api/docs/).
    other_site = cast.org_b.sites.first()
    response = login(cast.client).get(url, HTTP_ACCEPT=BROWSER_ACCEPT)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.content.decode()
    assert "<option" not in body and other_site.name not in body
    assert login(cast.client).get(url, HTTP_ACCEPT="text/html").status_code == 406
    assert (
        login(cast.client)
        .get("/api/docs/", HTTP_ACCEPT=BROWSER_ACCEPT)["Content-Type"]
        .startswith("text/html")
    )
