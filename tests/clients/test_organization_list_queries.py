"""A client listing its one organisation stays cheap (the scenario the benchmark times), and the site
totals read per row are the aggregates over its sites."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext

from clients.models import Organization, Site
from tests.conftest import token_client
from tests.factories import OrganizationFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db


URL = "/api/v1/organizations/"


def test_a_client_lists_its_organisation_in_three_queries(cast, django_assert_num_queries):
    client = token_client(cast.client)
    client.get(URL)
    # The token with its user, the global permission, the page (no COUNT: the page shows the total).
    with django_assert_num_queries(3):
        response = client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (1, None, None)
    assert [row["legal_name"] for row in body["results"]] == ["Nordkontakt AB"]
    assert (body["results"][0]["site_count"], body["results"][0]["personnel_total"]) == (3, "155.0")


def test_staff_list_every_organisation_in_three_queries(cast, django_assert_num_queries):
    client = token_client(cast.staff)
    with django_assert_num_queries(3):
        response = client.get(URL)
    assert [row["legal_name"] for row in response.json()["results"]] == [
        "Kundtjänst Norr AB",
        "Nordkontakt AB",
    ]


def test_a_superuser_needs_no_permission_query(cast, django_assert_num_queries):
    client = token_client(UserFactory(username="root", is_superuser=True))
    with django_assert_num_queries(2):
        response = client.get(URL)
    assert response.json()["count"] == 2


def test_site_totals_are_the_aggregates_and_count_needs_no_group_by(cast):
    OrganizationFactory(legal_name="Utan platser AB")
    SiteFactory(organization=cast.org_b, name="Kiruna", effective_personnel=Decimal("7.5"))
    aggregated = Organization.objects.annotate(
        site_count=Count("sites", distinct=True), personnel_total=Sum("sites__effective_personnel")
    )
    expected = {o.pk: (o.site_count, o.personnel_total) for o in aggregated}
    got = {o.pk: (o.site_count, o.personnel_total) for o in Organization.objects.with_site_totals()}
    assert got == expected
    assert got[cast.org_b.pk] == (2, Decimal("19.5"))
    with CaptureQueriesContext(connection) as queries:
        assert Organization.objects.with_site_totals().count() == 3
    assert "GROUP BY" not in queries[0]["sql"] and "clients_site" not in queries[0]["sql"]
    # Nested in another query, the totals still refer to their own organisation.
    busy = Organization.objects.with_site_totals().filter(site_count__gte=2)
    assert Site.objects.filter(organization__in=busy).count() == 5
