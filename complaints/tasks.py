"""The complaints app's Celery tasks: the submitter's e-mails and the outcome letter (run through
the outbox, complaints.deliveries) and the daily deadline reminders (celery beat)."""

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from complaints.deliveries import case_email_queue, deadline_reminder_queue
from complaints.documents import outcome_letter_store
from complaints.models import Appeal, Complaint
from complaints.notices import (
    case_model,
    reminder_claim,
    reminder_occasions,
    reminder_send,
    submitter_email_send,
)


@shared_task
def send_case_email(kind: str, case_id: int, occasion: str) -> bool:
    case = case_model(kind).objects.filter(pk=case_id).first()
    if case is None:
        return False
    return submitter_email_send(case=case, occasion=occasion)


@shared_task
def generate_outcome_letter(kind: str, case_id: int) -> bool:
    """Make the outcome letter and, when it is new, have it e-mailed to the submitter: a task of its
    own, so a mail server that is down retries the e-mail, not the letter."""
    case = case_model(kind).objects.filter(pk=case_id).first()
    if case is None:
        return False
    with transaction.atomic():
        letter = outcome_letter_store(case=case)
        if letter is None:
            return False
        case_email_queue(case=case, occasion="decided")
    return True


@shared_task
def send_deadline_reminder(kind: str, case_id: int, key: str) -> bool:
    case = case_model(kind).objects.select_related("handler").filter(pk=case_id).first()
    if case is None:
        return False
    return reminder_send(case=case, key=key)


@shared_task
def run_case_deadlines() -> int:
    """Every open case near or past its acknowledge-by or answer-by date: one reminder to its
    handler per deadline and occasion (a second run the same day queues nothing). Returns how many
    were queued."""
    today = timezone.localdate()
    queued = 0
    for model in (Complaint, Appeal):
        for case in model.objects.open().select_related("handler").order_by("id"):
            for key in reminder_occasions(case, today=today):
                with transaction.atomic():
                    if reminder_claim(case, key):
                        deadline_reminder_queue(case=case, key=key)
                        queued += 1
    return queued
