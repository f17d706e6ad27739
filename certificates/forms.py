from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from audits.forms import DATE_INPUT
from certificates.models import CertificateStatus
from core.limits import LONG_TEXT_MAX_LENGTH


class DecisionForm(forms.Form):
    # Sent by the button pressed: one per outcome, a blocked one shown disabled (blocked_outcomes).
    outcome = forms.ChoiceField(label=_("Decision"), choices=(), widget=forms.HiddenInput)
    rationale = forms.CharField(
        label=_("Rationale"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the decision rests on: the report, the nonconformities and their closure."),
    )
    decided_on = forms.DateField(label=_("Decision date"), widget=DATE_INPUT, required=False)

    def __init__(self, *args, outcomes, blocked=(), sites=None, certifiable=(), scope="", **kwargs):
        """`blocked`: outcomes whose button is shown disabled while a blocker stands; `sites`: the client's
        sites to choose for a granted certificate (those in `certifiable` ticked), None when the
        decision issues no certificate."""
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["outcome"])
        field.choices = [(outcome.value, outcome.label) for outcome in outcomes]
        self.outcome_buttons = [
            {"value": outcome.value, "label": outcome.label, "disabled": outcome.value in blocked}
            for outcome in outcomes
        ]
        self.site_fields = []
        if sites is None:
            return
        self.fields["scope"] = forms.CharField(
            label=_("Scope on the certificate"),
            max_length=LONG_TEXT_MAX_LENGTH,
            widget=forms.Textarea(attrs={"rows": 3}),
            initial=scope,
            required=False,
            help_text=_("Only activities within the audited scope."),
        )
        # Sent by the page with its boxes: a post without it (an older page, a script) leaves the
        # choice to the service's default, every site the audit covers, rather than none.
        self.fields["choose_sites"] = forms.BooleanField(
            widget=forms.HiddenInput, initial=True, required=False
        )
        allowed = {site.pk for site in certifiable}
        for site in sites:
            name = f"site_{site.pk}"
            self.fields[name] = forms.BooleanField(
                label=_("Certify %(site)s (%(city)s)") % {"site": site.name, "city": site.city},
                required=False,
                initial=site.pk in allowed,
                # Not offered, though a crafted post still reaches the service, which refuses it.
                widget=forms.CheckboxInput(attrs={} if site.pk in allowed else {"disabled": True}),
            )
            self.site_fields.append((site, name))

    def site_scopes(self):
        """The (site, scope) pairs ticked; None when the form chooses no sites."""
        if not self.site_fields or not self.cleaned_data.get("choose_sites"):
            return None
        return [(site, site.activities) for site, name in self.site_fields if self.cleaned_data.get(name)]


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
