"""Reads for records retention: when an organisation's records may go, and what stops them."""

import datetime

from django.db.models import Exists, Max, OuterRef, Prefetch, Q
from django.utils.translation import gettext as _

from audits.cycle import add_months
from audits.models import AuditStatus
from certificates.models import Certificate, CertificateEvent, CertificateEventKind, CertificateStatus
from clients.models import Organization
from complaints.models import Appeal, Complaint
from records.models import Disposal, DisposalDue
from standards.models import CertificationScheme, Standard

OPEN_CERTIFICATE = (CertificateStatus.ACTIVE, CertificateStatus.SUSPENDED)
OPEN_AUDIT = (AuditStatus.PLANNED, AuditStatus.CONFIRMED, AuditStatus.IN_PROGRESS)
ENDED_CERTIFICATE = (CertificateStatus.WITHDRAWN, CertificateStatus.EXPIRED)
DEFAULT_RETENTION_YEARS = CertificationScheme._meta.get_field("records_retention_years").get_default()


def disposal_blockers(organization: Organization) -> list[str]:
    """Why the organisation's records may not be disposed of now; empty when nothing stops it.

    The one place for the rule "nothing is disposed of while something is open": an open
    certificate (active or suspended), an audit not closed or cancelled, and a complaint (about
    the organisation or filed by it) or an appeal not closed.
    """
    blockers = [
        _("Certificate %(number)s is %(status)s.")
        % {"number": number, "status": CertificateStatus(status).label.lower()}
        for number, status in organization.certificates.filter(status__in=OPEN_CERTIFICATE)
        .order_by("number")
        .values_list("number", "status")
    ]
    blockers += [
        _("The audit %(audit)s is %(status)s.")
        % {"audit": audit.label, "status": audit.get_status_display().lower()}
        for audit in organization.audits.filter(status__in=OPEN_AUDIT).order_by("start_date", "pk")
    ]
    complaints = Complaint.objects.open().filter(
        Q(organization=organization) | Q(submitter_organization=organization)
    )
    blockers += [
        _("The complaint %(number)s is not closed.") % {"number": number}
        for number in complaints.order_by("number").values_list("number", flat=True)
    ]
    blockers += [
        _("The appeal %(number)s is not closed.") % {"number": number}
        for number in Appeal.objects.open()
        .filter(organization=organization)
        .order_by("number")
        .values_list("number", flat=True)
    ]
    return blockers


def certificate_ended_on(certificate: Certificate) -> datetime.date | None:
    """The day an ended certificate ended: its withdrawal, or its expiry; None while it is open.

    Reads certificate.withdrawals when prefetched (see `_retention_prefetches`).
    """
    if certificate.status == CertificateStatus.EXPIRED:
        return certificate.expiry_date
    if certificate.status == CertificateStatus.WITHDRAWN:
        withdrawals = getattr(certificate, "withdrawals", None)
        if withdrawals is None:
            withdrawals = list(certificate.events.filter(kind=CertificateEventKind.WITHDRAWN))
        moments = [event.at for event in withdrawals]
        ended = max(moments).date() if moments else certificate.updated_at.date()
        return min(ended, certificate.expiry_date)
    return None


def retention_years(certificate: Certificate) -> int:
    """The longest retention of the certificate's schemes (a standard without one: the default)."""
    years = []
    for standard in certificate.standards.all():
        try:
            years.append(standard.scheme.records_retention_years)
        except CertificationScheme.DoesNotExist:
            years.append(DEFAULT_RETENTION_YEARS)
    return max(years, default=DEFAULT_RETENTION_YEARS)


def retention_ends_on(organization: Organization) -> datetime.date | None:
    """The day the organisation's records may go: the latest certificate end plus its retention.

    None while a certificate is open or when it never held one.
    """
    ends = []
    for certificate in organization.certificates.all():
        ended = certificate_ended_on(certificate)
        if ended is None:
            return None
        ends.append(add_months(ended, 12 * retention_years(certificate)))
    return max(ends, default=None)


def _retention_prefetches() -> tuple[Prefetch, ...]:
    return (
        Prefetch(
            "certificates",
            queryset=Certificate.objects.prefetch_related(
                Prefetch("standards", queryset=Standard.objects.select_related("scheme")),
                Prefetch(
                    "events",
                    queryset=CertificateEvent.objects.filter(kind=CertificateEventKind.WITHDRAWN),
                    to_attr="withdrawals",
                ),
            ),
        ),
    )


def organizations_due_for_disposal(*, today: datetime.date) -> list[tuple[Organization, datetime.date]]:
    """Organisations whose every certificate ended more than the retention ago, with no open audit,
    complaint or appeal (disposal_blockers' rules, as a query) and not yet disposed of, with the
    day their retention ended; a fixed number of queries."""
    candidates = (
        Organization.objects.filter(certificates__isnull=False)
        .exclude(certificates__status__in=OPEN_CERTIFICATE)
        .exclude(audits__status__in=OPEN_AUDIT)
        .exclude(
            Exists(
                Complaint.objects.open().filter(
                    Q(organization=OuterRef("pk")) | Q(submitter_organization=OuterRef("pk"))
                )
            )
        )
        .exclude(Exists(Appeal.objects.open().filter(organization=OuterRef("pk"))))
        .exclude(disposal__isnull=False)
        .distinct()
        .order_by("legal_name", "pk")
        .prefetch_related(*_retention_prefetches())
    )
    due = []
    for organization in candidates:
        ended = retention_ends_on(organization)
        if ended is not None and ended < today:
            due.append((organization, ended))
    return due


def disposals_due():
    """The nightly run's list, as staff see it: not yet disposed of."""
    return DisposalDue.objects.filter(organization__disposal__isnull=True).select_related("organization")


def disposal_log():
    return Disposal.objects.select_related("disposed_by")


def last_listed_at():
    return DisposalDue.objects.aggregate(last=Max("listed_at"))["last"]


def is_due(organization: Organization, *, today: datetime.date) -> bool:
    """Whether the organisation's retention has ended (its blockers are read apart)."""
    found = Organization.objects.filter(pk=organization.pk).prefetch_related(*_retention_prefetches()).first()
    ended = retention_ends_on(found) if found is not None else None
    return ended is not None and ended < today
