"""The documents and e-mails audits makes through the outbox (outbox.registry): queued with the
change that calls for them, made by a worker once it commits, even if the broker was down."""

from django.utils.translation import gettext_lazy as _

from outbox.models import OutboxMessage
from outbox.registry import outbox_task
from outbox.selectors import latest_message
from outbox.services import message_enqueue

PLAN_PDF = outbox_task("audits.tasks.generate_plan_pdf", label=_("Audit plan (PDF)"))
PLAN_EMAIL = outbox_task("audits.tasks.send_plan_email", label=_("Audit plan e-mail to the client"))
REPORT_PDF = outbox_task("audits.tasks.generate_report_pdf", label=_("Audit report (PDF)"))


def plan_pdf_queue(*, audit) -> None:
    message_enqueue(task=PLAN_PDF, args=[audit.pk], subject=audit)


def plan_email_queue(*, document) -> None:
    message_enqueue(task=PLAN_EMAIL, args=[document.pk], subject=document.audit)


def report_pdf_queue(*, audit) -> None:
    message_enqueue(task=REPORT_PDF, args=[audit.pk], subject=audit)


def report_delivery(audit) -> OutboxMessage | None:
    """How making the audit's report went: the latest outbox row for it, None if never queued."""
    return latest_message(task=REPORT_PDF, args=[audit.pk])
