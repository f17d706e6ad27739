"""When a person cannot audit: leave, training, other work. Entered by the person or by staff.

The calendar (scheduling/) draws these as blocks beside the audit days, and the team rules
(audits/team_rules.py) refuse a booking that falls on one unless staff override it with a reason.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class UnavailabilityKind(models.TextChoices):
    LEAVE = "leave", _("Leave")
    TRAINING = "training", _("Training")
    OTHER_WORK = "other_work", _("Other work")


class UnavailabilityQuerySet(models.QuerySet):
    def overlapping(self, start, end):
        """Periods sharing at least one day with start..end (both included)."""
        return self.filter(start_date__lte=end, end_date__gte=start)


class Unavailability(models.Model):
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="unavailability",
        verbose_name=_("person"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=UnavailabilityKind.choices)
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    note = models.CharField(_("note"), max_length=200, blank=True)  # availability.services.NOTE_MAX_LENGTH
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("entered by"),
    )
    created_at = models.DateTimeField(_("entered"), auto_now_add=True)

    objects = UnavailabilityQuerySet.as_manager()

    class Meta:
        verbose_name = _("unavailability")
        verbose_name_plural = _("unavailability")
        ordering = ["start_date", "pk"]
        indexes = [models.Index(fields=["person", "start_date", "end_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="unavailability_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start_date}–{self.end_date}"
