"""The states an outbox message goes through: claimed by a dispatcher, run once by a worker.

pending -> sent (claimed: handed to the broker) -> done, or failed with the error; a passing
failure (the mail server or the network, an OSError) goes back to pending with a back-off.

Exactly once: a dispatcher claims a row by locking it (skip_locked, so two dispatchers never
take the same row), and the worker's run locks it again and runs only a claimed (sent) row,
marking it done in the same transaction as the task's own writes. A message delivered twice,
or a row sent again after an hour without a run, finds the row done and does nothing.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from outbox.models import MessageState, OutboxMessage
from outbox.registry import task_callable

logger = logging.getLogger(__name__)

# A row handed to the broker and not run within this time is handed over again: the broker may
# have lost the message (a restart without persistence). Longer than Redis keeps an unacknowledged
# message before giving it to another worker (its visibility timeout, one hour).
SENT_TIMEOUT = timedelta(hours=1, minutes=5)
# The wait before the next try after a passing failure: 1, 2, 4, 8 … minutes, at most an hour.
FIRST_BACKOFF = timedelta(minutes=1)
LONGEST_BACKOFF = timedelta(hours=1)
# Longest error kept on the row.
ERROR_CHARS = 2000


def due_messages(now=None):
    """Rows a dispatcher may hand to a worker now: pending and due, or sent long ago and never run."""
    now = now or timezone.now()
    return OutboxMessage.objects.filter(
        Q(state=MessageState.PENDING, available_at__lte=now)
        | Q(state=MessageState.SENT, sent_at__lt=now - SENT_TIMEOUT)
    )


def messages_claim(queryset, *, limit: int) -> list[int]:
    """Mark up to `limit` rows of `queryset` sent and return their ids, in order.

    Locked rows are skipped (another dispatcher has them); SQLite, which has no row locks, runs
    one writing transaction at a time, so the claim is as safe there.
    """
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            queryset.order_by("available_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            OutboxMessage.objects.filter(pk__in=ids).update(state=MessageState.SENT, sent_at=now)
    return ids


def message_release(*, message_id: int, error: str) -> None:
    """Put a claimed row back to pending: the broker did not take it."""
    OutboxMessage.objects.filter(pk=message_id, state=MessageState.SENT).update(
        state=MessageState.PENDING, sent_at=None, last_error=error[:ERROR_CHARS]
    )


def message_deliver(*, message_id: int) -> bool:
    """Run the row's task in this process, once; True when it ran to the end.

    A failure is kept on the row (and logged), never raised: the caller is a worker or, in the
    embedded set-up, the request that queued it.
    """
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.state != MessageState.SENT:
            # Done already (this is a second delivery), or put back by staff or a dispatcher.
            return False
        message.attempts += 1
        try:
            # A savepoint: a failing task leaves none of its writes, and the row can still record it.
            with transaction.atomic():
                task_callable(message.task)(*message.args)
        except Exception as exc:
            failure = exc
            _record_failure(message, exc)
        else:
            message.state = MessageState.DONE
            message.finished_at = timezone.now()
            message.last_error = ""
            message.save(update_fields=["state", "attempts", "finished_at", "last_error"])
            logger.info("Outbox message %s (%s %s) done.", message.pk, message.task, message.args)
            return True
    logger.warning(
        "Outbox message %s (%s %s) failed on attempt %s: now %s.",
        message.pk,
        message.task,
        message.args,
        message.attempts,
        message.state,
        exc_info=failure,
    )
    return False


def _record_failure(message: OutboxMessage, exc: Exception) -> None:
    now = timezone.now()
    message.last_error = f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
    # OSError: the mail server, the network or the disk, worth another try. Anything else (a bug,
    # a document that cannot be laid out) fails the same way again: staff see it and retry it.
    if isinstance(exc, OSError) and message.attempts < settings.OUTBOX_MAX_ATTEMPTS:
        message.state = MessageState.PENDING
        message.available_at = now + min(FIRST_BACKOFF * 2 ** (message.attempts - 1), LONGEST_BACKOFF)
    else:
        message.state = MessageState.FAILED
        message.finished_at = now
    message.save(update_fields=["state", "attempts", "last_error", "available_at", "finished_at"])
