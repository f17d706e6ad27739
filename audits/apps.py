from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "audits"

    def ready(self):
        # Names this app's documents and e-mails to the outbox, whichever process reads it first.
        from audits import deliveries  # noqa: F401
