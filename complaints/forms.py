from typing import cast

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from accounts.roles import AUDITORS, STAFF
from audits.forms import DATE_INPUT
from certificates.models import Certificate, DecisionOutcome
from clients.models import Organization
from complaints.models import CaseOutcome
from complaints.selectors import appealable_decisions, appealable_events, appealable_nonconformities
from core.limits import LONG_TEXT_MAX_LENGTH
from findings.models import Grade

TEXTAREA = forms.Textarea(attrs={"rows": 5})


class PublicComplaintForm(forms.Form):
    submitter_name = forms.CharField(label=_("Your name"), max_length=200)
    submitter_email = forms.EmailField(
        label=_("Your e-mail address"), help_text=_("We send the receipt and our answer here.")
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Your complaint"),
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=TEXTAREA,
        help_text=_("What happened, when, and who or which certificate it is about."),
    )
    # A field people do not see: a robot filling every field is refused quietly.
    website = forms.CharField(required=False, widget=forms.HiddenInput)


class PortalComplaintForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Your complaint"), max_length=LONG_TEXT_MAX_LENGTH, widget=TEXTAREA)


class StaffComplaintForm(PortalComplaintForm):
    """Staff record a complaint received by letter, call or e-mail, for whoever made it."""

    submitter_name = forms.CharField(label=_("Complainant's name"), max_length=200)
    submitter_email = forms.EmailField(label=_("Complainant's e-mail address"))
    submitter_language = forms.ChoiceField(label=_("Complainant's language"), choices=settings.LANGUAGES)
    received_on = forms.DateField(label=_("Received"), widget=DATE_INPUT, required=False)
    organization = forms.ModelChoiceField(
        label=_("About a certified client"),
        queryset=Organization.objects.order_by("legal_name"),
        required=False,
        help_text=_("Empty for a complaint about the certification body itself."),
    )
    certificate = forms.ModelChoiceField(
        label=_("Certificate"), queryset=Certificate.objects.order_by("number"), required=False
    )

    field_order = [
        "submitter_name",
        "submitter_email",
        "submitter_language",
        "received_on",
        "organization",
        "certificate",
        "subject",
        "description",
    ]


def _against_choices(organization_id):
    choices = []
    for decision in appealable_decisions(organization_id)[:100]:
        label = _("Decision: %(outcome)s, %(date)s (%(client)s)") % {
            "outcome": decision.get_outcome_display(),
            "date": formats.date_format(decision.decided_on, "DATE_FORMAT"),
            "client": decision.audit.organization.legal_name if decision.audit else "",
        }
        choices.append((f"decision-{decision.pk}", label))
    for event in appealable_events(organization_id)[:100]:
        label = _("%(change)s of %(number)s, %(date)s") % {
            "change": event.get_kind_display(),
            "number": event.certificate.number,
            "date": formats.date_format(event.at, "DATE_FORMAT"),
        }
        choices.append((f"event-{event.pk}", label))
    for nonconformity in appealable_nonconformities(organization_id)[:100]:
        label = _("Grade of nonconformity %(number)s (%(grade)s)") % {
            "number": nonconformity.number,
            "grade": nonconformity.get_grade_display(),
        }
        choices.append((f"nc-{nonconformity.pk}", label))
    return choices


class AppealForm(forms.Form):
    against = forms.ChoiceField(label=_("What do you appeal against?"), choices=())
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Why do you appeal?"), max_length=LONG_TEXT_MAX_LENGTH, widget=TEXTAREA
    )

    def __init__(self, *args, organization_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["against"]).choices = [
            ("", "—"),
            *_against_choices(organization_id),
        ]

    def target(self) -> tuple[str, int]:
        kind, pk = self.cleaned_data["against"].split("-", 1)
        return kind, int(pk)


class StaffAppealForm(AppealForm):
    submitter_name = forms.CharField(label=_("Appellant's contact name"), max_length=200)
    submitter_email = forms.EmailField(label=_("Appellant's e-mail address"))
    submitter_language = forms.ChoiceField(label=_("Appellant's language"), choices=settings.LANGUAGES)
    received_on = forms.DateField(label=_("Received"), widget=DATE_INPUT, required=False)


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"),
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


class AssignForm(forms.Form):
    handler = forms.ModelChoiceField(
        label=_("Handler"), queryset=get_user_model().objects.none(), required=False
    )
    investigator = forms.ModelChoiceField(
        label=_("Investigator"),
        queryset=get_user_model().objects.none(),
        required=False,
        help_text=_("Not someone involved in what the case is about."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        users = (
            get_user_model().objects.filter(is_active=True).order_by("first_name", "last_name", "username")
        )
        handler = cast(forms.ModelChoiceField, self.fields["handler"])
        investigator = cast(forms.ModelChoiceField, self.fields["investigator"])
        handler.queryset = users.filter(groups__name=STAFF).distinct()
        investigator.queryset = users.filter(groups__name__in=[STAFF, AUDITORS]).distinct()
        handler.label_from_instance = _person  # type: ignore[method-assign,assignment]
        investigator.label_from_instance = _person  # type: ignore[method-assign,assignment]


def _person(user) -> str:
    return user.get_full_name() or user.username


class ProgressForm(forms.Form):
    text = forms.CharField(label=_("Progress report"), max_length=LONG_TEXT_MAX_LENGTH, widget=TEXTAREA)
    visible_to_submitter = forms.BooleanField(
        label=_("Visible to the submitter (and e-mailed to them)"), required=False
    )


class DecideForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CaseOutcome.choices, widget=forms.RadioSelect)
    reasons = forms.CharField(
        label=_("Reasons"),
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=TEXTAREA,
        help_text=_("The submitter reads them in the outcome letter."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=LONG_TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )


class RedecideForm(forms.Form):
    """The new decision on an upheld appeal against a refusal."""

    outcome = forms.ChoiceField(
        label=_("New decision"),
        choices=[
            (DecisionOutcome.GRANT, DecisionOutcome.GRANT.label),
            (DecisionOutcome.RENEW, DecisionOutcome.RENEW.label),
        ],
    )
    rationale = forms.CharField(
        label=_("Rationale"), max_length=LONG_TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )


class RegradeForm(ReasonForm):
    grade = forms.ChoiceField(
        label=_("New grade"), choices=[(Grade.MINOR, Grade.MINOR.label), (Grade.MAJOR, Grade.MAJOR.label)]
    )


class SpecialAuditForm(ReasonForm):
    due_date = forms.DateField(label=_("Due date"), widget=DATE_INPUT, required=False)


class SuspendForm(ReasonForm):
    until = forms.DateField(
        label=_("Suspended until"),
        widget=DATE_INPUT,
        required=False,
        help_text=_("At most the scheme's longest suspension; empty means that longest."),
    )
