"""Role groups and the model permissions they carry.

Roles are Django groups. Model (global) permissions say what a role may do with a kind of
record; which organisations and audits a person may see is granted per object with guardian.
"""

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS

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
        ("audits", "standard", ("add", "change", "view")),
        ("audits", "clause", ("add", "change", "view")),
        ("audits", "certificationscheme", ("change", "view")),
        ("audits", "competence", ("add", "change", "delete", "view")),
        ("audits", "certificationprogramme", ("add", "change", "view")),
        ("audits", "audit", ("add", "change", "view")),
        ("audits", "certificate", ("add", "change", "view")),
        ("audits", "decision", ("add", "view")),
    ],
    AUDITORS: [
        ("audits", "standard", ("view",)),
        ("audits", "clause", ("view",)),
        ("audits", "certificationscheme", ("view",)),
    ],
    CLIENT_USERS: [
        ("audits", "standard", ("view",)),
        ("audits", "clause", ("view",)),
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
    # One query per request at most: the names are cached on the user object.
    cache = getattr(user, "_certdesk_group_names", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True))
        user._certdesk_group_names = cache
    return name in cache
