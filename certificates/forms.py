from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from audits.forms import DATE_INPUT
from certificates.models import CertificateStatus
from core.limits import LONG_TEXT_MAX_LENGTH


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Decision"), choices=(), widget=forms.RadioSelect)
    rationale = forms.CharField(
        label=_("Rationale"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the decision rests on: the report, the nonconformities and their closure."),
    )
    decided_on = forms.DateField(label=_("Decision date"), widget=DATE_INPUT, required=False)

    def __init__(self, *args, outcomes, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["outcome"]).choices = [
            (outcome.value, outcome.label) for outcome in outcomes
        ]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), help_text=_("Kept with the change.")
    )


class SuspendForm(ReasonForm):
    until = forms.DateField(
        label=_("Suspended until"),
        widget=DATE_INPUT,
        required=False,
        help_text=_("At most the scheme's longest suspension; empty means that longest."),
    )


class RestoreForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ScopeForm(ReasonForm):
    scope = forms.CharField(
        label=_("Scope"), max_length=LONG_TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, certificate, **kwargs):
        super().__init__(*args, **kwargs)
        covered = {entry.site_id: entry.scope for entry in certificate.sites.all()}
        self.site_fields = []
        sites = certificate.organization.sites.order_by("-is_central_function", "name")
        if certificate.status == CertificateStatus.SUSPENDED:
            # A suspended certificate is only reduced: the sites it covers are the choices.
            sites = sites.filter(pk__in=covered)
        for site in sites:
            include, scope = f"site_{site.pk}", f"site_{site.pk}_scope"
            self.fields[include] = forms.BooleanField(
                label=_("Covers %(site)s") % {"site": site.name}, required=False, initial=site.pk in covered
            )
            self.fields[scope] = forms.CharField(
                label=_("Scope at %(site)s") % {"site": site.name},
                required=False,
                max_length=LONG_TEXT_MAX_LENGTH,
                initial=covered.get(site.pk, site.activities),
            )
            self.site_fields.append((site, include, scope))
        self.initial.setdefault("scope", certificate.scope)

    def site_scopes(self):
        return [
            (site, self.cleaned_data[scope])
            for site, include, scope in self.site_fields
            if self.cleaned_data[include]
        ]
