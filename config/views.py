from django.core.exceptions import PermissionDenied


def require_perm(user, perm: str) -> None:
    """403 for a signed-in user who may see a record but not change it."""
    if not user.has_perm(perm):
        raise PermissionDenied
