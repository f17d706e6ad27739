from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from accounts.models import Language
from accounts.roles import AUDITORS, STAFF
from clients.models import ClientRole, ConsultancyDeclaration, Organization, Site
from clients.services import ORGANIZATION_FIELDS, SITE_FIELDS
from clients.validators import normalize_swedish_org_number


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = list(ORGANIZATION_FIELDS)

    def clean_org_number(self):
        return normalize_swedish_org_number(self.cleaned_data.get("org_number", ""))


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = list(SITE_FIELDS)
        widgets = {"activities": forms.Textarea(attrs={"rows": 3})}


class DeclarationForm(forms.ModelForm):
    class Meta:
        model = ConsultancyDeclaration
        fields = [
            "kind",
            "provider",
            "person",
            "related_to_certification_body",
            "client_related_body",
            "subject",
            "until",
        ]
        widgets = {"until": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the certification body's own people can be excluded from audits by a declaration.
        self.fields["person"].queryset = (
            get_user_model()
            .objects.filter(groups__name__in=[STAFF, AUDITORS], client_membership__isnull=True)
            .distinct()
            .order_by("first_name", "last_name", "username")
        )


class ClientUserForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=ClientRole.choices, initial=ClientRole.RESPONDER)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
