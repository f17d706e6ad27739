from celery import shared_task
from django.utils import timezone

from certificates.documents import revision_pdf_store
from certificates.models import CertificateRevision
from certificates.services import certificates_daily

# The PDF task is run through the outbox (certificates.deliveries), which keeps each row, retries
# passing failures and keeps a failure for staff to see and retry; the daily run is celery beat's.


@shared_task
def generate_certificate_pdf(revision_id: int) -> bool:
    """Make and keep the PDF of one certificate revision; True when a file was stored."""
    revision = CertificateRevision.objects.select_related("certificate").filter(pk=revision_id).first()
    if revision is None:
        return False
    return revision_pdf_store(revision=revision)


@shared_task
def run_certificates_daily() -> dict:
    """The daily run: expire certificates past their expiry date, flag suspensions past their end."""
    return certificates_daily(today=timezone.localdate())
