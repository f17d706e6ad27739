"""The documents and e-mails findings makes through the outbox (outbox.registry): queued with the
change that calls for them, made by a worker once it commits, even if the broker was down."""

from django.utils.translation import gettext_lazy as _

from outbox.registry import outbox_task
from outbox.services import message_enqueue

NC_NOTICE = outbox_task("findings.tasks.send_nonconformity_notice", label=_("Nonconformity e-mail"))
NC_PDF = outbox_task("findings.tasks.generate_nc_pdf", label=_("NCR (PDF)"))
NC_SUMMARY_PDF = outbox_task("findings.tasks.generate_nc_summary_pdf", label=_("Nonconformity summary (PDF)"))
THUMBNAIL = outbox_task("findings.tasks.make_thumbnail", label=_("Evidence thumbnail"))


def nonconformity_step_queue(*, event) -> None:
    """One step of a nonconformity: its e-mail, and the NCR and its audit's summary made again."""
    nonconformity = event.nonconformity
    message_enqueue(task=NC_NOTICE, args=[event.pk], subject=nonconformity)
    message_enqueue(task=NC_PDF, args=[nonconformity.pk], subject=nonconformity)
    message_enqueue(task=NC_SUMMARY_PDF, args=[nonconformity.audit_id], subject=nonconformity.audit)


def thumbnail_queue(*, evidence) -> None:
    message_enqueue(task=THUMBNAIL, args=[evidence.pk], subject=evidence)
