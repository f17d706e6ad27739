from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
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
        return person_name(self.first_name, self.last_name, self.username)


def person_name(first_name: str, last_name: str, username: str) -> str:
    """How a person is named on pages, lists and documents: the full name as Django's
    get_full_name() writes it, or the username without one. For lists that read the three
    columns without building users."""
    return f"{first_name} {last_name}".strip() or username


class SecurityEventKind(models.TextChoices):
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Log-in failed")
    LOGOUT = "logout", _("Logged out")
    PERMISSION_GRANTED = "permission_granted", _("Permission granted")
    PERMISSION_REVOKED = "permission_revoked", _("Permission revoked")
    TEAM_ADDED = "team_added", _("Added to an audit team")
    TEAM_REMOVED = "team_removed", _("Removed from an audit team")
    DECISION = "decision", _("Certification decision")
    CERTIFICATE_CHANGED = "certificate_changed", _("Certificate changed")
    EVIDENCE_DOWNLOADED = "evidence_downloaded", _("Evidence downloaded")
    EXPORT = "export", _("Organisation exported")


class SecurityEvent(models.Model):
    """One security-relevant event: who did what, from where, to which record. Written once, never changed.

    Written by accounts.security.record. The username is kept as text beside the actor, so a failed
    log-in (no user) and an event of a since deleted user still say who it was.
    """

    kind = models.CharField(_("event"), max_length=30, choices=SecurityEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    target = models.CharField(_("record"), max_length=200, blank=True)
    # For filtering the log by client. SET_NULL: an organisation without audits may still be deleted;
    # the target text keeps naming it.
    organization = models.ForeignKey(
        "clients.Organization",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        # The (organization, at) index below serves lookups by organisation too.
        db_index=False,
        verbose_name=_("organisation"),
    )
    details = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    at = models.DateTimeField(_("when"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-at", "-id"]
        indexes = [
            # The security log unfiltered, newest first.
            models.Index(fields=["at"], name="securityevent_at_idx"),
            # The security log filtered by kind, newest first.
            models.Index(fields=["kind", "at"], name="securityevent_kind_at_idx"),
            # The security log filtered by organisation, newest first.
            models.Index(fields=["organization", "at"], name="securityevent_org_at_idx"),
        ]

    def __str__(self):
        who = self.username or "-"
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind} {who} {self.target}".rstrip()


class FormSubmission(models.Model):
    """A form a person sent, by the token its page was rendered with (accounts.submissions).

    The first sending does the work and keeps where it led; the same form sent again (a double
    tap, a second tab, a retry after a lost answer) is not saved again and is sent to the same
    place. Kept for FORM_TOKEN_DAYS, then forgotten.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("by")
    )
    token = models.UUIDField(_("form token"))
    result_url = models.CharField(_("result"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("form sent")
        verbose_name_plural = _("forms sent")
        constraints = [
            # The lock that makes a second sending wait for the first and then find it.
            models.UniqueConstraint(fields=["user", "token"], name="form_submission_once"),
        ]
        indexes = [
            # Forgetting a person's tokens past their age, on each sending.
            models.Index(fields=["user", "created_at"], name="form_submission_age_idx"),
        ]

    def __str__(self):
        return f"{self.user_id} {self.token}"
