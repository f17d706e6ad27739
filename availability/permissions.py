"""Who may enter whose unavailability: one function per rule (see certificates/permissions.py)."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from accounts.roles import is_auditor, is_staff_member


def can_enter_unavailability(user, person) -> bool:
    """An auditor enters their own; certification staff enter anyone's."""
    if is_staff_member(user):
        return True
    return is_auditor(user) and user.pk == person.pk


def require_can_enter_unavailability(user, person) -> None:
    if not can_enter_unavailability(user, person):
        raise PermissionDenied(_("You can enter only your own unavailability."))
