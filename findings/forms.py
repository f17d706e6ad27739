from django import forms
from django.utils.translation import gettext_lazy as _

from audits.forms import site_label
from core.limits import LONG_TEXT_MAX_LENGTH
from findings.models import Finding, Grade, Visibility

# What the file picker offers; the server decides by the content, never by this list.
ACCEPT = "image/*,application/pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.odt,.ods,.odp"


class FindingForm(forms.ModelForm):
    grade = forms.ChoiceField(label=_("Grade"), choices=Grade.choices, widget=forms.RadioSelect)

    class Meta:
        model = Finding
        fields = ["grade", "site", "statement", "evidence", "interviewee_role"]
        widgets = {
            "statement": forms.Textarea(attrs={"rows": 4}),
            "evidence": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, audit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = audit.sites.order_by("-is_central_function", "name")
        self.fields["site"].empty_label = _("Not tied to one site")
        self.fields["site"].label_from_instance = site_label
        # Not required for every grade, so not "(optional)" either: the service asks for it by grade.
        statement = self.fields["statement"]
        statement.show_optional = False
        statement.help_text = _(
            "Needed for a nonconformity, an observation or an opportunity for improvement."
        )


class NewFindingForm(FindingForm):
    """A new finding, optionally with one photo or document (more can be added to it afterwards)."""

    file = forms.FileField(
        label=_("Photo or document"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        help_text=_("Take a photo or choose a file: photos, PDF or office documents."),
    )
    file_description = forms.CharField(label=_("What the file shows"), max_length=500, required=False)
    share_with_client = forms.BooleanField(label=_("Share the file with the client"), required=False)

    class Meta(FindingForm.Meta):
        pass


class EditFindingForm(FindingForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta(FindingForm.Meta):
        pass


class EvidenceForm(forms.Form):
    file = forms.FileField(
        label=_("Photo or document"), widget=forms.ClearableFileInput(attrs={"accept": ACCEPT})
    )
    description = forms.CharField(label=_("What the file shows"), max_length=500, required=False)
    share_with_client = forms.BooleanField(label=_("Share the file with the client"), required=False)

    @property
    def visibility(self) -> str:
        return Visibility.CLIENT if self.cleaned_data.get("share_with_client") else Visibility.TEAM


class RemoveFindingForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (the answer's evidence); each is checked by the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class NonconformityAnswerForm(forms.Form):
    correction = forms.CharField(
        label=_("Correction"),
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you did at once to fix this case."),
    )
    root_cause = forms.CharField(
        label=_("Root cause"),
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why it happened."),
    )
    corrective_action = forms.CharField(
        label=_("Corrective action"),
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you change so that it does not happen again."),
    )
    responsible = forms.CharField(label=_("Responsible person"), max_length=200, required=False)
    target_date = forms.DateField(
        label=_("Target date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    files = MultipleFileField(
        label=_("Evidence files"),
        required=False,
        help_text=_("Photos, PDF or office documents; several at once."),
    )


class NonconformityReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accept", _("Accept the answer")), ("reject", _("Reject the answer"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment to the client"),
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Needed when you reject: the client reads it."),
    )


class NonconformityVerifyForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Verified"),
        choices=[("desk", _("Desk review")), ("on_site", _("On site"))],
        widget=forms.RadioSelect,
        initial="desk",
    )
    comment = forms.CharField(
        label=_("What was verified"),
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The evidence seen that the actions were implemented and work."),
    )
    files = MultipleFileField(label=_("Evidence files"), required=False)


class InternalNoteForm(forms.Form):
    text = forms.CharField(
        label=_("Internal note"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Seen only by the certification body, never by the client."),
    )
