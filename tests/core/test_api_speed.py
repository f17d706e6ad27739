"""The API's shortcuts in core.api (the paginator that counts only a full page, filter sets built once)
answer exactly as Django's, DRF's and django-filter's own."""

import itertools

import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator

from clients.models import Organization
from core.api import CountingOnlyFullPagesPaginator, FilterBackend
from tests.conftest import token_client
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


URL = "/api/v1/organizations/"


def _outcome(paginator, number):
    try:
        page = paginator.page(number)
    except (EmptyPage, PageNotAnInteger) as exc:
        return type(exc).__name__, str(exc)
    return list(page), page.number, paginator.count, paginator.num_pages, page.has_next(), page.has_previous()


def test_the_paginator_answers_as_djangos():
    numbers = [1, 2, 3, 4, "1", "2", "3", 0, -1, "0", "x", None, 2.0, 1.5, "1.0"]
    for size, per_page in itertools.product(range(8), range(1, 4)):
        items = list(range(size))
        for number in numbers:
            expected = _outcome(Paginator(items, per_page), number)
            got = _outcome(CountingOnlyFullPagesPaginator(items, per_page), number)
            assert got == expected, (size, per_page, number)


def test_the_paginator_counts_only_a_full_page(cast, django_assert_num_queries):
    organizations = Organization.objects.order_by("legal_name", "id")
    with django_assert_num_queries(1):
        page = CountingOnlyFullPagesPaginator(organizations, 50).page(1)
        assert (len(page), page.paginator.count, page.has_next()) == (2, 2, False)
    with django_assert_num_queries(2):
        page = CountingOnlyFullPagesPaginator(organizations, 2).page(1)
        assert (len(page), page.paginator.count, page.has_next()) == (2, 2, False)
    OrganizationFactory(legal_name="Öresund Kontakt AB")
    with django_assert_num_queries(1):
        page = CountingOnlyFullPagesPaginator(organizations, 2).page(2)
        assert [o.legal_name for o in page] == ["Öresund Kontakt AB"]
        assert (page.paginator.count, page.has_next(), page.has_previous()) == (3, False, True)


def test_the_api_pages_as_before(cast):
    client = token_client(cast.staff)
    first = client.get(URL, {"page_size": 1}).json()
    assert (first["count"], first["previous"]) == (2, None)
    assert first["next"].endswith("/api/v1/organizations/?page=2&page_size=1")
    second = client.get(URL, {"page_size": 1, "page": 2}).json()
    assert (second["count"], second["next"]) == (2, None)
    assert [row["legal_name"] for row in second["results"]] == ["Nordkontakt AB"]
    last = client.get(URL, {"page_size": 1, "page": "last"}).json()
    assert last["results"] == second["results"]
    for page in (3, 0, "x"):
        response = client.get(URL, {"page_size": 1, "page": page})
        assert (response.status_code, response.json()) == (404, {"detail": "Invalid page."})


def test_filters_still_filter_and_refuse_bad_values(cast):
    client = token_client(cast.staff)
    rows = client.get(URL, {"city": "Luleå"}).json()["results"]
    assert [row["legal_name"] for row in rows] == ["Kundtjänst Norr AB"]
    assert client.get(URL, {"country": "SE"}).json()["count"] == 2
    assert client.get(URL, {"country": "NO"}).json()["count"] == 0
    response = client.get(URL, {"country": "XX"})
    assert response.status_code == 400
    assert "country" in response.json()
    rows = client.get("/api/v1/sites/", {"organization": cast.org_b.pk}).json()["results"]
    assert [row["name"] for row in rows] == ["Luleå"]
    assert client.get("/api/v1/sites/", {"organization": "nope"}).status_code == 400


def test_a_views_filterset_class_is_built_once(cast):
    from clients.api import OrganizationViewSet

    view = OrganizationViewSet()
    queryset = Organization.objects.all()
    built = FilterBackend().get_filterset_class(view, queryset)
    assert FilterBackend().get_filterset_class(view, queryset) is built
    assert sorted(built.base_filters) == ["city", "country"]
