from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal.demo import DEMO_PASSWORD, ISO_9001, ISO_18295_1, ISO_18295_2, seed_demo
from standards.models import Standard


class Command(BaseCommand):
    help = "Create the demo users, clients and sites (idempotent). Refuses with DEBUG=0 unless --force."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even though DEBUG is off.")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates users with the password 'demo'. DEBUG is off, so this looks like "
                "production: refusing. Pass --force if you really mean it."
            )
        needed = {ISO_18295_1, ISO_18295_2, ISO_9001}
        if set(Standard.objects.filter(code__in=needed).values_list("code", flat=True)) != needed:
            call_command("load_standards", stdout=self.stdout)
        logins = seed_demo(today=timezone.localdate())
        self.stdout.write(
            self.style.SUCCESS("Demo data is in place. Log in with any of these (password 'demo'):")
        )
        for username, description in logins:
            self.stdout.write(f"  {username:<8} {DEMO_PASSWORD:<5} {description}")
