"""The e-mails accounts sends through the outbox (outbox.registry): queued with the change that
calls for them, delivered by a worker once it commits, even if the broker was down meanwhile."""

from django.utils.translation import gettext_lazy as _

from outbox.registry import outbox_task
from outbox.services import message_enqueue

INVITATION_EMAIL = outbox_task("accounts.tasks.send_invitation_email", label=_("Invitation e-mail"))


def invitation_queue(*, user) -> None:
    message_enqueue(task=INVITATION_EMAIL, args=[user.pk], subject=user)
