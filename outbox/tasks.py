"""Handing outbox rows to the workers: after each commit at once, and from celery beat for the rest.

The hand-over never blocks a request for long nor raises to it: the broker is given a short
connection timeout and no publish retries (config/settings.py), and once it has failed this
process leaves the rows to the periodic dispatcher for a while rather than wait on every commit.
"""

import logging
import time
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from outbox.delivery import due_messages, message_deliver, message_release, messages_claim
from outbox.models import MessageState, OutboxMessage

logger = logging.getLogger(__name__)

# After a failed hand-over, this process leaves new rows to the periodic dispatcher this long.
BROKER_PAUSE_SECONDS = 30
# Rows one periodic run hands over; the next run takes the rest.
DISPATCH_BATCH = 500

_broker_down_until = 0.0


@shared_task(ignore_result=True)
def deliver(message_id: int) -> bool:
    """Run one claimed row's task in this worker (outbox.delivery.message_deliver)."""
    return message_deliver(message_id=message_id)


@shared_task(ignore_result=True)
def dispatch_due() -> int:
    """celery beat, every OUTBOX_DISPATCH_SECONDS: hand every due row to the workers."""
    return messages_dispatch_due()


@shared_task(ignore_result=True)
def purge_done() -> int:
    """celery beat, daily: forget rows done more than OUTBOX_KEEP_DAYS ago; failed rows stay."""
    before = timezone.now() - timedelta(days=settings.OUTBOX_KEEP_DAYS)
    count, _ = OutboxMessage.objects.filter(state=MessageState.DONE, finished_at__lt=before).delete()
    logger.info("Outbox: forgot %s delivered message(s) done before %s.", count, before)
    return count


def message_dispatch(*, message_id: int) -> bool:
    """Hand one pending row to a worker now, if the broker takes it; True when handed over.

    Called after the commit that recorded it. In the embedded set-up (no broker) the task runs
    here, in-process. Whatever happens, nothing is raised: the row waits for the periodic run.
    """
    if time.monotonic() < _broker_down_until:
        return False
    pending = OutboxMessage.objects.filter(pk=message_id, state=MessageState.PENDING)
    return _publish(messages_claim(pending, limit=1)) == 1


def messages_dispatch_due(*, limit: int = DISPATCH_BATCH) -> int:
    """Hand up to `limit` due rows to the workers; how many were handed over."""
    handed = _publish(messages_claim(due_messages(), limit=limit))
    if handed:
        logger.info("Outbox: handed %s message(s) to the workers.", handed)
    return handed


def _publish(message_ids: list[int]) -> int:
    global _broker_down_until
    for position, message_id in enumerate(message_ids):
        try:
            # retry=False: a broker that is down fails within its connection timeout, at once.
            deliver.apply_async((message_id,), retry=False)
        except Exception as exc:
            # Not only the broker's errors: nothing may reach the request that queued the row.
            error = f"Not handed to a worker: {type(exc).__name__}: {exc}"
            for waiting in message_ids[position:]:
                message_release(message_id=waiting, error=error)
            if not deliver.app.conf.task_always_eager:
                _broker_down_until = time.monotonic() + BROKER_PAUSE_SECONDS
            logger.warning(
                "Outbox: %s message(s) left waiting, the broker did not take them: %s",
                len(message_ids) - position,
                exc,
            )
            return position
    return len(message_ids)
