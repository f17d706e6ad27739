from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"

    def ready(self):
        # Names this app's documents to the outbox, whichever process reads it first.
        from certificates import deliveries  # noqa: F401
