import pytest
from django.contrib.auth.models import Group

from accounts.roles import AUDITORS, CLIENT_USERS, ROLE_PERMISSIONS, STAFF, ensure_role_groups
from clients.models import ClientMembership
from clients.services import client_membership_delete, organization_grant_view, organization_revoke_view
from core.actors import SYSTEM

pytestmark = pytest.mark.django_db


def test_it_creates_the_role_groups_on_migrate():
    names = set(Group.objects.values_list("name", flat=True))
    assert {STAFF, AUDITORS, CLIENT_USERS} <= names


def test_it_keeps_role_permissions_exactly_as_declared():
    staff = Group.objects.get(name=STAFF)
    staff.permissions.clear()
    ensure_role_groups()
    expected = {f"{action}_{model}" for _, model, actions in ROLE_PERMISSIONS[STAFF] for action in actions}
    assert set(staff.permissions.values_list("codename", flat=True)) == expected


def test_it_gives_auditors_no_global_view_of_clients(cast):
    assert not cast.auditor.has_perm("clients.view_organization")
    assert cast.staff.has_perm("clients.view_organization")


def test_it_grants_and_revokes_view_on_one_organization(cast):
    auditor = type(cast.auditor).objects.get(pk=cast.auditor.pk)
    organization_grant_view(user=auditor, organization=cast.org_b)
    auditor = type(cast.auditor).objects.get(pk=cast.auditor.pk)
    assert auditor.has_perm("clients.view_organization", cast.org_b)
    assert not auditor.has_perm("clients.view_organization", cast.org_a)
    organization_revoke_view(user=auditor, organization=cast.org_b)
    auditor = type(cast.auditor).objects.get(pk=cast.auditor.pk)
    assert not auditor.has_perm("clients.view_organization", cast.org_b)


def test_it_revokes_access_when_a_client_user_leaves(cast):
    client_membership_delete(actor=SYSTEM, membership=ClientMembership.objects.get(user=cast.client))
    client = type(cast.client).objects.get(pk=cast.client.pk)
    assert not client.has_perm("clients.view_organization", cast.org_a)
    assert not client.groups.filter(name=CLIENT_USERS).exists()


def test_it_stores_object_permissions_in_the_direct_tables(cast):
    from clients.models import OrganizationUserObjectPermission

    assert OrganizationUserObjectPermission.objects.filter(
        user=cast.client, content_object=cast.org_a
    ).exists()
