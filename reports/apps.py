from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self):
        # Names this app's documents to the outbox, whichever process reads it first.
        from reports import deliveries  # noqa: F401
