from django import forms
from django.utils.translation import gettext_lazy as _

from audits.models import Recommendation
from core.limits import LONG_TEXT_MAX_LENGTH


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
