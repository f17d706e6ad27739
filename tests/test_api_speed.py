"""Issue 9: a client listing its one organisation stays cheap, and every shortcut behind it
(scoping, the global permission check, paging, filtering, serializing, the site totals) answers
exactly as the slow way it replaced did."""

import itertools
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import assign_perm, get_objects_for_user
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.authentication import TokenAuthentication
from accounts.roles import AUDITORS, STAFF, has_global_perm, is_auditor, is_staff_member, role_group
from clients.api import OrganizationSerializer
from clients.models import Organization, Site
from clients.selectors import organizations_for_user, sites_for_user
from core.api import CountingOnlyFullPagesPaginator, FilterBackend
from tests.factories import OrganizationFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/organizations/"


def _token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def _fresh(user):
    """The user as a new request sees them: no permission cached on the object."""
    return get_user_model().objects.get(pk=user.pk)


def _names(queryset) -> list[str]:
    return sorted(organization.legal_name for organization in queryset)


# -- The request the benchmark times --------------------------------------------------------------


def test_a_client_lists_its_organisation_in_three_queries(cast, django_assert_num_queries):
    client = _token_client(cast.client)
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
    client = _token_client(cast.staff)
    with django_assert_num_queries(3):
        response = client.get(URL)
    assert [row["legal_name"] for row in response.json()["results"]] == [
        "Kundtjänst Norr AB",
        "Nordkontakt AB",
    ]


def test_a_superuser_needs_no_permission_query(cast, django_assert_num_queries):
    client = _token_client(UserFactory(username="root", is_superuser=True))
    with django_assert_num_queries(2):
        response = client.get(URL)
    assert response.json()["count"] == 2


def test_anonymous_gets_401(cast):
    response = APIClient().get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


# -- The token ------------------------------------------------------------------------------------


def test_the_token_gives_its_user_and_itself_as_drfs_did(cast):
    token = Token.objects.create(user=cast.client)
    user, auth = TokenAuthentication().authenticate_credentials(token.key)
    assert (user.pk, user.username, user.is_active) == (cast.client.pk, "client", True)
    assert (auth.pk, auth.user_id, auth.user is user) == (token.key, cast.client.pk, True)
    assert auth.created == token.created  # loaded when asked for
    assert user.password == cast.client.password  # a whole user, as DRF's select_related gave


def test_the_tokens_user_has_every_value_as_the_orm_reads_it(cast):
    from django.utils import timezone

    get_user_model().objects.filter(pk=cast.staff.pk).update(last_login=timezone.now(), language="sv")
    token = Token.objects.create(user=cast.staff)
    user, _ = TokenAuthentication().authenticate_credentials(token.key)
    orm = get_user_model().objects.get(pk=cast.staff.pk)
    for field in orm._meta.concrete_fields:
        ours, theirs = getattr(user, field.attname), getattr(orm, field.attname)
        assert (ours, type(ours)) == (theirs, type(theirs)), field.name
    assert timezone.is_aware(user.last_login) and user.is_staff is True
    assert user._state.adding is False and user._state.db == "default"
    assert user.get_deferred_fields() == set()


def test_a_wrong_token_or_an_inactive_users_gets_401_as_before(cast):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    response = client.get(URL)
    assert (response.status_code, response.json()) == (401, {"detail": "Invalid token."})
    inactive = _token_client(cast.client)
    get_user_model().objects.filter(pk=cast.client.pk).update(is_active=False)
    response = inactive.get(URL)
    assert (response.status_code, response.json()) == (401, {"detail": "User inactive or deleted."})
    swedish = inactive.get(URL, HTTP_ACCEPT_LANGUAGE="sv")
    assert swedish.json() == {"detail": "Användaren är inaktiv eller borttagen."}


def test_the_token_and_its_user_are_one_query(cast, django_assert_num_queries):
    token = Token.objects.create(user=cast.client)
    with django_assert_num_queries(1):
        user, _ = TokenAuthentication().authenticate_credentials(token.key)
        assert user.get_full_name() is not None


# -- Scoping --------------------------------------------------------------------------------------


def test_staff_see_all_auditors_what_they_were_granted_clients_their_own(cast):
    everyone = ["Kundtjänst Norr AB", "Nordkontakt AB"]
    assert _names(organizations_for_user(_fresh(cast.staff))) == everyone
    assert _names(organizations_for_user(_fresh(cast.lead))) == ["Nordkontakt AB"]
    assert _names(organizations_for_user(_fresh(cast.auditor))) == []
    assert _names(organizations_for_user(_fresh(cast.client))) == ["Nordkontakt AB"]
    assert _names(organizations_for_user(_fresh(cast.other))) == ["Kundtjänst Norr AB"]
    assert _names(organizations_for_user(AnonymousUser())) == []


def test_sites_follow_the_organisations(cast):
    assert sorted(site.name for site in sites_for_user(_fresh(cast.client))) == [
        "Göteborg",
        "Malmö",
        "Stockholm",
    ]
    assert [site.name for site in sites_for_user(_fresh(cast.lead))] == [
        site.name for site in cast.org_a.sites.all()
    ]
    assert list(sites_for_user(_fresh(cast.auditor))) == []
    assert sites_for_user(_fresh(cast.staff)).count() == 4


def test_a_grant_to_one_of_the_users_groups_counts(cast):
    group = Group.objects.create(name="Regional auditors")
    cast.auditor.groups.add(group)
    assign_perm("clients.view_organization", group, cast.org_b)
    assert _names(organizations_for_user(_fresh(cast.auditor))) == ["Kundtjänst Norr AB"]


def test_an_object_grant_of_another_permission_does_not_count(cast):
    assign_perm("clients.change_organization", cast.auditor, cast.org_b)
    assert _names(organizations_for_user(_fresh(cast.auditor))) == []


def test_the_global_permission_given_to_the_user_alone_shows_all(cast):
    cast.auditor.user_permissions.add(Permission.objects.get(codename="view_organization"))
    assert organizations_for_user(_fresh(cast.auditor)).count() == 2


def test_an_inactive_user_keeps_only_object_grants_and_an_inactive_superuser_sees_all(cast):
    # As before: ModelBackend ignores an inactive user's global permissions; guardian does not
    # check is_active, and gives a superuser everything.
    get_user_model().objects.filter(pk=cast.staff.pk).update(is_active=False)
    assign_perm("clients.view_organization", cast.staff, cast.org_b)
    assert _names(organizations_for_user(_fresh(cast.staff))) == ["Kundtjänst Norr AB"]
    root = UserFactory(username="root", is_superuser=True, is_active=False)
    assert organizations_for_user(_fresh(root)).count() == 2


def _legacy_organizations_for_user(user):
    """The scoping as it was: has_perm, then guardian's get_objects_for_user."""
    if user.has_perm("clients.view_organization"):
        return Organization.objects.all()
    return get_objects_for_user(
        user, "clients.view_organization", klass=Organization.objects.all(), accept_global_perms=False
    )


def test_it_scopes_every_kind_of_user_as_guardian_did(cast):
    group = Group.objects.create(name="Group with a grant")
    assign_perm("clients.view_organization", group, cast.org_a)
    in_group = UserFactory(username="in-group")
    in_group.groups.add(group)
    direct = UserFactory(username="direct")
    direct.user_permissions.add(Permission.objects.get(codename="view_organization"))
    inactive_staff = UserFactory(username="inactive-staff", is_active=False)
    inactive_staff.groups.add(role_group(STAFF))
    assign_perm("clients.view_organization", inactive_staff, cast.org_b)
    superuser = UserFactory(username="root", is_superuser=True)
    users = [cast.staff, cast.lead, cast.auditor, cast.client, cast.other]
    users += [in_group, direct, inactive_staff, superuser]
    for user in users:
        expected = _names(_legacy_organizations_for_user(_fresh(user)))
        assert _names(organizations_for_user(_fresh(user))) == expected, user.username


# -- The global permission check ------------------------------------------------------------------


def test_has_global_perm_answers_as_has_perm(cast):
    inactive = UserFactory(username="inactive", is_active=False)
    inactive.groups.add(role_group(STAFF))
    direct = UserFactory(username="direct")
    direct.user_permissions.add(Permission.objects.get(codename="change_site"))
    superuser = UserFactory(username="root", is_superuser=True)
    users = [cast.staff, cast.lead, cast.auditor, cast.client, inactive, direct, superuser]
    perms = [
        "clients.view_organization",
        "clients.change_site",
        "standards.view_standard",
        "audits.no_such_thing",
    ]
    for user, perm in itertools.product(users, perms):
        assert has_global_perm(_fresh(user), perm) == _fresh(user).has_perm(perm), (user.username, perm)
    assert has_global_perm(AnonymousUser(), "standards.view_standard") is False


def test_has_global_perm_asks_once_per_permission_and_request(cast, django_assert_num_queries):
    staff = _fresh(cast.staff)
    with django_assert_num_queries(1):
        assert has_global_perm(staff, "clients.view_organization")
        assert has_global_perm(staff, "clients.view_organization")


def test_roles_read_the_users_groups_as_the_orm_does_in_one_query(cast, django_assert_num_queries):
    both = UserFactory(username="both")
    both.groups.add(role_group(STAFF), role_group(AUDITORS), Group.objects.create(name="Readers"))
    for user in (cast.staff, cast.lead, cast.client, both, UserFactory(username="none")):
        fresh = _fresh(user)
        names = set(fresh.groups.values_list("name", flat=True))
        with django_assert_num_queries(1):
            assert is_staff_member(fresh) == (STAFF in names), user.username
            assert is_auditor(fresh) == (AUDITORS in names), user.username
    assert (is_staff_member(AnonymousUser()), is_auditor(AnonymousUser())) == (False, False)


# -- Paging ---------------------------------------------------------------------------------------


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
    client = _token_client(cast.staff)
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


# -- Filtering ------------------------------------------------------------------------------------


def test_filters_still_filter_and_refuse_bad_values(cast):
    client = _token_client(cast.staff)
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


# -- Serializing and the site totals --------------------------------------------------------------


def test_the_shared_fields_serialize_as_the_serializers_own(cast):
    empty = OrganizationFactory(legal_name="Utan platser AB", country="NO")
    SiteFactory(organization=cast.org_b, name="Kiruna", effective_personnel=Decimal("0.5"))
    for organization in Organization.objects.with_site_totals():
        own = OrganizationSerializer()
        own.fields  # noqa: B018 - builds this serializer's fields, as a write does
        assert OrganizationSerializer(organization).data == own.to_representation(organization)
    row = OrganizationSerializer(Organization.objects.with_site_totals().get(pk=empty.pk)).data
    assert (row["site_count"], row["personnel_total"], row["country"]) == (0, None, "NO")


def test_site_totals_match_the_aggregates_and_count_needs_no_group_by(cast):
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
