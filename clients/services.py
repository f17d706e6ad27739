"""Writes to organisations, sites, declarations and client users. Each checks who acts
(clients.permissions) and the record, then saves."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from accounts.deliveries import invitation_queue
from accounts.models import SecurityEventKind
from accounts.roles import CLIENT_USERS, role_group
from accounts.security import record
from clients.models import ClientMembership, ClientRole, ConsultancyDeclaration, Organization, Site
from clients.permissions import require_can_change
from core.actors import check
from core.errors import ConflictError

ORGANIZATION_FIELDS = (
    "legal_name",
    "org_number",
    "address",
    "postal_code",
    "city",
    "country",
    "contact_name",
    "contact_email",
    "contact_phone",
)
SITE_FIELDS = (
    "name",
    "address",
    "postal_code",
    "city",
    "country",
    "is_central_function",
    "effective_personnel",
    "activities",
)


def _apply(instance, fields: tuple[str, ...], data: dict):
    unknown = set(data) - set(fields)
    if unknown:
        raise TypeError(f"Unexpected fields: {', '.join(sorted(unknown))}")
    for name, value in data.items():
        setattr(instance, name, value)
    # full_clean runs field validators, clean() and the named constraints, so a bad value is a
    # ValidationError with a message per field, never an IntegrityError.
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def organization_create(*, actor, **data) -> Organization:
    check(actor, require_can_change, "add", Organization)
    return _apply(Organization(), ORGANIZATION_FIELDS, data)


@transaction.atomic
def organization_update(*, actor, organization: Organization, **data) -> Organization:
    check(actor, require_can_change, "change", Organization)
    return _apply(organization, ORGANIZATION_FIELDS, data)


@transaction.atomic
def site_create(*, actor, organization: Organization, **data) -> Site:
    check(actor, require_can_change, "add", Site)
    return _apply(Site(organization=organization), SITE_FIELDS, data)


@transaction.atomic
def site_update(*, actor, site: Site, **data) -> Site:
    check(actor, require_can_change, "change", Site)
    return _apply(site, SITE_FIELDS, data)


@transaction.atomic
def site_delete(*, actor, site: Site) -> None:
    check(actor, require_can_change, "delete", Site)
    # Audits record which sites they visited; that history must stay intact.
    if site.audits.exists():
        raise ConflictError(
            "This site has been planned in an audit and cannot be deleted. Set its personnel to 0 instead."
        )
    try:
        site.delete()
    except ProtectedError:
        # Findings, plan days and certificates refer to sites as well, by protected foreign keys.
        raise ConflictError(
            _("This site is on record in an audit or a certificate and cannot be deleted.")
        ) from None


def organization_personnel(organization: Organization) -> Decimal:
    return sum((site.effective_personnel for site in organization.sites.all()), Decimal(0))


@transaction.atomic
def declaration_create(*, actor, organization: Organization, **data) -> ConsultancyDeclaration:
    check(actor, require_can_change, "add", ConsultancyDeclaration)
    declaration = ConsultancyDeclaration(organization=organization, **data)
    declaration.full_clean()
    declaration.save()
    return declaration


def organization_grant_view(*, user, organization: Organization) -> None:
    """Let a user (an auditor on its audit team, or a client user) see the organisation.

    With organization_revoke_view, a step of the services that checked who acts
    (team_member_add and _remove, client_membership_create and _delete), never called alone.
    """
    assign_perm("clients.view_organization", user, organization)
    record(
        SecurityEventKind.PERMISSION_GRANTED,
        organization=organization,
        target=f"user {user.username}",
        permission="clients.view_organization",
    )


def organization_revoke_view(*, user, organization: Organization) -> None:
    remove_perm("clients.view_organization", user, organization)
    record(
        SecurityEventKind.PERMISSION_REVOKED,
        organization=organization,
        target=f"user {user.username}",
        permission="clients.view_organization",
    )


@transaction.atomic
def client_user_create(
    *,
    actor,
    organization: Organization,
    username: str,
    email: str,
    first_name: str = "",
    last_name: str = "",
    role: str = ClientRole.RESPONDER,
    language: str = "en",
    password: str | None = None,
    send_invitation: bool = True,
):
    """Create a client's user, make it a member of the organisation and invite it by e-mail.

    Without a password the account can only be entered through the invitation's set-password
    link, so nobody at the certification body ever knows a client's password.
    """
    check(actor, require_can_change, "add", ClientMembership)
    User = get_user_model()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "This username is already taken."})
    if email and User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "A user with this e-mail address already exists."})
    user = User(username=username, email=email, first_name=first_name, last_name=last_name, language=language)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    client_membership_create(actor=actor, user=user, organization=organization, role=role)
    if send_invitation and email:
        # Recorded with the user, sent once this commits (or once the broker is back).
        invitation_queue(user=user)
    return user


@transaction.atomic
def client_membership_create(*, actor, user, organization: Organization, role: str) -> ClientMembership:
    check(actor, require_can_change, "add", ClientMembership)
    if ClientMembership.objects.filter(user=user).exists():
        raise ConflictError(f"{user} already belongs to a client organisation.")
    membership = ClientMembership(user=user, organization=organization, role=role)
    membership.full_clean()
    membership.save()
    user.groups.add(role_group(CLIENT_USERS))
    organization_grant_view(user=user, organization=organization)
    return membership


@transaction.atomic
def client_membership_delete(*, actor, membership: ClientMembership) -> None:
    check(actor, require_can_change, "delete", ClientMembership)
    organization_revoke_view(user=membership.user, organization=membership.organization)
    membership.user.groups.remove(role_group(CLIENT_USERS))
    membership.delete()
