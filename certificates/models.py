"""Certification decisions and certificates (ISO/IEC 17021-1 8.2, IAF CertSearch).

The tables keep the names they had when these models lived in audits (`audits_certificate`, ...),
so an existing database moved them with no copy (see migrations/0001_initial.py).
"""

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.limits import LONG_TEXT_MAX_LENGTH

if TYPE_CHECKING:
    from audits.models import Audit


class DecisionOutcome(models.TextChoices):
    GRANT = "grant", _("Grant certification")
    REFUSE = "refuse", _("Refuse")
    MAINTAIN = "maintain", _("Maintain certification")
    RENEW = "renew", _("Renew certification")


class Decision(models.Model):
    """The certification decision on a closed audit, by staff who were not on its team.

    A decision on the transfer of a certificate from another body (IAF MD 2) rests on no audit of
    ours but on the pre-transfer review: its `audit` is empty, and the transfer that asked for it
    links to it (transfers.Transfer.decision).
    """

    audit = models.OneToOneField(
        "audits.Audit",
        on_delete=models.PROTECT,
        related_name="decision",
        null=True,
        blank=True,
        verbose_name=_("audit"),
    )
    outcome = models.CharField(_("decision"), max_length=10, choices=DecisionOutcome.choices)
    rationale = models.TextField(_("rationale"))
    decided_on = models.DateField(_("decision date"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("decided by")
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    # A decision taken again (after an upheld appeal, say) is a new decision naming the one it
    # supersedes, on that decision's audit; the old one is never edited.
    supersedes = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("supersedes"),
    )

    class Meta:
        db_table = "audits_decision"
        verbose_name = _("certification decision")
        verbose_name_plural = _("certification decisions")
        ordering = ["-decided_on", "-id"]

    def __str__(self):
        return f"{self.get_outcome_display()} – {self.decided_audit or _('transfer of certification')}"

    @property
    def decided_audit(self) -> "Audit | None":
        """The audit the decision rests on: its own, or that of the decision it supersedes (taken
        again after an appeal); None for a decision on a transfer of certification."""
        decision = self
        while decision.audit is None and decision.supersedes is not None:
            decision = decision.supersedes
        return decision.audit


class CertificateStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")


class CertificateQuerySet(models.QuerySet):
    def public(self):
        """What the public register and verification may show: never a confidential certificate."""
        return self.filter(confidential=False)


class Certificate(models.Model):
    """A certificate: one number for its whole life; each reissue is a new revision."""

    number = models.CharField(_("certificate number"), max_length=30, unique=True)
    # IAF CertSearch's stable "certification identity number": never changes, never reused.
    identity = models.UUIDField(_("certification identity"), default=uuid.uuid4, unique=True, editable=False)
    programme = models.ForeignKey(
        "audits.CertificationProgramme",
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("programme"),
    )
    organization = models.ForeignKey(
        "clients.Organization",
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("organisation"),
    )
    standards = models.ManyToManyField(
        "standards.Standard",
        through="CertificateStandard",
        related_name="certificates",
        verbose_name=_("standards"),
    )
    # As certified: the entity's name and address at issue, not whatever the record says later.
    entity_name = models.CharField(_("certified entity"), max_length=200)
    entity_address = models.CharField(_("registered address"), max_length=300)
    scope = models.TextField(_("scope"), max_length=LONG_TEXT_MAX_LENGTH)
    status = models.CharField(
        _("status"), max_length=10, choices=CertificateStatus.choices, default=CertificateStatus.ACTIVE
    )
    original_issue_date = models.DateField(_("original issue date"))
    issue_date = models.DateField(_("issue date"))
    expiry_date = models.DateField(_("expiry date"))
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    confidential = models.BooleanField(
        _("confidential"), default=False, help_text=_("Not listed in the public register or verification.")
    )
    suspended_until = models.DateField(_("suspended until"), null=True, blank=True)
    # A certificate restored by a recertification decided after it expired was not valid between
    # its old expiry and the decision: the lapse is stated on it for the whole cycle that follows.
    lapsed_from = models.DateField(_("not certified from"), null=True, blank=True)
    lapsed_until = models.DateField(_("not certified until"), null=True, blank=True)
    status_reason = models.TextField(_("reason for the status"), blank=True)
    decision = models.ForeignKey(
        Decision, on_delete=models.PROTECT, related_name="certificates", verbose_name=_("latest decision")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        db_table = "audits_certificate"
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expiry_date__gt=F("issue_date")),
                name="certificate_expires_after_issue",
                violation_error_message=_("The expiry date must be after the issue date."),
            ),
        ]
        indexes = [
            # The public register searches by name among the listed certificates.
            models.Index(fields=["confidential", "entity_name"], name="certificate_register_idx"),
            # The daily run finds certificates past their expiry.
            models.Index(fields=["status", "expiry_date"], name="certificate_status_expiry_idx"),
        ]

    def __str__(self):
        return f"{self.number} {self.entity_name}"


class CertificateStandard(models.Model):
    """A standard the certificate covers. PROTECT, as for audits (see audits.models.AuditStandard)."""

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE)
    standard = models.ForeignKey("standards.Standard", on_delete=models.PROTECT)

    class Meta:
        db_table = "audits_certificatestandard"
        verbose_name = _("standard of a certificate")
        verbose_name_plural = _("standards of certificates")
        constraints = [
            models.UniqueConstraint(fields=["certificate", "standard"], name="certificate_standard_once")
        ]

    def __str__(self):
        return f"{self.standard} – {self.certificate}"


class CertificateSite(models.Model):
    """A site the certificate covers, with the scope at that site, as certified."""

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="sites")
    site = models.ForeignKey("clients.Site", on_delete=models.PROTECT, related_name="certificate_entries")
    name = models.CharField(_("site"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=2)
    scope = models.TextField(_("scope at the site"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)

    class Meta:
        db_table = "audits_certificatesite"
        verbose_name = _("certified site")
        verbose_name_plural = _("certified sites")
        ordering = ["certificate_id", "id"]
        constraints = [models.UniqueConstraint(fields=["certificate", "site"], name="certificate_site_once")]

    def __str__(self):
        return f"{self.certificate.number}: {self.name}"


def certificate_pdf_path(instance, filename):
    return f"certificates/{instance.certificate_id}/{instance.certificate.number}-rev{instance.revision}.pdf"


class CertificateRevision(models.Model):
    """What one revision of a certificate said, and its PDF. Every revision is kept."""

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="revisions")
    revision = models.PositiveSmallIntegerField(_("revision"))
    issue_date = models.DateField(_("issue date"))
    reason = models.CharField(_("reason for the revision"), max_length=300)
    snapshot = models.JSONField(_("contents"), default=dict)
    file = models.FileField(_("PDF"), upload_to=certificate_pdf_path, max_length=255, blank=True)
    template_version = models.CharField(_("template version"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        db_table = "audits_certificaterevision"
        verbose_name = _("certificate revision")
        verbose_name_plural = _("certificate revisions")
        ordering = ["certificate_id", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["certificate", "revision"], name="certificate_revision_once")
        ]

    def __str__(self):
        return f"{self.certificate.number} rev. {self.revision}"


class CertificateEventKind(models.TextChoices):
    ISSUED = "issued", _("Issued")
    SUSPENDED = "suspended", _("Suspended")
    RESTORED = "restored", _("Restored")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    SCOPE_CHANGED = "scope_changed", _("Scope or sites changed")
    SCOPE_REDUCED = "scope_reduced", _("Scope reduced, suspension ended")
    RENEWED = "renewed", _("Renewed")
    MAINTAINED = "maintained", _("Maintained")
    EXPIRED = "expired", _("Expired")
    SUSPENSION_OVERDUE = "suspension_overdue", _("Suspension past its end date")


class CertificateEvent(models.Model):
    """Every change to a certificate, with who (none for the daily run) and why."""

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("change"), max_length=20, choices=CertificateEventKind.choices)
    reason = models.TextField(_("reason"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)
    revision = models.PositiveSmallIntegerField(_("revision"))

    class Meta:
        db_table = "audits_certificateevent"
        verbose_name = _("certificate change")
        verbose_name_plural = _("certificate changes")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.certificate.number} {self.kind}"
