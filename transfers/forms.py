from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audits.forms import DATE_INPUT
from audits.models import Competence, TeamRole
from audits.team_rules import QUALIFYING_COMPETENCES
from clients.models import Organization
from core.forms import ModelMultipleChoiceField
from core.limits import LONG_TEXT_MAX_LENGTH
from findings.forms import ACCEPT
from standards.models import Standard
from transfers.models import CycleStage, DocumentKind, NcGrade, ReviewAnswer, Transfer
from transfers.services import ACCEPT as ACCEPT_TRANSFER
from transfers.services import REFUSE


class OrganizationChoiceForm(forms.Form):
    """The first step of a new transfer: whose certificate (the sites to choose follow from it)."""

    organization = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organization.objects.order_by("legal_name")
    )


class TransferForm(forms.Form):
    standard = forms.ModelChoiceField(
        label=_("Standard"), queryset=Standard.objects.filter(scheme__isnull=False).order_by("code")
    )
    certificate_number = forms.CharField(label=_("Certificate number"), max_length=100)
    issuing_body = forms.CharField(label=_("Issuing certification body"), max_length=200)
    accreditation_body = forms.CharField(label=_("Accreditation body"), max_length=200, required=False)
    accredited = forms.BooleanField(label=_("Issued under accreditation"), required=False)
    accreditation_recognised = forms.BooleanField(
        label=_("The accreditation body is a signatory of the IAF MLA"),
        required=False,
        help_text=_("Tick once checked: only such an accreditation is recognised for a transfer."),
    )
    scope = forms.CharField(
        label=_("Scope"), max_length=LONG_TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )
    sites = ModelMultipleChoiceField(
        label=_("Sites the certificate covers"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    issue_date = forms.DateField(label=_("Issue date"), widget=DATE_INPUT)
    expiry_date = forms.DateField(label=_("Expiry date"), widget=DATE_INPUT)
    cycle_stage = forms.ChoiceField(label=_("Stage in the cycle"), choices=CycleStage.choices)
    suspended = forms.BooleanField(label=_("The current certificate is suspended"), required=False)
    reasons = forms.CharField(
        label=_("Reasons for the transfer"),
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def __init__(self, *args, organization: Organization, transfer: Transfer | None = None, **kwargs):
        if transfer is not None:
            kwargs.setdefault(
                "initial",
                {
                    **{name: getattr(transfer, name) for name in self.declared_fields if name != "sites"},
                    "sites": list(transfer.sites.values_list("pk", flat=True)),
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["sites"].queryset = organization.sites.order_by("-is_central_function", "name")  # type: ignore[attr-defined]
        if transfer is not None:
            # The standard is the transfer's: another standard is another transfer.
            del self.fields["standard"]


class ReviewerForm(forms.Form):
    reviewer: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Reviewer"), queryset=None)

    def __init__(self, *args, transfer: Transfer, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        competent = Competence.objects.valid_between(today, today).filter(
            standard_id=transfer.standard_id, role__in=QUALIFYING_COMPETENCES[TeamRole.AUDITOR]
        )
        self.fields["reviewer"].queryset = (  # type: ignore[attr-defined]
            get_user_model().objects.filter(competences__in=competent).distinct().order_by("username")
        )
        self.fields["reviewer"].help_text = _("Those with a valid auditor competence for the standard.")


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=DocumentKind.choices)
    file = forms.FileField(label=_("File"), widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}))
    description = forms.CharField(label=_("Description"), max_length=500, required=False)


class ReviewItemForm(forms.Form):
    answer = forms.ChoiceField(label=_("Answer"), choices=ReviewAnswer.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Note"),
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What you saw: documents, dates, who you spoke to."),
    )


class NonconformityForm(forms.Form):
    reference = forms.CharField(label=_("Reference"), max_length=100)
    grade = forms.ChoiceField(label=_("Grade"), choices=NcGrade.choices, widget=forms.RadioSelect)
    description = forms.CharField(
        label=_("Description"), max_length=LONG_TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )


class CloseNonconformityForm(forms.Form):
    closed_on = forms.DateField(label=_("Closed on"), widget=DATE_INPUT)
    closure_note = forms.CharField(
        label=_("How the closure was verified"),
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class TransferDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (ACCEPT_TRANSFER, _("Accept the transfer and issue our certificate")),
            (REFUSE, _("Refuse")),
        ],
        widget=forms.RadioSelect,
    )
    rationale = forms.CharField(
        label=_("Rationale"),
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the decision rests on: the review, the documents, the nonconformities."),
    )
    decided_on = forms.DateField(label=_("Decision date"), widget=DATE_INPUT, required=False)
