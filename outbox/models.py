from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MessageState(models.TextChoices):
    # Recorded, waiting to be handed to a worker (again, after a passing failure).
    PENDING = "pending", _("Waiting")
    # Handed to the broker; the worker's run marks it done or failed.
    SENT = "sent", _("With a worker")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class OutboxMessage(models.Model):
    """One e-mail or document to make: the task to run and its arguments, written in the same
    transaction as the change that calls for it, so it is never lost when the broker is down.

    The dispatcher (outbox.tasks) hands pending rows to a worker; the worker's run
    (outbox.delivery.message_deliver) runs the task once and records how it went.
    """

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    # What it is about, for staff ("Stage 2, Nordkontakt AB"), in the body's language.
    subject = models.CharField(_("about"), max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=MessageState.choices, default=MessageState.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)
    # Not handed to a worker before this moment: the back-off after a passing failure.
    available_at = models.DateTimeField(_("due"), default=timezone.now)
    sent_at = models.DateTimeField(_("handed to a worker"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail or document")
        verbose_name_plural = _("outgoing e-mails and documents")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=MessageState.values), name="outbox_state_valid"
            ),
        ]
        indexes = [
            # The dispatcher's due rows (state, available_at) and the staff page's filter by state.
            models.Index(fields=["state", "available_at"], name="outbox_state_due_idx"),
            # The latest message of one task for one record: an audit page asking after its report.
            models.Index(fields=["task", "args"], name="outbox_task_args_idx"),
        ]

    def __str__(self):
        arguments = ", ".join(str(value) for value in self.args)
        return f"{self.task}({arguments}) {self.state}"
