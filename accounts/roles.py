"""Role groups and the model permissions they carry.

Roles are Django groups. Model (global) permissions say what a role may do with a kind of
record; which organisations and audits a person may see is granted per object with guardian.
"""

import functools

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q, QuerySet
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

STAFF = "Certification staff"
AUDITORS = "Auditors"
CLIENT_USERS = "Client users"

# (app_label, model, actions). Staff hold global view permissions, so they see every client;
# auditors and client users hold none on organisations or audits and see only what is granted
# to them object by object.
ROLE_PERMISSIONS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    STAFF: [
        ("clients", "organization", ("add", "change", "view")),
        ("clients", "site", ("add", "change", "delete", "view")),
        ("clients", "consultancydeclaration", ("add", "change", "delete", "view")),
        ("clients", "clientmembership", ("add", "change", "delete", "view")),
        ("standards", "standard", ("add", "change", "view")),
        ("standards", "clause", ("add", "change", "view")),
        ("standards", "certificationscheme", ("change", "view")),
        ("audits", "competence", ("add", "change", "delete", "view")),
        ("audits", "certificationprogramme", ("add", "change", "view")),
        ("audits", "audit", ("add", "change", "view")),
        ("certificates", "certificate", ("add", "change", "view")),
        ("certificates", "decision", ("add", "view")),
        # The outbox's staff page (outgoing e-mails and documents) and its retry.
        ("outbox", "outboxmessage", ("change", "view")),
    ],
    AUDITORS: [
        ("standards", "standard", ("view",)),
        ("standards", "clause", ("view",)),
        ("standards", "certificationscheme", ("view",)),
    ],
    CLIENT_USERS: [
        ("standards", "standard", ("view",)),
        ("standards", "clause", ("view",)),
    ],
}


def _permissions_for(entries, using):
    permissions = []
    for app_label, model, actions in entries:
        # get_for_model creates the content type when this runs before the app's own handler.
        content_type = ContentType.objects.db_manager(using).get_for_model(apps.get_model(app_label, model))
        for action in actions:
            permission, _ = Permission.objects.using(using).get_or_create(
                content_type=content_type,
                codename=f"{action}_{model}",
                defaults={"name": f"Can {action} {content_type.name}"},
            )
            permissions.append(permission)
    return permissions


def ensure_role_groups(using: str = DEFAULT_DB_ALIAS) -> dict[str, Group]:
    """Create the role groups and give each exactly the permissions in ROLE_PERMISSIONS."""
    groups = {}
    for name, entries in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        group.permissions.set(_permissions_for(entries, using))
        groups[name] = group
    return groups


def role_group(name: str) -> Group:
    return Group.objects.get(name=name)


def is_staff_member(user) -> bool:
    return user.is_authenticated and (user.is_superuser or _in_group(user, STAFF))


def is_auditor(user) -> bool:
    return user.is_authenticated and _in_group(user, AUDITORS)


def _in_group(user, name: str) -> bool:
    # One query per request at most: the names are kept on the user object, as ModelBackend keeps
    # the user's permissions.
    names = getattr(user, "_certdesk_group_names", None)
    if names is None:
        names = user._certdesk_group_names = set(user.groups.values_list("name", flat=True))
    return name in names


def has_global_perm(user, perm: str) -> bool:
    """`user.has_perm(perm)` without an object, in one small query instead of loading all permissions.

    The same answer as Django's ModelBackend (guardian's backend grants nothing without an
    object): an active superuser holds every permission, another active user those given to them
    or to one of their groups, an inactive or anonymous user none. Kept on the user object, as
    ModelBackend keeps its own, so a request asks the database once per permission.
    """
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    held = getattr(user, "_certdesk_global_perms", None)
    if held is None:
        held = user._certdesk_global_perms = {}
    if perm not in held:
        held[perm] = _permission(perm).filter(Q(user=user) | Q(group__user=user)).exists()
    return held[perm]


def granted_by_object(user, perm: str, model) -> Q:
    """A filter for the `model` rows on which the user, or one of their groups, holds `perm` by object.

    What guardian's get_objects_for_user(user, perm, klass=model, accept_global_perms=False)
    finds, as two lazy subqueries on the model's direct foreign-key grant tables (which guardian
    names); get_objects_for_user itself runs two queries before the list's own.
    """
    by_user, by_group = _grants(perm, model)
    return Q(pk__in=by_user.filter(user=user)) | Q(pk__in=by_group.filter(group__user=user))


# Querysets built once per permission and filtered per request, as a generic view's `queryset`
# is: never evaluated themselves, each filter() is a new query. They hold names, never ids, so they
# stay right whatever the database. Building them costs the ORM more than the database's answer.


@functools.cache
def _permission(perm: str) -> QuerySet:
    app_label, codename = perm.split(".", 1)
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename)


@functools.cache
def _grants(perm: str, model) -> tuple[QuerySet, QuerySet]:
    """The user grants and the group grants of `perm` on `model`, as ids of the model's rows."""
    codename = perm.split(".", 1)[1]
    permission = {
        "permission__content_type__app_label": model._meta.app_label,
        "permission__content_type__model": model._meta.model_name,
        "permission__codename": codename,
    }
    return tuple(
        grants.objects.filter(**permission).values("content_object_id")
        for grants in (get_user_obj_perms_model(model), get_group_obj_perms_model(model))
    )
