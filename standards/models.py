"""The standards library: standards, their clause trees and the certification body's scheme (policy)
for each. Lower than audits: audits, findings and certificates point at these, never the reverse.

The tables keep the names they had when these models lived in audits (`audits_standard`, ...), so
an existing database moved them with no copy (see migrations/0001_initial.py).
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from standards.marks import validate_accreditation_mark


class AccreditationBasis(models.TextChoices):
    MANAGEMENT_SYSTEM = "17021-1", _("ISO/IEC 17021-1 (management systems)")
    PRODUCT_SERVICE = "17065", _("ISO/IEC 17065 (products and services)")


class Standard(models.Model):
    """A standard the certification body certifies against, with its clause tree."""

    code = models.CharField(
        _("code"), max_length=60, unique=True, help_text=_("For example ISO 18295-1:2017.")
    )
    title = models.CharField(_("title"), max_length=300)
    edition = models.CharField(_("edition"), max_length=40)
    accreditation_basis = models.CharField(
        _("accreditation basis"),
        max_length=10,
        choices=AccreditationBasis.choices,
        default=AccreditationBasis.MANAGEMENT_SYSTEM,
    )
    description = models.TextField(_("description"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        db_table = "audits_standard"
        verbose_name = _("standard")
        verbose_name_plural = _("standards")
        ordering = ["code"]

    def __str__(self):
        return self.code


class Clause(models.Model):
    """A numbered clause of a standard: number and short title only, never requirement text."""

    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="clauses")
    number = models.CharField(_("number"), max_length=20)
    title = models.CharField(_("title"), max_length=300)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    auditable = models.BooleanField(
        _("auditable"), default=True, help_text=_("Unticked for headings that only group other clauses.")
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("A clause dropped from a newer import stays for the records that point at it, inactive."),
    )

    class Meta:
        db_table = "audits_clause"
        verbose_name = _("clause")
        verbose_name_plural = _("clauses")
        ordering = ["standard_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "number"], name="clause_unique_number_per_standard"),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="clause_not_own_parent"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def depth(self) -> int:
        return self.number.count(".")


class Stage1Mode(models.TextChoices):
    FIXED = "fixed", _("Fixed number of days")
    SHARE = "share", _("Share of the initial audit time")


def validate_audit_time_table(value):
    """The table is a list of {"up_to": int or null, "days": number} rows, ascending, last open-ended."""
    if not isinstance(value, list) or not value:
        raise ValidationError(_("The audit-time table must be a non-empty list of rows."))
    previous = 0
    for index, row in enumerate(value, start=1):
        if not isinstance(row, dict) or set(row) != {"up_to", "days"}:
            raise ValidationError(
                _("Row %(row)s must have exactly 'up_to' and 'days'."), params={"row": index}
            )
        try:
            days = Decimal(str(row["days"]))
        except InvalidOperation:
            raise ValidationError(_("Row %(row)s: days must be a number."), params={"row": index}) from None
        if days <= 0:
            raise ValidationError(_("Row %(row)s: days must be more than zero."), params={"row": index})
        up_to = row["up_to"]
        is_last = index == len(value)
        if up_to is None:
            if not is_last:
                raise ValidationError(_("Only the last row may be open-ended (up_to null)."))
            continue
        if not isinstance(up_to, int) or up_to <= previous:
            raise ValidationError(
                _("Row %(row)s: up_to must be a whole number greater than the row before."),
                params={"row": index},
            )
        previous = up_to
    if value[-1]["up_to"] is not None:
        raise ValidationError(_("The last row must be open-ended (up_to null) so every size is covered."))


def default_integration_criteria() -> str:
    """IAF MD 11's aspects of an integrated management system, one a line (shared/DOMAIN.md)."""
    return "\n".join(
        [
            "One set of documentation, including work instructions",
            "One management review of the whole business strategy and plan",
            "One approach to internal audits",
            "One policy and objectives",
            "One approach to improvement and corrective action",
            "One set of management responsibilities and support",
        ]
    )


class CertificationScheme(models.Model):
    """The certification body's policy for one standard, editable by staff (see shared/DOMAIN.md)."""

    standard = models.OneToOneField(Standard, on_delete=models.CASCADE, related_name="scheme")
    # The certification cycle.
    cycle_months = models.PositiveIntegerField(_("cycle length (months)"), default=36)
    # ISO/IEC 17021-1 allows no more than 12: a scheme may ask for the first surveillance sooner.
    first_surveillance_max_months = models.PositiveIntegerField(
        _("first surveillance at the latest (months after the decision)"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    surveillances_per_year = models.PositiveIntegerField(
        _("surveillance audits per calendar year"), default=1
    )
    stage_gap_warning_months = models.PositiveIntegerField(
        _("warn when stage 2 is more than this many months after stage 1"), default=6
    )
    restore_after_expiry_months = models.PositiveIntegerField(
        _("certification may be restored within (months after expiry)"), default=6
    )
    suspension_max_months = models.PositiveIntegerField(_("longest suspension (months)"), default=6)
    # Nonconformity deadlines.
    nc_response_days = models.PositiveIntegerField(
        _("days for the client to answer a nonconformity"), default=30
    )
    major_nc_close_days = models.PositiveIntegerField(
        _("days to verify a major nonconformity closed"), default=90
    )
    minor_nc_verified_at_next_audit = models.BooleanField(
        _("a minor's accepted plan is verified at the next audit"), default=True
    )
    suspension_candidate_days = models.PositiveIntegerField(
        _("days without an answer before suspension is considered"), default=90
    )
    initial_major_nc_max_months = models.PositiveIntegerField(
        _("months after the last stage 2 day to close majors before a new stage 2 is needed"), default=6
    )
    # Complaints and appeals (ISO/IEC 17021-1 9.7, 9.8): the body's own deadlines for its answer.
    complaint_acknowledge_working_days = models.PositiveIntegerField(
        _("working days to acknowledge a complaint or appeal"),
        default=5,
        validators=[MinValueValidator(1)],
    )
    complaint_answer_days = models.PositiveIntegerField(
        _("days to answer a complaint or appeal"), default=30, validators=[MinValueValidator(1)]
    )
    # Audit time.
    audit_time_table = models.JSONField(
        _("audit-time table"),
        validators=[validate_audit_time_table],
        help_text=_('Rows of {"up_to": personnel, "days": initial audit days}; the last row has up_to null.'),
    )
    above_table_every_personnel = models.PositiveIntegerField(
        _("beyond the table, one step per this many personnel"), null=True, blank=True
    )
    above_table_extra_days = models.DecimalField(
        _("beyond the table, days added per step"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    extra_days_per_additional_site = models.DecimalField(
        _("days added per visited site besides the first"), max_digits=4, decimal_places=1, default=0
    )
    stage1_mode = models.CharField(_("stage 1 time"), max_length=10, choices=Stage1Mode.choices)
    stage1_share = models.DecimalField(_("stage 1 share of initial time"), max_digits=5, decimal_places=4)
    stage1_days = models.DecimalField(
        _("stage 1 days (fixed, or the minimum)"), max_digits=4, decimal_places=1
    )
    stage1_remote_allowed = models.BooleanField(
        _("stage 1 may be held remotely"),
        default=False,
        help_text=_("When ticked, stage 1 does not count towards the days on site."),
    )
    surveillance_factor = models.DecimalField(
        _("surveillance time as a share of initial time"), max_digits=5, decimal_places=4
    )
    recertification_factor = models.DecimalField(
        _("recertification time as a share of initial time"), max_digits=5, decimal_places=4
    )
    min_audit_days = models.DecimalField(_("fewest days for any audit"), max_digits=4, decimal_places=1)
    max_days_per_audit = models.DecimalField(
        _("most days for one audit"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    audit_day_hours = models.PositiveIntegerField(_("hours in an audit day"), default=8)
    min_onsite_percent = models.PositiveIntegerField(
        _("least share of audit time on site (%)"), default=80, validators=[MaxValueValidator(100)]
    )
    max_reduction_percent = models.PositiveIntegerField(
        _("largest total reduction (%)"), default=30, validators=[MaxValueValidator(100)]
    )
    multi_site_sampling_allowed = models.BooleanField(_("multi-site sampling allowed"), default=True)
    # Combined audits of several standards (IAF MD 11).
    integration_max_reduction_percent = models.PositiveIntegerField(
        _("largest reduction of a combined audit for integration (%)"),
        default=20,
        validators=[MaxValueValidator(20)],
        help_text=_(
            "A combined audit starts from the sum of each standard's time; IAF MD 11 allows at most a fifth "
            "less for an integrated management system. Of several schemes, the smallest limit applies."
        ),
    )
    integration_criteria = models.TextField(
        _("what makes a management system integrated"),
        default=default_integration_criteria,
        help_text=_(
            "One criterion a line; planners weigh them when they choose the reduction for integration."
        ),
    )
    sampled_site_max_reduction_percent = models.PositiveIntegerField(
        _("largest reduction of time per sampled site (%)"), default=50, validators=[MaxValueValidator(100)]
    )
    # Quotes.
    day_rate = models.DecimalField(
        _("day rate"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)], default=0
    )
    currency = models.CharField(_("currency"), max_length=3, default="SEK")
    # Accreditation (ISO/IEC 17021-1 8.3, IAF MD 28): only an accredited scheme's certificates bear
    # the accreditation body's mark and number, and report "Accredited" to IAF CertSearch.
    accredited = models.BooleanField(
        _("under accreditation"),
        default=False,
        help_text=_("Certificates under this scheme carry the accreditation mark and number."),
    )
    accreditation_body = models.CharField(
        _("accreditation body"), max_length=100, blank=True, help_text=_("For example Swedac.")
    )
    accreditation_number = models.CharField(_("accreditation number"), max_length=60, blank=True)
    accreditation_mark = models.FileField(
        _("accreditation mark"),
        upload_to="accreditation-marks/",
        blank=True,
        validators=[validate_accreditation_mark],
        help_text=_("The accreditation body's mark with the number, as a PNG or JPEG picture."),
    )
    # Records (ISO/IEC 17021-1 9.9): kept this long after the organisation's last certificate ends.
    records_retention_years = models.PositiveIntegerField(
        _("years to keep records after a certificate ends"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        db_table = "audits_certificationscheme"
        verbose_name = _("certification scheme")
        verbose_name_plural = _("certification schemes")
        ordering = ["standard__code"]
        constraints = [
            models.CheckConstraint(condition=Q(cycle_months__gt=0), name="scheme_cycle_positive"),
            models.CheckConstraint(condition=Q(min_audit_days__gt=0), name="scheme_min_days_positive"),
            # An accredited scheme says by whom and under which number; the certificates print both.
            models.CheckConstraint(
                condition=Q(accredited=False) | (~Q(accreditation_body="") & ~Q(accreditation_number="")),
                name="scheme_accreditation_complete",
            ),
            models.CheckConstraint(
                condition=Q(records_retention_years__gte=1), name="scheme_retention_positive"
            ),
        ]

    def __str__(self):
        return _("Scheme for %(standard)s") % {"standard": self.standard.code}

    def clean(self):
        super().clean()
        if self.accredited:
            errors = {}
            if not self.accreditation_body.strip():
                errors["accreditation_body"] = _("An accredited scheme names its accreditation body.")
            if not self.accreditation_number.strip():
                errors["accreditation_number"] = _("An accredited scheme gives its accreditation number.")
            if errors:
                raise ValidationError(errors)
