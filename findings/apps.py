from django.apps import AppConfig
from pillow_heif import register_heif_opener


class FindingsConfig(AppConfig):
    name = "findings"

    def ready(self):
        # Names this app's documents and e-mails to the outbox, whichever process reads it first.
        from findings import deliveries  # noqa: F401

        # Phones upload HEIC: Pillow opens it through pillow-heif, so an upload is decoded before it
        # is kept (findings.uploads) and gets a thumbnail, as JPEG and PNG do. AVIF stays refused.
        register_heif_opener()
