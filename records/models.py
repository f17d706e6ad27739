"""Records retention (ISO/IEC 17021-1 9.9): which organisations' records are due for disposal, and
the log of each disposal.

Records are kept for the scheme's `records_retention_years` after the organisation's last
certificate ends (withdrawn or expired). Beat lists the organisations due (`DisposalDue`); staff
confirm each; the disposal writes the organisation's full export to the archive first, then deletes
evidence files and personal data, and leaves a `Disposal` row: what, when, by whom, where the
archive is and its SHA-256.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DisposalDue(models.Model):
    """An organisation the nightly run found due for disposal; staff confirm or leave it."""

    organization = models.OneToOneField(
        "clients.Organization",
        on_delete=models.CASCADE,
        related_name="disposal_due",
        verbose_name=_("organisation"),
    )
    # The day the retention ended: the last certificate's end plus its scheme's retention.
    retention_ended_on = models.DateField(_("retention ended"))
    listed_at = models.DateTimeField(_("listed"), auto_now=True)

    class Meta:
        verbose_name = _("organisation due for disposal")
        verbose_name_plural = _("organisations due for disposal")
        ordering = ["retention_ended_on", "id"]

    def __str__(self):
        return f"{self.organization} ({self.retention_ended_on})"


class Disposal(models.Model):
    """The log of one organisation's disposal: kept for good, never changed."""

    # Kept: the organisation's row stays (its certificates' numbers must never be reused), emptied
    # of personal data. One disposal per organisation: a second confirmation finds this row.
    organization = models.OneToOneField(
        "clients.Organization",
        on_delete=models.PROTECT,
        related_name="disposal",
        verbose_name=_("organisation"),
    )
    organization_name = models.CharField(_("organisation name"), max_length=200)
    disposed_at = models.DateTimeField(_("disposed"), auto_now_add=True)
    disposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("disposed by")
    )
    # What was disposed of: counts of files and people, by kind.
    disposed = models.JSONField(_("what was disposed of"), default=dict)
    archive_path = models.CharField(_("archive"), max_length=500)
    archive_sha256 = models.CharField(_("archive SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("disposal of records")
        verbose_name_plural = _("disposals of records")
        ordering = ["-disposed_at", "-id"]

    def __str__(self):
        return f"{self.organization_name} ({self.disposed_at:%Y-%m-%d})"
