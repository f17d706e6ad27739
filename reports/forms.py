from django import forms
from django.utils.translation import gettext_lazy as _

from audits.models import AuditMode, Recommendation
from core.limits import LONG_TEXT_MAX_LENGTH
from reports.models import Conformity, Effectiveness
from reports.services import StatementInput


class CloseAuditForm(forms.Form):
    recommendation = forms.ChoiceField(
        label=_("The team's recommendation"),
        choices=Recommendation.choices,
        widget=forms.RadioSelect,
    )
    conclusion = forms.CharField(
        label=_("Conclusion"),
        required=False,
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "The team's conclusion on the management system, as the client will read it in the report."
        ),
    )
    plan_deviations = forms.CharField(
        label=_("Deviations from the plan"),
        required=False,
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "What was not audited as planned, and why. Planned clauses and sampled sites without a "
            "finding are added to the report automatically."
        ),
    )
    unresolved_issues = forms.CharField(
        label=_("Unresolved issues"),
        required=False,
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Diverging opinions between the team and the client that were not settled, if any."),
    )
    significant_changes = forms.CharField(
        label=_("Significant changes since the last audit"),
        required=False,
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Changes to the organisation, its sites, scope or system that affect the certification."),
    )

    def __init__(self, *args, audit, **kwargs):
        super().__init__(*args, **kwargs)
        # One statement per standard audited: does the system conform, and is it effective?
        self.standards = list(audit.standards.order_by("code"))
        for standard in self.standards:
            self.fields[f"conformity_{standard.pk}"] = forms.ChoiceField(
                label=_("%(standard)s: the management system") % {"standard": standard.code},
                choices=Conformity.choices,
                widget=forms.RadioSelect,
            )
            self.fields[f"effectiveness_{standard.pk}"] = forms.ChoiceField(
                label=_("%(standard)s: its effectiveness") % {"standard": standard.code},
                choices=Effectiveness.choices,
                widget=forms.RadioSelect,
            )
            self.fields[f"comment_{standard.pk}"] = forms.CharField(
                label=_("%(standard)s: comment") % {"standard": standard.code},
                required=False,
                max_length=LONG_TEXT_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        if audit.mode != AuditMode.ON_SITE:
            self.fields["ict_effectiveness"] = forms.CharField(
                label=_("How effective the ICT was"),
                max_length=LONG_TEXT_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=_(
                    "Whether the remote tools let the team audit as planned, and what they could not show."
                ),
            )

    def service_data(self) -> dict:
        """The cleaned data as audit_close takes it: the per-standard fields as statements."""
        data = dict(self.cleaned_data)
        statements = []
        for standard in self.standards:
            conformity = data.pop(f"conformity_{standard.pk}", "")
            effectiveness = data.pop(f"effectiveness_{standard.pk}", "")
            comment = data.pop(f"comment_{standard.pk}", "")
            if conformity or effectiveness or comment.strip():
                statements.append(StatementInput(standard.pk, conformity, effectiveness, comment))
        data["statements"] = statements
        return data
