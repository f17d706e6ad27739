import logging

from celery import shared_task
from django.conf import settings
from django.utils import translation

from audits.deliveries import plan_email_queue
from audits.documents import latest_document, plan_document_create, plan_email_send
from audits.models import Audit, AuditDocument, DocumentKind
from core.errors import DomainError

logger = logging.getLogger(__name__)


# The document and e-mail tasks are run through the outbox (audits.deliveries), which keeps each
# row, retries passing failures and keeps a failure for staff to see and retry.


@shared_task
def generate_plan_pdf(audit_id: int) -> bool:
    """Store the confirmed plan as a PDF and, when it is new, have it e-mailed to the client.

    Returns False when there was nothing new: the audit is gone or the plan is unchanged since the
    last PDF, so running the task again never sends the client the same plan twice.
    """
    audit = Audit.objects.filter(pk=audit_id).first()
    if audit is None:
        return False
    # The documents go to the client, not to whoever confirmed the plan: the body's own language.
    with translation.override(settings.LANGUAGE_CODE):
        previous = latest_document(audit, DocumentKind.PLAN)
        try:
            document = plan_document_create(audit=audit)
        except DomainError as refusal:
            # Cancelled since it was confirmed, say: nothing to send, and retrying will not help.
            logger.warning("No plan PDF for audit %s: %s", audit_id, refusal.message)
            return False
    if previous is not None and document.pk == previous.pk:
        return False
    # A task of its own, so a mail server that is down retries the e-mail, not the PDF: a retried
    # PDF would find the plan unchanged and the e-mail would never go. Queued with the PDF's row.
    plan_email_queue(document=document)
    return True


@shared_task
def send_plan_email(document_id: int) -> bool:
    document = AuditDocument.objects.select_related("audit__organization").filter(pk=document_id).first()
    if document is None:
        return False
    if latest_document(document.audit, DocumentKind.PLAN) != document:
        # The plan changed again before this ran; the newer PDF has its own e-mail.
        return False
    with translation.override(settings.LANGUAGE_CODE):
        return plan_email_send(audit=document.audit, document=document)
