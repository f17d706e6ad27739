from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.roles import granted_by_object, has_global_perm
from clients.models import (
    ClientMembership,
    ConsultancyDeclaration,
    Organization,
    Site,
)

VIEW_ORGANIZATION = "clients.view_organization"


def organizations_for_user(user, queryset: QuerySet[Organization] | None = None) -> QuerySet[Organization]:
    """Organisations the user may see: all for staff; for anyone else only those granted by object.

    Auditors are granted view on an organisation when they join one of its audit teams, client
    users on their own organisation when they are made its members. Global permissions count only
    for staff (the role group carries them), so a guardian grant is the only other way in.
    """
    queryset = Organization.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    # Superusers see all even when inactive, as guardian's get_objects_for_user has it.
    if user.is_superuser or has_global_perm(user, VIEW_ORGANIZATION):
        return queryset
    return queryset.filter(granted_by_object(user, VIEW_ORGANIZATION, Organization))


def get_organization_for_user(user, pk) -> Organization:
    """The organisation, or 404 for anyone who may not see it (whether or not it exists)."""
    return get_object_or_404(organizations_for_user(user), pk=pk)


def sites_for_user(user) -> QuerySet[Site]:
    return Site.objects.filter(organization__in=organizations_for_user(user))


def organization_sites(organization: Organization) -> QuerySet[Site]:
    return organization.sites.all()


def organization_memberships(organization: Organization) -> QuerySet[ClientMembership]:
    return organization.memberships.select_related("user").order_by("role", "user__username")


def organization_declarations(organization: Organization) -> QuerySet[ConsultancyDeclaration]:
    return organization.consultancy_declarations.select_related("person")


def membership_of(user) -> ClientMembership | None:
    if not user.is_authenticated:
        return None
    try:
        return user.client_membership
    except ClientMembership.DoesNotExist:
        return None
