"""Who may dispose of records: one function per rule (see certificates/permissions.py)."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from accounts.roles import is_staff_member


def can_dispose(user) -> bool:
    """Certification staff see the organisations due for disposal and confirm each disposal."""
    return is_staff_member(user)


def require_can_dispose(user) -> None:
    if not can_dispose(user):
        raise PermissionDenied(_("Only certification staff dispose of records."))
