from django.apps import AppConfig


class FindingsConfig(AppConfig):
    name = "findings"

    def ready(self):
        # Names this app's documents and e-mails to the outbox, whichever process reads it first.
        from findings import deliveries  # noqa: F401
