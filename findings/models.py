"""Findings recorded on site, their evidence files, their history, and the nonconformities they raise."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audits.models import Audit
from clients.models import Site
from core.limits import LONG_TEXT_MAX_LENGTH
from standards.models import Clause


class Grade(models.TextChoices):
    CONFORMING = "conforming", _("Conforming")
    OFI = "ofi", _("OFI")
    OBSERVATION = "observation", _("Observation")
    MINOR = "minor", _("Minor NC")
    MAJOR = "major", _("Major NC")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


# A clause's state at a site is its most serious finding there (later entries win ties).
GRADE_SEVERITY = {
    Grade.NOT_APPLICABLE: 0,
    Grade.CONFORMING: 1,
    Grade.OFI: 2,
    Grade.OBSERVATION: 3,
    Grade.MINOR: 4,
    Grade.MAJOR: 5,
}
NONCONFORMITY_GRADES = (Grade.MINOR, Grade.MAJOR)


# The checklist's short labels ("Minor NC") are for auditors; the client reads the grade in words.
GRADE_WORDS = {
    Grade.CONFORMING: _("Conforming"),
    Grade.OFI: _("Opportunity for improvement"),
    Grade.OBSERVATION: _("Observation"),
    Grade.MINOR: _("Minor nonconformity"),
    Grade.MAJOR: _("Major nonconformity"),
    Grade.NOT_APPLICABLE: _("Not applicable"),
}


def grade_words(grade: str) -> str:
    return str(GRADE_WORDS.get(grade, grade))


class FindingQuerySet(models.QuerySet):
    def current(self):
        """Findings not removed. Removed ones stay as records with their history."""
        return self.filter(removed_at__isnull=True)

    def nonconformities(self):
        return self.filter(grade__in=NONCONFORMITY_GRADES)


class Finding(models.Model):
    """What the auditor found for one clause at one site: grade, statement and objective evidence."""

    audit = models.ForeignKey(
        Audit, on_delete=models.PROTECT, related_name="findings", verbose_name=_("audit")
    )
    clause = models.ForeignKey(
        Clause, on_delete=models.PROTECT, related_name="findings", verbose_name=_("clause")
    )
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="findings", null=True, blank=True, verbose_name=_("site")
    )
    grade = models.CharField(_("grade"), max_length=20, choices=Grade.choices)
    statement = models.TextField(
        _("statement"),
        blank=True,
        max_length=LONG_TEXT_MAX_LENGTH,
        help_text=_("What was required and what was observed, in your words."),
    )
    evidence = models.TextField(
        _("objective evidence"),
        blank=True,
        max_length=LONG_TEXT_MAX_LENGTH,
        help_text=_("Records seen, people interviewed, observations."),
    )
    interviewee_role = models.CharField(_("interviewee's role"), max_length=200, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("last changed by"),
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)
    # The id the recording device gave the finding (API `client_uuid`): sent again, the same
    # finding is answered instead of a second one, however often a dropped connection retries.
    client_uuid = models.UUIDField(_("device's id"), null=True, blank=True, editable=False)

    objects = FindingQuerySet.as_manager()

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["audit_id", "clause__order", "recorded_at", "id"]
        indexes = [
            # The checklist and the findings API read one audit's findings by clause.
            models.Index(fields=["audit", "clause"], name="finding_audit_clause_idx"),
        ]
        constraints = [
            # Per audit: a device's id says nothing about findings of audits the sender cannot see.
            # The unique index also finds a repeat (finding_create_once).
            models.UniqueConstraint(fields=["audit", "client_uuid"], name="finding_client_uuid_once"),
        ]

    def __str__(self):
        return f"{self.clause.number} {self.get_grade_display()}"

    @property
    def is_nonconformity(self) -> bool:
        return self.grade in NONCONFORMITY_GRADES


class Visibility(models.TextChoices):
    TEAM = "team", _("Audit team only")
    CLIENT = "client", _("Shared with the client")


def evidence_path(instance, filename):
    # Never the uploader's name on disk: a random name under the audit, so no path tricks apply.
    return f"evidence/{instance.audit_id}/{uuid.uuid4().hex}"


def thumbnail_path(instance, filename):
    return f"evidence/{instance.audit_id}/thumbnails/{uuid.uuid4().hex}.jpg"


class EvidenceQuerySet(models.QuerySet):
    def current(self):
        return self.filter(removed_at__isnull=True)


class Evidence(models.Model):
    """A file attached to a finding: a photo, a PDF or an office document, stored privately."""

    finding = models.ForeignKey(
        Finding, on_delete=models.PROTECT, related_name="attachments", verbose_name=_("finding")
    )
    # The audit again, so access checks join one table (findings of permitted audits).
    audit = models.ForeignKey(
        Audit, on_delete=models.PROTECT, related_name="evidence", verbose_name=_("audit")
    )
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=255)
    thumbnail = models.FileField(_("thumbnail"), upload_to=thumbnail_path, max_length=255, blank=True)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    description = models.CharField(_("description"), max_length=500, blank=True)
    visibility = models.CharField(
        _("visible to"), max_length=10, choices=Visibility.choices, default=Visibility.TEAM
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["finding_id", "uploaded_at", "id"]
        indexes = [
            # Attachments of one audit's findings, for the checklist and the report.
            models.Index(fields=["audit", "finding"], name="evidence_audit_finding_idx"),
        ]

    def __str__(self):
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class ChangeAction(models.TextChoices):
    CREATED = "created", _("Recorded")
    UPDATED = "updated", _("Changed")
    REMOVED = "removed", _("Removed")
    EVIDENCE_ADDED = "evidence_added", _("Evidence added")
    EVIDENCE_CHANGED = "evidence_changed", _("Evidence changed")
    EVIDENCE_REMOVED = "evidence_removed", _("Evidence removed")


class FindingChange(models.Model):
    """One change to a finding or its evidence: who, when, and each field's old and new value."""

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="finding_changes")
    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="changes")
    evidence = models.ForeignKey(
        Evidence, on_delete=models.PROTECT, related_name="changes", null=True, blank=True
    )
    action = models.CharField(_("change"), max_length=20, choices=ChangeAction.choices)
    # {field: [old, new]}; for a new finding or file, its values as [None, value].
    changes = models.JSONField(_("what changed"), default=dict)
    version = models.PositiveIntegerField(_("version after the change"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    changed_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("finding change")
        verbose_name_plural = _("finding changes")
        ordering = ["changed_at", "id"]
        indexes = [
            # The history of one audit, newest first, and of one finding.
            models.Index(fields=["audit", "changed_at"], name="findingchange_audit_idx"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.finding_id} v{self.version}"


class NonconformityStatus(models.TextChoices):
    AWAITING_RESPONSE = "awaiting_response", _("Awaiting the client's answer")
    AWAITING_REVIEW = "awaiting_review", _("Awaiting review")
    ACCEPTED = "accepted", _("Accepted")
    CLOSED = "closed", _("Closed")


class VerificationMethod(models.TextChoices):
    DESK = "desk", _("Desk review")
    ON_SITE = "on_site", _("On site")


class NonconformityQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status=NonconformityStatus.CLOSED)

    def overdue(self, today):
        """No answer by its due date, or a major not closed by its deadline."""
        return self.filter(
            Q(status=NonconformityStatus.AWAITING_RESPONSE, response_due__lt=today)
            | Q(grade=Grade.MAJOR, close_due__lt=today) & ~Q(status=NonconformityStatus.CLOSED)
        )


class Nonconformity(models.Model):
    """A minor or major finding of a closed audit, answered by the client (the NCR)."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    finding = models.OneToOneField(
        Finding, on_delete=models.PROTECT, related_name="nonconformity", verbose_name=_("finding")
    )
    audit = models.ForeignKey(
        Audit, on_delete=models.PROTECT, related_name="nonconformities", verbose_name=_("audit")
    )
    grade = models.CharField(_("grade"), max_length=20, choices=Grade.choices)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=NonconformityStatus.choices,
        default=NonconformityStatus.AWAITING_RESPONSE,
    )
    response_due = models.DateField(_("answer due by"))
    close_due = models.DateField(_("to be closed by"), null=True, blank=True)
    created_at = models.DateTimeField(_("raised"), auto_now_add=True)
    # The answer accepted by the team; for a minor, its plan is verified at the next audit.
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verification_method = models.CharField(
        _("verified by"), max_length=10, choices=VerificationMethod.choices, blank=True
    )
    verification_comment = models.TextField(_("verification"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = NonconformityQuerySet.as_manager()

    class Meta:
        verbose_name = _("nonconformity")
        verbose_name_plural = _("nonconformities")
        ordering = ["number"]
        indexes = [
            # The NCR lists and the daily deadline run filter by state and due date.
            models.Index(fields=["status", "response_due"], name="nc_status_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(grade__in=NONCONFORMITY_GRADES), name="nonconformity_grade_minor_or_major"
            )
        ]

    def __str__(self):
        return self.number


class ReviewDecision(models.TextChoices):
    ACCEPT = "accept", _("Accept")
    REJECT = "reject", _("Reject")


class NonconformityResponse(models.Model):
    """One round of the client's answer. Never edited once submitted: a new round is a new answer."""

    nonconformity = models.ForeignKey(Nonconformity, on_delete=models.PROTECT, related_name="responses")
    round = models.PositiveSmallIntegerField(_("round"))
    correction = models.TextField(
        _("correction"),
        max_length=LONG_TEXT_MAX_LENGTH,
        help_text=_("What was done at once to fix the case."),
    )
    root_cause = models.TextField(
        _("root cause"), max_length=LONG_TEXT_MAX_LENGTH, help_text=_("Why it happened.")
    )
    corrective_action = models.TextField(
        _("corrective action"),
        max_length=LONG_TEXT_MAX_LENGTH,
        help_text=_("What is changed so that it does not happen again."),
    )
    responsible = models.CharField(_("responsible person"), max_length=200, blank=True)
    target_date = models.DateField(_("target date"), null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    decision = models.CharField(_("review"), max_length=10, choices=ReviewDecision.choices, blank=True)
    review_comment = models.TextField(_("reviewer's comment"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    class Meta:
        verbose_name = _("answer to a nonconformity")
        verbose_name_plural = _("answers to nonconformities")
        ordering = ["nonconformity_id", "round"]
        constraints = [
            models.UniqueConstraint(fields=["nonconformity", "round"], name="nc_response_round_unique")
        ]

    def __str__(self):
        return f"{self.nonconformity} #{self.round}"


class AttachmentPurpose(models.TextChoices):
    RESPONSE = "response", _("Client's evidence")
    VERIFICATION = "verification", _("Verification evidence")


def nc_attachment_path(instance, filename):
    return f"nonconformities/{instance.nonconformity_id}/{uuid.uuid4().hex}"


class NonconformityAttachment(models.Model):
    """A file with an answer (the client's evidence) or with the team's verification."""

    nonconformity = models.ForeignKey(Nonconformity, on_delete=models.PROTECT, related_name="attachments")
    response = models.ForeignKey(
        NonconformityResponse, on_delete=models.PROTECT, null=True, blank=True, related_name="attachments"
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=AttachmentPurpose.choices)
    file = models.FileField(_("file"), upload_to=nc_attachment_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("nonconformity file")
        verbose_name_plural = _("nonconformity files")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name


class InternalNote(models.Model):
    """The team's and staff's own note on a nonconformity: never shown to the client."""

    nonconformity = models.ForeignKey(Nonconformity, on_delete=models.PROTECT, related_name="internal_notes")
    text = models.TextField(_("note"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.nonconformity}: {self.text[:40]}"


class NonconformityEventKind(models.TextChoices):
    ISSUED = "issued", _("Issued")
    ANSWERED = "answered", _("Answered")
    REJECTED = "rejected", _("Answer rejected")
    ACCEPTED = "accepted", _("Answer accepted")
    CLOSED = "closed", _("Verified and closed")
    REGRADED = "regraded", _("Grade changed")


class NonconformityEvent(models.Model):
    """Each step of a nonconformity, dated and attributed: the thread both sides read."""

    nonconformity = models.ForeignKey(Nonconformity, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("step"), max_length=20, choices=NonconformityEventKind.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("when"), auto_now_add=True)
    response = models.ForeignKey(
        NonconformityResponse, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("nonconformity step")
        verbose_name_plural = _("nonconformity steps")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.nonconformity} {self.kind}"


class Notice(models.Model):
    """An e-mail sent about a nonconformity for one event; the unique key makes sending idempotent.

    `key` names the occasion, e.g. "reminder-7:2026-12-28" or "escalation-response:2026-12-28",
    so a deadline moved later gets its own reminders, and a re-run of the beat task sends nothing.
    """

    nonconformity = models.ForeignKey(Nonconformity, on_delete=models.PROTECT, related_name="notices")
    key = models.CharField(_("occasion"), max_length=80)
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)
    recipients = models.JSONField(_("recipients"), default=list)

    class Meta:
        verbose_name = _("notice sent")
        verbose_name_plural = _("notices sent")
        constraints = [
            models.UniqueConstraint(fields=["nonconformity", "key"], name="notice_once_per_occasion")
        ]

    def __str__(self):
        return f"{self.nonconformity} {self.key}"


def nc_document_path(instance, filename):
    """documents/nonconformities/<nc id>/ncr-<timestamp>.pdf: every version kept side by side."""
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
    return f"documents/nonconformities/{instance.nonconformity_id}/ncr-{stamp}.pdf"


class NonconformityDocument(models.Model):
    """An NCR PDF, with the template version and the digest of the data that produced it.

    Documents are records: each step of the nonconformity gives a new document, the old ones stay.
    """

    nonconformity = models.ForeignKey(Nonconformity, on_delete=models.PROTECT, related_name="documents")
    file = models.FileField(_("file"), upload_to=nc_document_path, max_length=255)
    template_version = models.CharField(_("template version"), max_length=20)
    data_digest = models.CharField(
        _("data digest"), max_length=64, help_text=_("SHA-256 of the data the document was made from.")
    )
    size = models.PositiveIntegerField(_("size (bytes)"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("nonconformity document")
        verbose_name_plural = _("nonconformity documents")
        ordering = ["nonconformity_id", "-created_at", "-id"]
        indexes = [
            # The latest document of a nonconformity: downloads and the unchanged-data check.
            models.Index(fields=["nonconformity", "created_at"], name="ncdocument_latest_idx"),
        ]

    def __str__(self):
        made = f" ({self.created_at:%Y-%m-%d %H:%M})" if self.created_at else ""
        return f"NCR {self.nonconformity}{made}"
