from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    """The transactional outbox: e-mails and documents recorded with the change that causes them.

    At the bottom of the apps: it imports none of them. The apps name their tasks to it as strings
    (outbox.registry), so any app may queue work without an import loop.
    """

    name = "outbox"
    verbose_name = _("Outgoing e-mails and documents")
