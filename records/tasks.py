from celery import shared_task
from django.utils import timezone

from core.actors import SYSTEM
from records.services import disposals_due_refresh


@shared_task
def list_disposals_due() -> int:
    """Nightly: the organisations whose records are due for disposal, listed for staff to confirm."""
    return disposals_due_refresh(actor=SYSTEM, today=timezone.localdate())
