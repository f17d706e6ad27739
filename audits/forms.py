"""Forms for planning in the browser. They collect input; the services in audits/services.py decide."""

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from accounts.roles import AUDITORS
from audits.audit_time import (
    ADJUSTMENT_DECIMALS,
    ADJUSTMENT_LIMIT,
    INITIAL,
    RECERTIFICATION,
    SURVEILLANCE,
    Adjustment,
    Integration,
)
from audits.models import Audit, AuditDay, ObjectionOutcome, TeamMember, TeamRole
from clients.models import Organization
from clients.selectors import organizations_for_user
from core.forms import ModelMultipleChoiceField
from core.limits import LONG_TEXT_MAX_LENGTH
from standards.models import Clause, Standard

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def plan_day_label(day: AuditDay) -> str:
    """A plan day as people write it, in the user's language: "Mon 28 Dec 2026 · Umeå"."""
    weekday, date = formats.date_format(day.date, "D"), formats.date_format(day.date, "DATE_FORMAT")
    return f"{weekday} {date} · {day.site.name}"


def site_label(site) -> str:
    """A site as a choice: its name, and its city when the name does not already say it."""
    return site.name if site.city in ("", site.name) else f"{site.name} ({site.city})"


def standards_with_scheme():
    return Standard.objects.filter(scheme__isnull=False).order_by("code")


class ProgrammeForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("Organisation"), queryset=Organization.objects.none())
    standards = ModelMultipleChoiceField(
        label=_("Standards"),
        queryset=Standard.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "One programme may cover several standards audited together, such as ISO 18295-1 and -2."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only organisations the user may see: any other id is refused as one that does not exist.
        self.fields["organization"].queryset = organizations_for_user(user).order_by("legal_name")
        self.fields["standards"].queryset = standards_with_scheme()


class DecisionDateForm(forms.Form):
    decision_date = forms.DateField(
        label=_("Date of the certification decision"),
        widget=DATE_INPUT,
        help_text=_("The due dates of the surveillance audits and the recertification follow from it."),
    )


class SpecialAuditForm(forms.Form):
    due_date = forms.DateField(label=_("Due by"), widget=DATE_INPUT, required=False)
    scope = forms.CharField(
        label=_("Reason and scope"),
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example a short-notice audit after a complaint, or an extension of scope."),
    )


class AuditForm(forms.ModelForm):
    sites = ModelMultipleChoiceField(
        label=_("Sites to visit"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Computing the audit time proposes the sample; change it here when needed."),
    )

    class Meta:
        model = Audit
        fields = ["mode", "start_date", "end_date", "due_date", "language", "objectives", "scope", "criteria"]
        widgets = {
            "start_date": DATE_INPUT,
            "end_date": DATE_INPUT,
            "due_date": DATE_INPUT,
            "objectives": forms.Textarea(attrs={"rows": 3}),
            "scope": forms.Textarea(attrs={"rows": 3}),
            "criteria": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sites"].queryset = self.instance.organization.sites.order_by(
            "-is_central_function", "name"
        )
        self.fields["sites"].label_from_instance = site_label
        self.initial.setdefault("sites", list(self.instance.sites.all()))


class AdjustmentForm(forms.Form):
    # The bounds are the calculation's own (audits.audit_time), which the API is held to as well.
    percent = forms.DecimalField(
        label=_("Change (%)"),
        max_digits=5,
        decimal_places=ADJUSTMENT_DECIMALS,
        min_value=-ADJUSTMENT_LIMIT,
        max_value=ADJUSTMENT_LIMIT,
        help_text=_("Negative for a reduction, positive for an increase."),
    )
    justification = forms.CharField(label=_("Justification"), max_length=500)

    def clean(self):
        data = super().clean()
        if "percent" in data and not data.get("justification", "").strip():
            self.add_error("justification", _("Every adjustment needs a written justification (IAF MD 5)."))
        return data


AdjustmentFormSet = forms.formset_factory(AdjustmentForm, extra=3, max_num=10, validate_max=True)


def adjustments_from(formset) -> list[Adjustment]:
    """The filled-in rows of a valid adjustment formset, as Adjustments (empty rows skipped)."""
    adjustments = []
    for row in formset.cleaned_data:
        if row and row.get("percent") is not None:
            adjustments.append(Adjustment(percent=row["percent"], justification=row["justification"]))
    return adjustments


class IntegrationForm(forms.Form):
    """The reduction of a combined audit for the integration of the client's system (IAF MD 11)."""

    # The scheme's own limit (20 % at most) is the calculation's to enforce; the form holds the bound.
    integration_percent = forms.DecimalField(
        label=_("Reduction for integration (%)"),
        required=False,
        max_digits=4,
        decimal_places=ADJUSTMENT_DECIMALS,
        min_value=0,
        max_value=20,
        help_text=_(
            "Only for an audit of several standards: how much less than the sum of each standard's time, "
            "for how far the client's management systems are integrated."
        ),
    )
    integration_justification = forms.CharField(
        label=_("Why this reduction for integration"), required=False, max_length=500
    )

    def clean(self):
        data = super().clean()
        if data.get("integration_percent") and not data.get("integration_justification", "").strip():
            self.add_error(
                "integration_justification",
                _("Say how far the client's management systems are integrated (IAF MD 11)."),
            )
        return data

    def integration(self) -> Integration | None:
        percent = self.cleaned_data.get("integration_percent")
        if not percent:
            return None
        return Integration(percent=percent, justification=self.cleaned_data["integration_justification"])


class ComputeTimeForm(IntegrationForm):
    keep_sample = forms.BooleanField(
        label=_("Keep the same random choice of sites"),
        required=False,
        help_text=_("Reuses the recorded seed, so only changed numbers change the sample."),
    )

    def __init__(self, *args, combined: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # An audit of one standard has nothing to integrate.
        if not combined:
            del self.fields["integration_percent"], self.fields["integration_justification"]


class CalculatorForm(IntegrationForm):
    standard = ModelMultipleChoiceField(
        label=_("Standards"),
        queryset=Standard.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick several for a combined audit: each standard's time is summed (IAF MD 11)."),
    )
    personnel = forms.DecimalField(
        label=_("Effective personnel"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=_("People in scope, part-time staff as full-time equivalents."),
    )
    sites = forms.IntegerField(
        label=_("Sites"),
        min_value=1,
        max_value=100_000,
        help_text=_("Every site, the central function included."),
    )
    audit_type = forms.ChoiceField(
        label=_("Audit"),
        choices=[
            (INITIAL, _("Initial certification (stage 1 + stage 2)")),
            (SURVEILLANCE, _("Surveillance")),
            (RECERTIFICATION, _("Recertification")),
        ],
    )

    field_order = [
        "standard",
        "personnel",
        "sites",
        "audit_type",
        "integration_percent",
        "integration_justification",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["standard"].queryset = standards_with_scheme().select_related("scheme")

    def clean_standard(self):
        chosen = self.data.getlist("standard") if hasattr(self.data, "getlist") else []
        if len(chosen) != len(set(chosen)):
            raise forms.ValidationError(_("A standard is chosen more than once; choose each standard once."))
        return self.cleaned_data["standard"]


class TeamMemberForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Person"), queryset=get_user_model().objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=TeamRole.choices)

    def __init__(self, *args, audit: Audit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (
            get_user_model()
            .objects.filter(groups__name=AUDITORS, is_active=True)
            .exclude(audit_roles__audit=audit)
            .order_by("first_name", "last_name", "username")
        )
        self.fields["user"].label_from_instance = lambda user: user.get_full_name() or user.username
        # An audit has one lead auditor: once it has one, the form offers the next likely role.
        has_lead = audit.team.filter(role=TeamRole.LEAD_AUDITOR).exists()
        self.fields["role"].initial = TeamRole.AUDITOR if has_lead else TeamRole.LEAD_AUDITOR


def member_label(member: TeamMember) -> str:
    return f"{member.user.get_full_name() or member.user.username} ({member.get_role_display()})"


class TeamObjectionForm(forms.Form):
    member = forms.ModelChoiceField(label=_("Team member"), queryset=None)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For example an earlier working relationship or a conflict of interest."),
    )

    def __init__(self, *args, audit: Audit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = audit.team.select_related("user")
        self.fields["member"].label_from_instance = member_label


class ObjectionDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (ObjectionOutcome.REPLACED, _("Replace the member (they leave the team)")),
            (ObjectionOutcome.KEPT, _("Keep the member")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed when the member stays: why the objection does not hold."),
    )


class PlanDayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE_INPUT)
    site = forms.ModelChoiceField(label=_("Site"), queryset=None)

    def __init__(self, *args, audit: Audit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = audit.sites.order_by("-is_central_function", "name")
        self.fields["site"].label_from_instance = site_label
        if audit.start_date:
            self.initial.setdefault("date", audit.start_date)


class PlanSlotForm(forms.Form):
    day = forms.ModelChoiceField(label=_("Day and site"), queryset=None)
    start = forms.TimeField(label=_("From"), widget=TIME_INPUT)
    end = forms.TimeField(label=_("To"), widget=TIME_INPUT)
    member = forms.ModelChoiceField(label=_("Responsible"), queryset=None)
    activity = forms.CharField(label=_("Activity or process"), max_length=200)
    clauses = forms.CharField(
        label=_("Clauses"),
        required=False,
        help_text=_("Clause numbers separated by commas, for example 4.1, 4.2, 7.3."),
    )

    def __init__(self, *args, audit: Audit, **kwargs):
        super().__init__(*args, **kwargs)
        self.audit = audit
        self.fields["day"].queryset = AuditDay.objects.filter(audit=audit).select_related("site")
        self.fields["day"].label_from_instance = plan_day_label
        self.fields["member"].queryset = TeamMember.objects.filter(audit=audit).select_related("user")
        self.fields["member"].label_from_instance = member_label

    def clean_clauses(self) -> list[Clause]:
        numbers = [part.strip() for part in self.cleaned_data["clauses"].replace(";", ",").split(",")]
        numbers = [number for number in numbers if number]
        if not numbers:
            return []
        # A number found in several of the audit's standards covers each of them.
        found = list(
            Clause.objects.filter(standard__in=self.audit.standards.all(), number__in=numbers, is_active=True)
        )
        unknown = sorted(set(numbers) - {clause.number for clause in found})
        if unknown:
            raise forms.ValidationError(
                _("No clause %(numbers)s in this audit's standards.") % {"numbers": ", ".join(unknown)}
            )
        return found


class PlanConfirmForm(forms.Form):
    justification = forms.CharField(
        label=_("Why the plan's hours differ from the audit time"),
        required=False,
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed only when the planned hours do not match the computed audit days."),
    )


class IctCheckForm(forms.Form):
    """The ICT feasibility and risk check of a remote or hybrid audit (IAF MD 4)."""

    tools = forms.CharField(
        label=_("ICT tools to be used"),
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Video meetings, screen sharing, document sharing: the tools and who provides them."),
    )
    connectivity = forms.CharField(
        label=_("Connectivity"),
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("How the connection was tested with the client, and the fallback if it fails."),
    )
    confidentiality = forms.CharField(
        label=_("Confidentiality and security"),
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recording, screenshots and the handling of the client's information."),
    )
    limitations = forms.CharField(
        label=_("What cannot be seen remotely"),
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Activities and places that need a visit, and how they are covered."),
    )
    remote_percent = forms.IntegerField(
        label=_("Share of audit time held remotely (%)"),
        min_value=0,
        max_value=100,
        help_text=_("A remote audit is held remotely in full."),
    )
    feasible = forms.TypedChoiceField(
        label=_("Is remote auditing feasible?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    onsite_justification = forms.CharField(
        label=_("Why less time on site than the scheme asks"),
        required=False,
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed only when the share on site is below the scheme's minimum."),
    )
