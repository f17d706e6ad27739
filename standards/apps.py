from django.apps import AppConfig


class StandardsConfig(AppConfig):
    name = "standards"
