from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "complaints"

    def ready(self):
        # Names this app's e-mails and letters to the outbox, whichever process reads it first.
        from complaints import deliveries  # noqa: F401
