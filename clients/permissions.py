"""Who may change organisations, sites, declarations and client users.

The rule is the role's model permission (accounts.roles.ROLE_PERMISSIONS: certification staff add
and change them; auditors and client users only read what they are granted). The pages, the
services and the API's ScopedReadStaffWrite (core.api) all ask Django's `has_perm` for it.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _


def can_change(user, action: str, model) -> bool:
    """`action` ("add", "change", "delete") on `model`, one of the clients app's models."""
    return user.has_perm(f"{model._meta.app_label}.{action}_{model._meta.model_name}")


def require_can_change(user, action: str, model) -> None:
    if not can_change(user, action, model):
        raise PermissionDenied(_("Only certification staff may do this."))
