from django.core.management.base import BaseCommand

from outbox.tasks import messages_dispatch_due


class Command(BaseCommand):
    help = (
        "Hand every due outbox row to the workers, as celery beat's outbox-dispatch does. Without a "
        "broker (the embedded set-up) the tasks run here; run it from cron to retry passing failures."
    )

    def handle(self, *args, **options):
        handed = messages_dispatch_due()
        self.stdout.write(f"Handed {handed} message(s) to the workers.")
