from django import forms
from django.utils.translation import gettext_lazy as _

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
