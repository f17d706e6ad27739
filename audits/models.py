from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from clients.models import Organization, Site
from core.limits import LONG_TEXT_MAX_LENGTH
from standards.models import Clause, Standard


class TeamRole(models.TextChoices):
    """A role on an audit team, and the competence that qualifies a person for it (one vocabulary:
    which competences qualify for which role is audits.team_rules.QUALIFYING_COMPETENCES)."""

    LEAD_AUDITOR = "lead_auditor", _("Lead auditor")
    AUDITOR = "auditor", _("Auditor")
    TECHNICAL_EXPERT = "technical_expert", _("Technical expert")


class CompetenceQuerySet(models.QuerySet):
    def valid_between(self, start, end):
        """Competences valid on every day from start to end."""
        return self.filter(valid_from__lte=start).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=end))


class Competence(models.Model):
    """A person's qualification to audit a standard in a role, for a period."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="competences")
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="competences")
    role = models.CharField(_("role"), max_length=20, choices=TeamRole.choices)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = CompetenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("competence")
        verbose_name_plural = _("competences")
        ordering = ["user_id", "standard__code", "role"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="competence_valid_to_after_from",
                violation_error_message=_("'Valid to' must be on or after 'valid from'."),
            )
        ]

    def __str__(self):
        return f"{self.user} – {self.standard.code} ({self.get_role_display()})"


class AuditType(models.TextChoices):
    STAGE1 = "stage1", _("Stage 1")
    STAGE2 = "stage2", _("Stage 2")
    SURVEILLANCE = "surveillance", _("Surveillance")
    RECERTIFICATION = "recertification", _("Recertification")
    SPECIAL = "special", _("Special / short-notice")


class AuditStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    CONFIRMED = "confirmed", _("Plan confirmed")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class AuditMode(models.TextChoices):
    ON_SITE = "on_site", _("On site")
    REMOTE = "remote", _("Remote")
    HYBRID = "hybrid", _("Hybrid")


class ProgrammeStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class CertificationProgramme(models.Model):
    """A client's certification cycle for one or more standards: stage 1 to recertification."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="programmes", verbose_name=_("organisation")
    )
    standards = models.ManyToManyField(
        Standard, through="ProgrammeStandard", related_name="programmes", verbose_name=_("standards")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ProgrammeStatus.choices, default=ProgrammeStatus.ACTIVE
    )
    decision_date = models.DateField(
        _("certification decision"),
        null=True,
        blank=True,
        help_text=_("The decision that starts the cycle; the due dates of later audits follow from it."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("certification programme")
        verbose_name_plural = _("certification programmes")
        ordering = ["organization_id", "-created_at", "-id"]

    def __str__(self):
        codes = ", ".join(standard.code for standard in self.standards.all())
        return _("Programme %(codes)s – %(organization)s") % {
            "codes": codes,
            "organization": self.organization,
        }


# The many-to-many links of programmes, audits, plan slots and certificates have their own models
# only for on_delete: Django's implicit ones cascade, so deleting a standard, site or clause would
# silently take it out of the records that name it. PROTECT refuses that delete instead.


class ProgrammeStandard(models.Model):
    programme = models.ForeignKey(CertificationProgramme, on_delete=models.CASCADE)
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("standard of a programme")
        verbose_name_plural = _("standards of programmes")
        constraints = [
            models.UniqueConstraint(fields=["programme", "standard"], name="programme_standard_once")
        ]

    def __str__(self):
        return f"{self.standard} – {self.programme}"


class Recommendation(models.TextChoices):
    CERTIFY = "certify", _("Certify")
    CERTIFY_AFTER_MAJORS = "certify_after_majors", _("Certify once the major nonconformities are closed")
    DO_NOT_CERTIFY = "do_not_certify", _("Do not certify")


class AuditQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status__in=[AuditStatus.CLOSED, AuditStatus.CANCELLED])


class Audit(models.Model):
    """One audit of a client against one or more standards, over one to a few days."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="audits", verbose_name=_("organisation")
    )
    programme = models.ForeignKey(
        CertificationProgramme,
        on_delete=models.PROTECT,
        related_name="audits",
        null=True,
        blank=True,
        verbose_name=_("programme"),
    )
    standards = models.ManyToManyField(
        Standard, through="AuditStandard", related_name="audits", verbose_name=_("standards")
    )
    audit_type = models.CharField(_("type"), max_length=20, choices=AuditType.choices)
    sequence = models.PositiveSmallIntegerField(
        _("number in the cycle"), default=1, help_text=_("1 for the first surveillance, 2 for the second.")
    )
    mode = models.CharField(_("mode"), max_length=10, choices=AuditMode.choices, default=AuditMode.ON_SITE)
    status = models.CharField(
        _("status"), max_length=20, choices=AuditStatus.choices, default=AuditStatus.PLANNED
    )
    start_date = models.DateField(_("first day"), null=True, blank=True)
    end_date = models.DateField(_("last day"), null=True, blank=True)
    due_date = models.DateField(_("due by"), null=True, blank=True)
    sites = models.ManyToManyField(
        Site, through="AuditSite", related_name="audits", blank=True, verbose_name=_("sites to visit")
    )
    objectives = models.TextField(_("objectives"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    scope = models.TextField(_("scope"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    criteria = models.TextField(_("criteria"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    language = models.CharField(_("audit language"), max_length=40, blank=True, default="Swedish")
    planned_days = models.DecimalField(_("audit days"), max_digits=5, decimal_places=1, null=True, blank=True)
    time_calculation = models.JSONField(
        _("audit-time calculation"),
        default=dict,
        blank=True,
        help_text=_("The calculation and its justification as given to the client."),
    )
    sampling_seed = models.PositiveIntegerField(_("sampling seed"), null=True, blank=True)
    plan_justification = models.TextField(
        _("justification of plan hours"),
        blank=True,
        max_length=LONG_TEXT_MAX_LENGTH,
        help_text=_("Why the plan's hours differ from the computed audit time, when they do."),
    )
    confirmed_at = models.DateTimeField(_("plan confirmed"), null=True, blank=True)
    # Closing: the team's conclusion and recommendation, which the audit report carries.
    recommendation = models.CharField(
        _("team's recommendation"), max_length=30, choices=Recommendation.choices, blank=True
    )
    conclusion = models.TextField(_("conclusion"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    plan_deviations = models.TextField(
        _("deviations from the plan"),
        blank=True,
        max_length=LONG_TEXT_MAX_LENGTH,
        help_text=_("What was not audited as planned, and why (clauses, sites, times)."),
    )
    # The report's other statements (17021-1 9.4.8), entered when closing.
    unresolved_issues = models.TextField(_("unresolved issues"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    significant_changes = models.TextField(
        _("significant changes since the last audit"), blank=True, max_length=LONG_TEXT_MAX_LENGTH
    )
    ict_effectiveness = models.TextField(
        _("effectiveness of the ICT used"), blank=True, max_length=LONG_TEXT_MAX_LENGTH
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit")
        verbose_name_plural = _("audits")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="audit_end_not_before_start",
                violation_error_message=_("The last day cannot be before the first day."),
            )
        ]
        indexes = [
            # The audit lists filter by organisation and sort by date.
            models.Index(fields=["organization", "start_date"], name="audit_org_start_idx"),
        ]

    def __str__(self):
        return f"{self.label} – {self.organization}"

    @property
    def label(self) -> str:
        """'Stage 1', 'Surveillance 2', 'Special / short-notice 2': how pages, documents and the
        client name the audit, in the active language (documents render under the recipient's).

        Surveillances are numbered, as a programme has several; a special audit from its second.
        """
        label = str(self.get_audit_type_display())
        if self.audit_type == AuditType.SURVEILLANCE or (
            self.audit_type == AuditType.SPECIAL and self.sequence > 1
        ):
            label = f"{label} {self.sequence}"
        return label

    @property
    def report_issued(self) -> bool:
        """The client's users read findings and shared evidence once the audit is closed."""
        return self.status == AuditStatus.CLOSED and self.closed_at is not None


class AuditStandard(models.Model):
    audit = models.ForeignKey(Audit, on_delete=models.CASCADE)
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("standard of an audit")
        verbose_name_plural = _("standards of audits")
        constraints = [models.UniqueConstraint(fields=["audit", "standard"], name="audit_standard_once")]

    def __str__(self):
        return f"{self.standard} – {self.audit}"


class IctCheck(models.Model):
    """The ICT feasibility and risk check of a remote or hybrid audit (IAF MD 4), before its plan."""

    audit = models.OneToOneField(Audit, on_delete=models.CASCADE, related_name="ict_check")
    tools = models.TextField(_("ICT tools to be used"), max_length=LONG_TEXT_MAX_LENGTH)
    connectivity = models.TextField(_("connectivity"), max_length=LONG_TEXT_MAX_LENGTH)
    confidentiality = models.TextField(_("confidentiality and security"), max_length=LONG_TEXT_MAX_LENGTH)
    limitations = models.TextField(_("what cannot be seen remotely"), max_length=LONG_TEXT_MAX_LENGTH)
    remote_percent = models.PositiveIntegerField(
        _("share of audit time held remotely (%)"), validators=[MaxValueValidator(100)]
    )
    feasible = models.BooleanField(_("remote auditing is feasible"))
    onsite_justification = models.TextField(
        _("why less time on site than the scheme asks"), blank=True, max_length=LONG_TEXT_MAX_LENGTH
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    checked_at = models.DateTimeField(_("checked"))

    class Meta:
        verbose_name = _("ICT check")
        verbose_name_plural = _("ICT checks")

    def __str__(self):
        return f"{self.audit} – {self.checked_at:%Y-%m-%d}"


class AuditSite(models.Model):
    audit = models.ForeignKey(Audit, on_delete=models.CASCADE)
    site = models.ForeignKey(Site, on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("site of an audit")
        verbose_name_plural = _("sites of audits")
        constraints = [models.UniqueConstraint(fields=["audit", "site"], name="audit_site_once")]

    def __str__(self):
        return f"{self.site} – {self.audit}"


class TeamMember(models.Model):
    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="audit_roles")
    role = models.CharField(_("role"), max_length=20, choices=TeamRole.choices)
    added_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["audit_id", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "user"], name="team_member_once_per_audit"),
            models.UniqueConstraint(
                fields=["audit"],
                condition=Q(role="lead_auditor"),
                name="team_one_lead_auditor",
                violation_error_message=_("The audit already has a lead auditor."),
            ),
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"


class ObjectionOutcome(models.TextChoices):
    OPEN = "", _("Awaiting staff's decision")
    REPLACED = "replaced", _("Member replaced")
    KEPT = "kept", _("Member kept")


class TeamObjection(models.Model):
    """The client's objection to a named team member before the plan is confirmed (17021-1 9.2.3.3).

    Names the person, not the team row: the record stays when staff replace them. Open until
    staff replace the member or record why they stay; while open it stops the plan.
    """

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="objections")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="team_objections",
        verbose_name=_("team member objected to"),
    )
    reason = models.TextField(_("reason"), max_length=LONG_TEXT_MAX_LENGTH)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("raised by"),
    )
    raised_at = models.DateTimeField(_("raised"), auto_now_add=True)
    outcome = models.CharField(
        _("decision"),
        max_length=10,
        choices=ObjectionOutcome.choices,
        default=ObjectionOutcome.OPEN,
        blank=True,
    )
    decision_reason = models.TextField(
        _("reason for the decision"), blank=True, max_length=LONG_TEXT_MAX_LENGTH
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("objection to a team member")
        verbose_name_plural = _("objections to team members")
        ordering = ["audit_id", "raised_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["audit", "user"],
                condition=Q(outcome=""),
                name="team_objection_one_open_per_member",
                violation_error_message=_("An objection to this member is already open."),
            )
        ]

    def __str__(self):
        return f"{self.user} – {self.audit}"

    @property
    def is_open(self) -> bool:
        return self.outcome == ObjectionOutcome.OPEN


class AuditDay(models.Model):
    """One day of an audit plan, spent at one site."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="audit_days", verbose_name=_("site")
    )

    class Meta:
        verbose_name = _("audit day")
        verbose_name_plural = _("audit days")
        ordering = ["audit_id", "date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "date", "site"], name="audit_day_unique_date_site"),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.site.name}"


class PlanSlot(models.Model):
    """A time slot of an audit day: what is audited, by whom."""

    day = models.ForeignKey(AuditDay, on_delete=models.CASCADE, related_name="slots")
    start = models.TimeField(_("from"))
    end = models.TimeField(_("to"))
    member = models.ForeignKey(
        TeamMember, on_delete=models.PROTECT, related_name="slots", verbose_name=_("by")
    )
    activity = models.CharField(_("activity or process"), max_length=200)
    clauses = models.ManyToManyField(
        Clause, through="PlanSlotClause", related_name="plan_slots", blank=True, verbose_name=_("clauses")
    )

    class Meta:
        verbose_name = _("plan slot")
        verbose_name_plural = _("plan slots")
        ordering = ["day_id", "start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="plan_slot_ends_after_start",
                violation_error_message=_("A slot must end after it starts."),
            )
        ]

    def __str__(self):
        return f"{self.day} {self.start:%H:%M}-{self.end:%H:%M} {self.activity}"

    @property
    def hours(self):
        minutes = (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)
        return Decimal(minutes) / Decimal(60)


class PlanSlotClause(models.Model):
    # Named as Django's implicit link named it, so queries through it keep working.
    planslot = models.ForeignKey(PlanSlot, on_delete=models.CASCADE)
    clause = models.ForeignKey(Clause, on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("clause of a plan slot")
        verbose_name_plural = _("clauses of plan slots")
        constraints = [models.UniqueConstraint(fields=["planslot", "clause"], name="plan_slot_clause_once")]

    def __str__(self):
        return f"{self.clause} – {self.planslot}"


class AuditUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Audit, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        abstract = False


class AuditGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Audit, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False


class DocumentKind(models.TextChoices):
    PLAN = "plan", _("Audit plan")
    REPORT = "report", _("Audit report")
    NC_SUMMARY = "nc_summary", _("Nonconformities of the audit")


def audit_document_path(instance, filename):
    """documents/audits/<audit id>/<kind>-<timestamp>.pdf: every version kept side by side."""
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
    return f"documents/audits/{instance.audit_id}/{instance.kind}-{stamp}.pdf"


class AuditDocument(models.Model):
    """A PDF made for an audit, with the template version and the digest of the data that produced it.

    Documents are records: a changed plan gives a new document, the old one stays.
    """

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("kind"), max_length=10, choices=DocumentKind.choices)
    file = models.FileField(_("file"), upload_to=audit_document_path, max_length=255)
    template_version = models.CharField(_("template version"), max_length=20)
    data_digest = models.CharField(
        _("data digest"), max_length=64, help_text=_("SHA-256 of the data the document was made from.")
    )
    size = models.PositiveIntegerField(_("size (bytes)"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("audit document")
        verbose_name_plural = _("audit documents")
        ordering = ["audit_id", "kind", "-created_at", "-id"]
        indexes = [
            # The latest document of a kind for an audit: downloads and the unchanged-data check.
            models.Index(fields=["audit", "kind", "created_at"], name="auditdocument_latest_idx"),
        ]

    def __str__(self):
        made = f" ({self.created_at:%Y-%m-%d %H:%M})" if self.created_at else ""
        return f"{self.get_kind_display()} – {self.audit}{made}"


class NumberSequence(models.Model):
    """The last number handed out per series and year (NC-2026-0007, certificates), for unique numbers.

    Taken under a row lock, so two workers never hand out the same number.
    """

    series = models.CharField(_("series"), max_length=20)
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")
        constraints = [models.UniqueConstraint(fields=["series", "year"], name="number_sequence_unique")]

    def __str__(self):
        return f"{self.series}-{self.year}: {self.last}"
