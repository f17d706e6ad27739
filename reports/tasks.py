import logging

from celery import shared_task
from django.conf import settings
from django.utils import translation

from audits.documents import latest_document
from audits.models import Audit, DocumentKind
from core.errors import DomainError
from reports.documents import report_document_create

logger = logging.getLogger(__name__)


# Run through the outbox (reports.deliveries), which keeps each row, retries passing failures and
# keeps a failure for staff to see and retry.


@shared_task
def generate_report_pdf(audit_id: int) -> bool:
    """Store the closed audit's report as a PDF.

    Returns False when there was nothing new: the audit is gone, not closed, or its report is
    unchanged since the last PDF, so running the task again never stores the same report twice.
    """
    audit = Audit.objects.filter(pk=audit_id).first()
    if audit is None:
        return False
    # The report goes to the client: the body's own language, not that of whoever closed the audit.
    with translation.override(settings.LANGUAGE_CODE):
        previous = latest_document(audit, DocumentKind.REPORT)
        try:
            document = report_document_create(audit=audit)
        except DomainError as refusal:
            logger.warning("No report PDF for audit %s: %s", audit_id, refusal.message)
            return False
    return previous is None or document.pk != previous.pk
