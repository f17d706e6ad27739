from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    """The auditors' calendar and their calendar feeds."""

    name = "scheduling"
