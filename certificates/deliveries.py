"""The certificate PDFs made through the outbox (outbox.registry): queued with the change that calls
for them, made by a worker once it commits, even if the broker was down."""

from django.utils.translation import gettext_lazy as _

from outbox.registry import outbox_task
from outbox.services import message_enqueue

CERTIFICATE_PDF = outbox_task("certificates.tasks.generate_certificate_pdf", label=_("Certificate (PDF)"))


def certificate_pdf_queue(*, revision) -> None:
    message_enqueue(task=CERTIFICATE_PDF, args=[revision.pk], subject=revision)
