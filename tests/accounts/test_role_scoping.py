"""Who sees which organisations and sites: the role groups and the global permission read in one
query each and kept for the request, the object grants (guardian's direct tables) as one subquery."""

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group, Permission
from guardian.shortcuts import assign_perm

from accounts.roles import AUDITORS, STAFF, has_global_perm, is_auditor, is_staff_member, role_group
from clients.selectors import organizations_for_user, sites_for_user
from tests.conftest import fresh
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _names(queryset) -> list[str]:
    return sorted(organization.legal_name for organization in queryset)


def test_staff_see_all_auditors_what_they_were_granted_clients_their_own(cast):
    everyone = ["Kundtjänst Norr AB", "Nordkontakt AB"]
    assert _names(organizations_for_user(fresh(cast.staff))) == everyone
    assert _names(organizations_for_user(fresh(cast.lead))) == ["Nordkontakt AB"]
    assert _names(organizations_for_user(fresh(cast.auditor))) == []
    assert _names(organizations_for_user(fresh(cast.client))) == ["Nordkontakt AB"]
    assert _names(organizations_for_user(fresh(cast.other))) == ["Kundtjänst Norr AB"]
    assert _names(organizations_for_user(AnonymousUser())) == []


def test_sites_follow_the_organisations(cast):
    assert sorted(site.name for site in sites_for_user(fresh(cast.client))) == [
        "Göteborg",
        "Malmö",
        "Stockholm",
    ]
    assert [site.name for site in sites_for_user(fresh(cast.lead))] == [
        site.name for site in cast.org_a.sites.all()
    ]
    assert list(sites_for_user(fresh(cast.auditor))) == []
    assert sites_for_user(fresh(cast.staff)).count() == 4


def test_a_grant_to_one_of_the_users_groups_counts(cast):
    group = Group.objects.create(name="Regional auditors")
    cast.auditor.groups.add(group)
    assign_perm("clients.view_organization", group, cast.org_b)
    assert _names(organizations_for_user(fresh(cast.auditor))) == ["Kundtjänst Norr AB"]


def test_an_object_grant_of_another_permission_does_not_count(cast):
    assign_perm("clients.change_organization", cast.auditor, cast.org_b)
    assert _names(organizations_for_user(fresh(cast.auditor))) == []


def test_the_global_permission_given_to_the_user_alone_shows_all(cast):
    cast.auditor.user_permissions.add(Permission.objects.get(codename="view_organization"))
    assert organizations_for_user(fresh(cast.auditor)).count() == 2


def test_an_inactive_user_keeps_only_object_grants_and_an_inactive_superuser_sees_all(cast):
    # As before: ModelBackend ignores an inactive user's global permissions; guardian does not
    # check is_active, and gives a superuser everything.
    get_user_model().objects.filter(pk=cast.staff.pk).update(is_active=False)
    assign_perm("clients.view_organization", cast.staff, cast.org_b)
    assert _names(organizations_for_user(fresh(cast.staff))) == ["Kundtjänst Norr AB"]
    root = UserFactory(username="root", is_superuser=True, is_active=False)
    assert organizations_for_user(fresh(root)).count() == 2


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
        assert has_global_perm(fresh(user), perm) == fresh(user).has_perm(perm), (user.username, perm)
    assert has_global_perm(AnonymousUser(), "standards.view_standard") is False


def test_has_global_perm_asks_once_per_permission_and_request(cast, django_assert_num_queries):
    staff = fresh(cast.staff)
    with django_assert_num_queries(1):
        assert has_global_perm(staff, "clients.view_organization")
        assert has_global_perm(staff, "clients.view_organization")


def test_roles_read_the_users_groups_in_one_query(cast, django_assert_num_queries):
    both = UserFactory(username="both")
    both.groups.add(role_group(STAFF), role_group(AUDITORS), Group.objects.create(name="Readers"))
    for user in (cast.staff, cast.lead, cast.client, both, UserFactory(username="none")):
        reloaded = fresh(user)
        names = set(reloaded.groups.values_list("name", flat=True))
        with django_assert_num_queries(1):
            assert is_staff_member(reloaded) == (STAFF in names), user.username
            assert is_auditor(reloaded) == (AUDITORS in names), user.username
    assert (is_staff_member(AnonymousUser()), is_auditor(AnonymousUser())) == (False, False)
