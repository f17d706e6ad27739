"""The audit report made through the outbox (outbox.registry): queued with the closing that calls for
it, made by a worker once it commits, even if the broker was down."""

from django.utils.translation import gettext_lazy as _

from outbox.models import OutboxMessage
from outbox.registry import outbox_task
from outbox.selectors import latest_message
from outbox.services import message_enqueue

REPORT_PDF = outbox_task("reports.tasks.generate_report_pdf", label=_("Audit report (PDF)"))


def report_pdf_queue(*, audit) -> None:
    message_enqueue(task=REPORT_PDF, args=[audit.pk], subject=audit)


def report_delivery(audit) -> OutboxMessage | None:
    """How making the audit's report went: the latest outbox row for it, None if never queued."""
    return latest_message(task=REPORT_PDF, args=[audit.pk])
