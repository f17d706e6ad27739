"""The e-mails and letters complaints makes through the outbox (outbox.registry): queued with the
step that calls for them, made by a worker once it commits, even if the broker was down."""

from django.utils.translation import gettext_lazy as _

from outbox.registry import outbox_task
from outbox.services import message_enqueue

CASE_EMAIL = outbox_task("complaints.tasks.send_case_email", label=_("Complaint or appeal e-mail"))
OUTCOME_LETTER = outbox_task(
    "complaints.tasks.generate_outcome_letter", label=_("Complaint or appeal outcome letter")
)
DEADLINE_REMINDER = outbox_task(
    "complaints.tasks.send_deadline_reminder", label=_("Complaint or appeal deadline reminder")
)


def _kind(case) -> str:
    return case._meta.model_name


def case_email_queue(*, case, occasion: str) -> None:
    """An e-mail to the case's submitter for one occasion (received, acknowledged, progress-<entry>)."""
    message_enqueue(task=CASE_EMAIL, args=[_kind(case), case.pk, occasion], subject=case.number)


def outcome_letter_queue(*, case) -> None:
    """The outcome letter PDF, then its e-mail to the submitter."""
    message_enqueue(task=OUTCOME_LETTER, args=[_kind(case), case.pk], subject=case.number)


def deadline_reminder_queue(*, case, key: str) -> None:
    message_enqueue(task=DEADLINE_REMINDER, args=[_kind(case), case.pk, key], subject=case.number)
