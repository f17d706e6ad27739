"""The team's structured statement, per standard, on the conformity and effectiveness of the client's
management system (ISO/IEC 17021-1 9.4.8), entered when the audit is closed and printed in its report."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from audits.models import Audit
from core.limits import LONG_TEXT_MAX_LENGTH
from standards.models import Standard


class Conformity(models.TextChoices):
    CONFORMING = "conforming", _("Conforms")
    CONFORMING_WITH_NONCONFORMITIES = "with_nonconformities", _("Conforms, with nonconformities to correct")
    NOT_CONFORMING = "not_conforming", _("Does not conform")


class Effectiveness(models.TextChoices):
    EFFECTIVE = "effective", _("Effective")
    NOT_EFFECTIVE = "not_effective", _("Not effective")


class SystemStatement(models.Model):
    """Does the management system conform to the standard, and is it effective: the team's answer."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="system_statements")
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="+")
    conformity = models.CharField(_("conformity"), max_length=30, choices=Conformity.choices)
    effectiveness = models.CharField(_("effectiveness"), max_length=20, choices=Effectiveness.choices)
    comment = models.TextField(_("comment"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)

    class Meta:
        verbose_name = _("statement on the management system")
        verbose_name_plural = _("statements on the management system")
        ordering = ["audit_id", "standard__code"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "standard"], name="system_statement_once_per_standard")
        ]

    def __str__(self):
        return f"{self.standard} – {self.audit}"
