"""Queueing e-mails and documents through the outbox, and staff's retry."""

from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.actors import check
from core.errors import ConflictError
from outbox.models import MessageState, OutboxMessage
from outbox.permissions import require_can_retry
from outbox.registry import is_registered
from outbox.tasks import message_dispatch


def message_enqueue(*, task: str, args: Sequence = (), subject: object = "") -> OutboxMessage:
    """Record that `task` is to run with `args`, in the caller's transaction; hand it to a worker
    once that commits. `subject` (a record or text) tells staff what it is about.

    A system service: no person acts here; it is called by services that checked theirs.
    """
    if not is_registered(task):
        # A programming error, caught by the tests: an unregistered row could never run.
        raise ValueError(f"{task} is not registered with the outbox (outbox.registry.outbox_task).")
    # The body's language, as in its documents: one language on the staff page, whoever acted.
    with translation.override(settings.LANGUAGE_CODE):
        about = str(subject)[:200]
    message = OutboxMessage.objects.create(task=task, args=list(args), subject=about)
    # robust: the change is saved whatever the hand-over does (it raises nothing, but a failing
    # callback must never undo a person's work). A lambda: Django names it when it logs a failure.
    transaction.on_commit(lambda pk=message.pk: message_dispatch(message_id=pk), robust=True)
    return message


@transaction.atomic
def message_retry(*, actor, message: OutboxMessage) -> OutboxMessage:
    """Run a failed (or still waiting) row again, at once. A done row is refused: an e-mail is
    never sent twice.
    """
    check(actor, require_can_retry)
    message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if message.state == MessageState.DONE:
        raise ConflictError(_("This was already delivered; it is not sent again."))
    # A row with a worker now is safe to put back: that worker's run then finds it pending and
    # does nothing, and the new hand-over runs it once.
    message.state = MessageState.PENDING
    message.available_at = timezone.now()
    message.finished_at = None
    message.save(update_fields=["state", "available_at", "finished_at"])
    transaction.on_commit(lambda pk=message.pk: message_dispatch(message_id=pk), robust=True)
    return message
