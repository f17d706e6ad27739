"""The documents and e-mails audits makes through the outbox (outbox.registry): queued with the
change that calls for them, made by a worker once it commits, even if the broker was down."""

from django.utils.translation import gettext_lazy as _

from outbox.registry import outbox_task
from outbox.services import message_enqueue

PLAN_PDF = outbox_task("audits.tasks.generate_plan_pdf", label=_("Audit plan (PDF)"))
PLAN_EMAIL = outbox_task("audits.tasks.send_plan_email", label=_("Audit plan e-mail to the client"))


def plan_pdf_queue(*, audit) -> None:
    message_enqueue(task=PLAN_PDF, args=[audit.pk], subject=audit)


def plan_email_queue(*, document) -> None:
    message_enqueue(task=PLAN_EMAIL, args=[document.pk], subject=document.audit)
