"""Complaints and appeals (ISO/IEC 17021-1 9.7 appeals, 9.8 complaints).

A complaint comes from anyone (the public form, a client's user in the portal, staff recording a
letter or a call) about the certification body or about a certified client; an appeal comes from a
client against a decision concerning it. Both are cases with a receipt number, a handler, states
that change only through the services, deadlines from the scheme's policy, a timeline of progress
reports (some for the submitter, some internal) and an outcome with reasons.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.limits import LONG_TEXT_MAX_LENGTH


class CaseState(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    INVESTIGATING = "investigating", _("Under investigation")
    DECIDED = "decided", _("Decided")
    CLOSED = "closed", _("Closed")


class CaseSource(models.TextChoices):
    PUBLIC = "public", _("Public form")
    PORTAL = "portal", _("Portal")
    STAFF = "staff", _("Recorded by staff (letter, call or e-mail)")


class CaseOutcome(models.TextChoices):
    UPHELD = "upheld", _("Upheld")
    NOT_UPHELD = "not_upheld", _("Not upheld")
    PARTLY = "partly", _("Partly upheld")


class CaseQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(state=CaseState.CLOSED)

    def overdue(self, today):
        """Open cases past their acknowledge-by date while not acknowledged, or past their answer-by
        date while not decided."""
        return self.filter(
            Q(state=CaseState.RECEIVED, acknowledge_by__lt=today)
            | Q(
                state__in=[CaseState.RECEIVED, CaseState.ACKNOWLEDGED, CaseState.INVESTIGATING],
                answer_by__lt=today,
            )
        )


class Case(models.Model):
    """What a complaint and an appeal share."""

    number = models.CharField(_("reference number"), max_length=30, unique=True)
    submitter_name = models.CharField(_("name"), max_length=200)
    submitter_email = models.EmailField(_("e-mail address"))
    submitter_language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by (user)"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), max_length=LONG_TEXT_MAX_LENGTH)
    source = models.CharField(_("received through"), max_length=10, choices=CaseSource.choices)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handler"),
    )
    investigator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("investigator"),
    )
    state = models.CharField(_("state"), max_length=15, choices=CaseState.choices, default=CaseState.RECEIVED)
    received_on = models.DateField(_("received"))
    acknowledge_by = models.DateField(_("acknowledge by"))
    answer_by = models.DateField(_("answer by"))
    acknowledged_on = models.DateField(_("acknowledged"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=CaseOutcome.choices, blank=True)
    reasons = models.TextField(_("reasons"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    decided_on = models.DateField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    closed_on = models.DateField(_("closed"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-received_on", "-id"]

    def __str__(self):
        return f"{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.state != CaseState.CLOSED


class ComplaintAbout(models.TextChoices):
    BODY = "body", _("The certification body")
    CLIENT = "client", _("A certified client")


class Complaint(Case):
    about = models.CharField(
        _("about"), max_length=10, choices=ComplaintAbout.choices, default=ComplaintAbout.BODY
    )
    # The organisation the complaint is about (a certified client), never shown to that client.
    organization = models.ForeignKey(
        "clients.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints_about",
        verbose_name=_("organisation complained about"),
    )
    certificate = models.ForeignKey(
        "certificates.Certificate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("certificate"),
    )
    # An audit the complaint is about: its team may not investigate (17021-1 9.8).
    audit = models.ForeignKey(
        "audits.Audit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("audit concerned"),
    )
    # The client organisation whose user filed it in the portal: its users follow the case.
    submitter_organization = models.ForeignKey(
        "clients.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints_filed",
        verbose_name=_("filed by the organisation"),
    )
    special_audit = models.ForeignKey(
        "audits.Audit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints_leading_here",
        verbose_name=_("special audit"),
    )

    class Meta(Case.Meta):
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        constraints = [
            models.CheckConstraint(
                condition=Q(about="body") | Q(organization__isnull=False),
                name="complaint_about_client_names_it",
                violation_error_message=_("A complaint about a certified client names the organisation."),
            ),
        ]
        indexes = [
            # The overdue list and the reminders: open cases by their deadlines.
            models.Index(fields=["state", "answer_by"], name="complaint_state_due_idx"),
        ]


class AppealAgainst(models.TextChoices):
    DECISION = "decision", _("A certification decision")
    SUSPENSION = "suspension", _("A suspension")
    WITHDRAWAL = "withdrawal", _("A withdrawal")
    SCOPE_REDUCTION = "scope_reduction", _("A reduction of scope")
    NC_GRADE = "nc_grade", _("The grade of a nonconformity")


class Appeal(Case):
    organization = models.ForeignKey(
        "clients.Organization", on_delete=models.PROTECT, related_name="appeals", verbose_name=_("appellant")
    )
    against = models.CharField(_("against"), max_length=20, choices=AppealAgainst.choices)
    decision = models.ForeignKey(
        "certificates.Decision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appeals",
        verbose_name=_("decision appealed"),
    )
    certificate_event = models.ForeignKey(
        "certificates.CertificateEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appeals",
        verbose_name=_("certificate change appealed"),
    )
    nonconformity = models.ForeignKey(
        "findings.Nonconformity",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appeals",
        verbose_name=_("nonconformity appealed"),
    )
    # How an upheld appeal was carried out: the certificate change made through the certificates'
    # services (a reinstatement, say), never an edit of the record appealed.
    remedy_event = models.ForeignKey(
        "certificates.CertificateEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appeals_remedied",
        verbose_name=_("change made on the appeal"),
    )
    # An upheld appeal against a refusal: the new decision that supersedes the one appealed.
    remedy_decision = models.ForeignKey(
        "certificates.Decision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appeals_remedied",
        verbose_name=_("decision taken on the appeal"),
    )
    # An upheld appeal against a nonconformity's grade: the findings' "regraded" step.
    remedy_nc_event = models.ForeignKey(
        "findings.NonconformityEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appeals_remedied",
        verbose_name=_("regrading on the appeal"),
    )

    class Meta(Case.Meta):
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        constraints = [
            models.CheckConstraint(
                condition=Q(decision__isnull=False)
                | Q(certificate_event__isnull=False)
                | Q(nonconformity__isnull=False),
                name="appeal_names_what_it_is_against",
                violation_error_message=_("An appeal names the decision it is against."),
            ),
        ]
        indexes = [
            # The overdue list and the reminders: open cases by their deadlines.
            models.Index(fields=["state", "answer_by"], name="appeal_state_due_idx"),
        ]


class EntryKind(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ASSIGNED = "assigned", _("Handler or investigator assigned")
    PROGRESS = "progress", _("Progress report")
    SPECIAL_AUDIT = "special_audit", _("Special audit arranged")
    SUSPENSION = "suspension", _("Certificate suspended")
    REINSTATEMENT = "reinstatement", _("Certificate reinstated")
    REDECIDED = "redecided", _("New certification decision")
    REGRADED = "regraded", _("Nonconformity regraded")
    DECIDED = "decided", _("Decided")
    CLOSED = "closed", _("Closed")


class TimelineEntry(models.Model):
    """One step of a case, dated and attributed; the submitter reads those marked visible."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, null=True, blank=True, related_name="timeline"
    )
    appeal = models.ForeignKey(
        Appeal, on_delete=models.CASCADE, null=True, blank=True, related_name="timeline"
    )
    kind = models.CharField(_("step"), max_length=15, choices=EntryKind.choices)
    text = models.TextField(_("text"), max_length=LONG_TEXT_MAX_LENGTH, blank=True)
    visible_to_submitter = models.BooleanField(_("visible to the submitter"), default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(complaint__isnull=False, appeal__isnull=True)
                | Q(complaint__isnull=True, appeal__isnull=False),
                name="timeline_entry_of_one_case",
            ),
        ]

    def __str__(self):
        return f"{self.complaint or self.appeal}: {self.get_kind_display()}"


class DeadlineReminder(models.Model):
    """A reminder sent to a handler, once per case, occasion and deadline (the periodic task's key)."""

    case_number = models.CharField(_("reference number"), max_length=30)
    key = models.CharField(_("occasion"), max_length=60)
    recipients = models.JSONField(_("recipients"), default=list)
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("deadline reminder")
        verbose_name_plural = _("deadline reminders")
        constraints = [
            models.UniqueConstraint(fields=["case_number", "key"], name="reminder_once_per_occasion")
        ]

    def __str__(self):
        return f"{self.case_number} {self.key}"


def letter_path(instance, filename):
    return f"complaints/letters/{instance.case_number}-{instance.pk or 'new'}.pdf"


class OutcomeLetter(models.Model):
    """The outcome letter PDF of a decided case, in the submitter's language."""

    case_number = models.CharField(_("reference number"), max_length=30, unique=True)
    language = models.CharField(_("language"), max_length=10)
    file = models.FileField(_("PDF"), upload_to=letter_path, max_length=255, blank=True)
    template_version = models.CharField(_("template version"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("outcome letter")
        verbose_name_plural = _("outcome letters")

    def __str__(self):
        return self.case_number
