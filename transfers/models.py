"""Transfer of certification from another certification body (IAF MD 2).

A client certified by another body asks us to take its certificate over. Staff record the current
certificate and upload its documents, a competent reviewer answers the pre-transfer review's
checklist (transfers.checklist), and someone not involved in the review decides. A grant issues our
own certificate for the rest of the running cycle (certificates.services.certificate_issue_transferred).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.limits import LONG_TEXT_MAX_LENGTH


class CycleStage(models.TextChoices):
    """Where the certificate stands in its cycle: the last audit the other body held."""

    AFTER_INITIAL = "initial", _("After the initial certification")
    AFTER_SURVEILLANCE_1 = "surveillance_1", _("After the first surveillance")
    AFTER_SURVEILLANCE_2 = "surveillance_2", _("After the second surveillance")
    AFTER_RECERTIFICATION = "recertification", _("After a recertification")


# How many of the cycle's surveillances the other body has held at each stage.
SURVEILLANCES_HELD = {
    CycleStage.AFTER_INITIAL: 0,
    CycleStage.AFTER_RECERTIFICATION: 0,
    CycleStage.AFTER_SURVEILLANCE_1: 1,
    CycleStage.AFTER_SURVEILLANCE_2: 2,
}


class TransferStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    UNDER_REVIEW = "under_review", _("Under review")
    READY = "ready", _("Ready for decision")
    REFUSED = "refused", _("Refused")
    ISSUED = "issued", _("Accepted, certificate issued")


class TransferQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status__in=[TransferStatus.REFUSED, TransferStatus.ISSUED])


class Transfer(models.Model):
    """A client's request to transfer its current certificate, issued by another body, to us."""

    organization = models.ForeignKey(
        "clients.Organization",
        on_delete=models.PROTECT,
        related_name="transfers",
        verbose_name=_("organisation"),
    )
    standard = models.ForeignKey(
        "standards.Standard", on_delete=models.PROTECT, related_name="transfers", verbose_name=_("standard")
    )
    # The current certificate, as the other body issued it.
    certificate_number = models.CharField(_("certificate number"), max_length=100)
    issuing_body = models.CharField(_("issuing certification body"), max_length=200)
    accreditation_body = models.CharField(_("accreditation body"), max_length=200, blank=True)
    accredited = models.BooleanField(_("issued under accreditation"), default=False)
    accreditation_recognised = models.BooleanField(
        _("accreditation recognised"),
        default=False,
        help_text=_("The accreditation body is a signatory of the IAF MLA for this kind of certification."),
    )
    scope = models.TextField(_("scope"), max_length=LONG_TEXT_MAX_LENGTH)
    sites = models.ManyToManyField(
        "clients.Site", through="TransferSite", related_name="transfers", verbose_name=_("sites")
    )
    issue_date = models.DateField(_("issue date"))
    expiry_date = models.DateField(_("expiry date"))
    cycle_stage = models.CharField(_("stage in the cycle"), max_length=20, choices=CycleStage.choices)
    suspended = models.BooleanField(_("the current certificate is suspended"), default=False)
    reasons = models.TextField(_("reasons for the transfer"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)

    status = models.CharField(
        _("status"), max_length=20, choices=TransferStatus.choices, default=TransferStatus.DRAFT
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers_to_review",
        verbose_name=_("reviewer"),
    )
    review_completed_at = models.DateTimeField(_("review completed"), null=True, blank=True)
    visit = models.OneToOneField(
        "audits.Audit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfer",
        verbose_name=_("visit"),
    )
    decision = models.OneToOneField(
        "certificates.Decision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfer",
        verbose_name=_("decision"),
    )
    certificate = models.OneToOneField(
        "certificates.Certificate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfer",
        verbose_name=_("our certificate"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TransferQuerySet.as_manager()

    class Meta:
        verbose_name = _("transfer of certification")
        verbose_name_plural = _("transfers of certification")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expiry_date__gt=F("issue_date")),
                name="transfer_expires_after_issue",
                violation_error_message=_("The expiry date must be after the issue date."),
            ),
        ]
        indexes = [
            # The staff list filters by status; a reviewer's list by reviewer.
            models.Index(fields=["status", "created_at"], name="transfer_status_idx"),
        ]

    def __str__(self):
        return f"{self.certificate_number} ({self.issuing_body}) – {self.organization}"


class TransferSite(models.Model):
    """A site the current certificate covers. Its own model only for PROTECT (audits.models)."""

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE)
    site = models.ForeignKey("clients.Site", on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("site of a transfer")
        verbose_name_plural = _("sites of transfers")
        constraints = [models.UniqueConstraint(fields=["transfer", "site"], name="transfer_site_once")]

    def __str__(self):
        return f"{self.site} – {self.transfer}"


class DocumentKind(models.TextChoices):
    CERTIFICATE = "certificate", _("Current certificate")
    AUDIT_REPORT = "audit_report", _("Audit report")
    NONCONFORMITIES = "nonconformities", _("Open nonconformities")
    COMPLAINTS = "complaints", _("Complaints")
    OTHER = "other", _("Other")


def transfer_document_path(instance, filename):
    # Never the uploader's name on disk: a random name under the transfer (as evidence is kept).
    return f"transfers/{instance.transfer_id}/{uuid.uuid4().hex}"


class TransferDocument(models.Model):
    """A document of the pre-transfer review: the certificate, the last reports, the open
    nonconformities, the complaints. Checked by its content as evidence is (findings.uploads)."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)
    file = models.FileField(_("file"), upload_to=transfer_document_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    description = models.CharField(_("description"), max_length=500, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("transfer document")
        verbose_name_plural = _("transfer documents")
        ordering = ["transfer_id", "kind", "uploaded_at", "id"]

    def __str__(self):
        return self.original_name


class ReviewAnswer(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    CONCERN = "concern", _("Concern")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class ReviewItem(models.Model):
    """One question of the pre-transfer review (transfers.checklist.ITEMS), answered with a note."""

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="review_items")
    item = models.CharField(_("item"), max_length=40)
    order = models.PositiveSmallIntegerField(_("order"))
    answer = models.CharField(_("answer"), max_length=20, choices=ReviewAnswer.choices, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("pre-transfer review item")
        verbose_name_plural = _("pre-transfer review items")
        ordering = ["transfer_id", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["transfer", "item"], name="transfer_review_item_once")]

    def __str__(self):
        return f"{self.item} – {self.transfer}"

    @property
    def answered(self) -> bool:
        return bool(self.answer) and bool(self.note.strip())


class NcGrade(models.TextChoices):
    MAJOR = "major", _("Major NC")
    MINOR = "minor", _("Minor NC")


class NcState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class OtherBodyNonconformity(models.Model):
    """A nonconformity the other body raised and had not closed, with its state as reviewed."""

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="nonconformities")
    reference = models.CharField(_("reference"), max_length=100)
    grade = models.CharField(_("grade"), max_length=10, choices=NcGrade.choices)
    description = models.TextField(_("description"), max_length=LONG_TEXT_MAX_LENGTH)
    state = models.CharField(_("state"), max_length=10, choices=NcState.choices, default=NcState.OPEN)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closure_note = models.TextField(_("how it was closed"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("nonconformity of the other body")
        verbose_name_plural = _("nonconformities of the other body")
        ordering = ["transfer_id", "grade", "id"]

    def __str__(self):
        return f"{self.reference} ({self.get_grade_display()})"
