"""Reads of decisions and certificates."""

import datetime

from django.db.models import QuerySet

from accounts.roles import is_staff_member
from audits.models import Audit, AuditStatus
from certificates.models import Certificate, CertificateStatus
from clients.selectors import membership_of


def certificates_for_user(user):
    """Staff all; a client's users their organisation's; everyone else none (404)."""
    if is_staff_member(user):
        return Certificate.objects.all()
    membership = membership_of(user)
    if membership is not None:
        return Certificate.objects.filter(organization_id=membership.organization_id)
    return Certificate.objects.none()


def decisions_waiting() -> QuerySet[Audit]:
    """Closed audits that lead to a decision and have none yet (staff's home page)."""
    return (
        Audit.objects.filter(
            status=AuditStatus.CLOSED,
            audit_type__in=["stage2", "surveillance", "special", "recertification"],
            decision__isnull=True,
        )
        .select_related("organization")
        .prefetch_related("standards", "sites")
        .order_by("closed_at", "id")
    )


def certificates_expiring(today: datetime.date, *, days: int = 120):
    """Active certificates expiring within `days`: their recertification must be done before."""
    return Certificate.objects.filter(
        status=CertificateStatus.ACTIVE, expiry_date__lte=today + datetime.timedelta(days=days)
    ).order_by("expiry_date", "number")
