"""Reads of transfers, scoped to the person asking (outsiders get 404)."""

from django.db.models import QuerySet

from accounts.roles import is_staff_member
from transfers.models import Transfer


def transfers_for_user(user) -> QuerySet[Transfer]:
    """Staff all; a reviewer the transfers they review; everyone else none (404)."""
    if is_staff_member(user):
        return Transfer.objects.all()
    if not user.is_authenticated:
        return Transfer.objects.none()
    return Transfer.objects.filter(reviewer=user)
