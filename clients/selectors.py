import functools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404

from accounts.roles import has_global_perm
from clients.models import (
    ClientMembership,
    ConsultancyDeclaration,
    Organization,
    OrganizationGroupObjectPermission,
    OrganizationUserObjectPermission,
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
    return queryset.filter(pk__in=_granted_view(user))


def _granted_view(user) -> RawSQL:
    """Ids of the organisations on which the user, or one of their groups, holds view by object.

    What guardian's get_objects_for_user(user, "clients.view_organization",
    accept_global_perms=False) finds, as one lazy subquery on the direct tables' (user or group,
    permission, object) unique indexes. Plain SQL: the ORM took 0.6 ms a request to build it.
    """
    content_type = ContentType.objects.get_for_model(Organization)  # cached by Django
    codename = VIEW_ORGANIZATION.split(".")[1]
    return RawSQL(_granted_sql(), [user.pk, content_type.pk, codename] * 2)  # noqa: S611 - values as parameters


@functools.cache
def _granted_sql() -> str:
    user_model = get_user_model()
    user_groups = user_model.groups.through._meta
    user_column = user_groups.get_field(user_model._meta.model_name).column
    permissions = Permission._meta.db_table
    by_user = OrganizationUserObjectPermission._meta.db_table
    by_group = OrganizationGroupObjectPermission._meta.db_table
    # Names from the models' metadata, values as parameters: nothing from outside reaches the text.
    return (
        f"SELECT op.content_object_id FROM {by_user} op"  # noqa: S608
        f" INNER JOIN {permissions} p ON p.id = op.permission_id"
        " WHERE op.user_id = %s AND p.content_type_id = %s AND p.codename = %s"
        " UNION"
        f" SELECT op.content_object_id FROM {by_group} op"
        f" INNER JOIN {user_groups.db_table} ug ON ug.group_id = op.group_id"
        f" INNER JOIN {permissions} p ON p.id = op.permission_id"
        f" WHERE ug.{user_column} = %s AND p.content_type_id = %s AND p.codename = %s"
    )


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
