from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    SWEDISH = "sv", _("Swedish")


class User(AbstractUser):
    """A person using Certdesk: certification staff, an auditor or a client's user.

    What a user may do comes from role groups (see accounts.roles) and guardian object
    permissions on organisations and audits; nothing about roles is stored here.
    """

    language = models.CharField(
        _("language"),
        max_length=5,
        choices=Language.choices,
        default=Language.ENGLISH,
        help_text=_("Language of e-mails and documents sent to this person."),
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]

    def __str__(self):
        return self.get_full_name() or self.username
