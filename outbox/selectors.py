from collections.abc import Sequence

from django.db.models import QuerySet

from outbox.models import OutboxMessage


def messages_newest_first() -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.order_by("-created_at", "-pk")


def latest_message(*, task: str, args: Sequence) -> OutboxMessage | None:
    """The latest row of `task` for these arguments (the report of one audit, say), or None."""
    return OutboxMessage.objects.filter(task=task, args=list(args)).order_by("-created_at", "-pk").first()
