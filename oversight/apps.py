from django.apps import AppConfig


class OversightConfig(AppConfig):
    """The statistics of how the body is doing."""

    name = "oversight"
