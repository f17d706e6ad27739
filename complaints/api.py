"""/api/v1/complaints/ and /api/v1/appeals/: the cases over the API, by the pages' rules.

Reads go through complaints_for_user / appeals_for_user (404 for outsiders); every step is the
service's, which checks the actor (403), the body (400) and the case's state (409).
"""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.roles import AUDITORS, STAFF
from certificates.models import Certificate, CertificateEvent, Decision, DecisionOutcome
from certificates.selectors import certificates_for_user
from clients.models import Organization
from clients.selectors import organizations_for_user
from complaints import services
from complaints.models import Appeal, CaseOutcome, CaseSource, Complaint, TimelineEntry
from complaints.permissions import (
    can_handle_cases,
    is_handling,
    require_can_file_in_portal,
    require_can_handle_cases,
)
from complaints.selectors import (
    appeals_for_user,
    complaints_for_user,
    decisions_appealable_by,
    events_appealable_by,
    nonconformities_appealable_by,
    timeline_for_user,
)
from core.api import ReadableRelatedField
from core.limits import LONG_TEXT_MAX_LENGTH
from findings.models import Grade, Nonconformity

# -- What a case looks like -----------------------------------------------------------------------


class TimelineEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = TimelineEntry
        fields = ["at", "kind", "text", "visible_to_submitter"]
        read_only_fields = fields


# Only those handling a case read these (null for anyone else): who complained about whom, and the
# internal steps' people.
INTERNAL_FIELDS = ("submitter_email", "source", "investigator")


def _name(user) -> str | None:
    return (user.get_full_name() or user.username) if user is not None else None


class CaseSerializer(serializers.ModelSerializer):
    internal_fields: tuple[str, ...] = INTERNAL_FIELDS
    submitter_email = serializers.EmailField(read_only=True, allow_null=True)
    source = serializers.CharField(read_only=True, allow_null=True)  # type: ignore[assignment]
    handler = serializers.SerializerMethodField()
    investigator = serializers.SerializerMethodField()
    # Empty until the case is decided: a plain string, not the outcome's choices.
    outcome = serializers.CharField(
        read_only=True, help_text="upheld, not_upheld or partly; empty until decided."
    )
    timeline = serializers.SerializerMethodField()

    class Meta:
        fields = [
            "id",
            "number",
            "state",
            "subject",
            "description",
            "submitter_name",
            "submitter_email",
            "submitter_language",
            "source",
            "received_on",
            "acknowledge_by",
            "answer_by",
            "acknowledged_on",
            "handler",
            "investigator",
            "outcome",
            "reasons",
            "decided_on",
            "closed_on",
            "timeline",
        ]
        read_only_fields = fields

    def get_handler(self, case) -> str | None:
        return _name(case.handler)

    def get_investigator(self, case) -> str | None:
        return _name(case.investigator)

    @extend_schema_field(TimelineEntrySerializer(many=True))
    def get_timeline(self, case):
        return TimelineEntrySerializer(timeline_for_user(self.context["request"].user, case), many=True).data

    def to_representation(self, case):
        data = super().to_representation(case)
        if not is_handling(self.context["request"].user, case):
            for name in self.internal_fields:
                data[name] = None
        return data


class ComplaintSerializer(CaseSerializer):
    internal_fields = (*INTERNAL_FIELDS, "about", "organization", "certificate", "special_audit")
    about = serializers.CharField(read_only=True, allow_null=True)
    organization: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    certificate: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    special_audit: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )

    class Meta(CaseSerializer.Meta):
        model = Complaint
        fields = [*CaseSerializer.Meta.fields, "about", "organization", "certificate", "special_audit"]
        read_only_fields = fields


class AppealSerializer(CaseSerializer):
    class Meta(CaseSerializer.Meta):
        model = Appeal
        fields = [
            *CaseSerializer.Meta.fields,
            "organization",
            "against",
            "decision",
            "certificate_event",
            "nonconformity",
            "remedy_event",
            "remedy_decision",
            "remedy_nc_event",
        ]
        read_only_fields = fields


# -- What a request sends -------------------------------------------------------------------------


class SubmitterInput(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=LONG_TEXT_MAX_LENGTH)
    # Staff recording a letter or call name the submitter; a client's user is the submitter.
    submitter_name = serializers.CharField(max_length=200, required=False, default="")
    submitter_email = serializers.EmailField(required=False, default="")
    submitter_language = serializers.CharField(max_length=10, required=False, default="")
    received_on = serializers.DateField(required=False, allow_null=True, default=None)


class ComplaintInput(SubmitterInput):
    organization = ReadableRelatedField(
        readable=organizations_for_user, queryset=Organization.objects.all(), required=False, allow_null=True
    )
    certificate = ReadableRelatedField(
        readable=certificates_for_user, queryset=Certificate.objects.all(), required=False, allow_null=True
    )


class AppealInput(SubmitterInput):
    decision = ReadableRelatedField(
        readable=decisions_appealable_by, queryset=Decision.objects.all(), required=False, allow_null=True
    )
    certificate_event = ReadableRelatedField(
        readable=events_appealable_by,
        queryset=CertificateEvent.objects.all(),
        required=False,
        allow_null=True,
    )
    nonconformity = ReadableRelatedField(
        readable=nonconformities_appealable_by,
        queryset=Nonconformity.objects.all(),
        required=False,
        allow_null=True,
    )


class CaseNoteInput(serializers.Serializer):
    text = serializers.CharField(
        max_length=LONG_TEXT_MAX_LENGTH, required=False, default="", allow_blank=True
    )


def _staff_people():
    return get_user_model().objects.filter(is_active=True, groups__name=STAFF).distinct()


def _investigators():
    return get_user_model().objects.filter(is_active=True, groups__name__in=[STAFF, AUDITORS]).distinct()


class CaseAssignInput(serializers.Serializer):
    handler = serializers.PrimaryKeyRelatedField(queryset=_staff_people(), required=False, allow_null=True)
    investigator = serializers.PrimaryKeyRelatedField(
        queryset=_investigators(), required=False, allow_null=True
    )


class CaseProgressInput(serializers.Serializer):
    text = serializers.CharField(max_length=LONG_TEXT_MAX_LENGTH)
    visible_to_submitter = serializers.BooleanField(required=False, default=False)


class CaseDecideInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=CaseOutcome.choices)
    reasons = serializers.CharField(max_length=LONG_TEXT_MAX_LENGTH)


class CaseReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=LONG_TEXT_MAX_LENGTH)


class AppealRedecideInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[DecisionOutcome.GRANT, DecisionOutcome.RENEW])
    rationale = serializers.CharField(max_length=LONG_TEXT_MAX_LENGTH)


class AppealRegradeInput(CaseReasonInput):
    grade = serializers.ChoiceField(choices=[Grade.MINOR, Grade.MAJOR])


class CaseSpecialAuditInput(CaseReasonInput):
    due_date = serializers.DateField(required=False, allow_null=True, default=None)


class CaseSuspendInput(CaseReasonInput):
    until = serializers.DateField(required=False, allow_null=True, default=None)


_STEP_ERRORS = {
    400: OpenApiResponse(description="A field is missing or wrong: {field: [reason]}."),
    403: OpenApiResponse(description="The caller may read this case but may not take this step."),
    404: OpenApiResponse(description="No such case for the caller."),
    409: OpenApiResponse(description="Not allowed in the case's current state: {detail: reason}."),
}


# -- The viewsets ---------------------------------------------------------------------------------


class CaseViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """What complaints and appeals share: read, file, and the steps of handling."""

    search_fields = ["number", "subject"]
    ordering_fields = ["received_on", "answer_by", "number", "state"]
    input_class: type[serializers.Serializer]

    def _step(self, request, *, data_class, perform, staff_only=True):
        """One step: 404 for outsiders, then 403 for a role that may not take it, then the body,
        then the service."""
        case = self.get_object()
        if staff_only:
            require_can_handle_cases(request.user)
        data = data_class(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        perform(case, dict(data.validated_data))
        return Response(self.get_serializer(self.get_object()).data)

    def _source(self, request) -> str:
        if can_handle_cases(request.user):
            return CaseSource.STAFF
        require_can_file_in_portal(request.user)
        return CaseSource.PORTAL

    @extend_schema(request=CaseNoteInput)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Acknowledge receipt; the submitter is e-mailed."""
        return self._step(
            request,
            data_class=CaseNoteInput,
            perform=lambda case, data: services.case_acknowledge(user=request.user, case=case, **data),
        )

    @extend_schema(request=CaseAssignInput)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Set the handler and/or the investigator (not someone involved: refused with the rule)."""
        return self._step(
            request,
            data_class=CaseAssignInput,
            perform=lambda case, data: services.case_assign(user=request.user, case=case, **data),
        )

    @extend_schema(request=CaseProgressInput)
    @action(detail=True, methods=["post"])
    def progress(self, request, pk=None):
        """A progress report, by staff or the case's investigator; a visible one is e-mailed."""
        return self._step(
            request,
            data_class=CaseProgressInput,
            perform=lambda case, data: services.case_report_progress(user=request.user, case=case, **data),
            staff_only=False,
        )

    @extend_schema(request=CaseDecideInput)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """The outcome with its reasons, by someone not involved; the outcome letter follows."""
        return self._step(
            request,
            data_class=CaseDecideInput,
            perform=lambda case, data: services.case_decide(user=request.user, case=case, **data),
        )

    @extend_schema(request=CaseNoteInput)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close a decided case."""
        return self._step(
            request,
            data_class=CaseNoteInput,
            perform=lambda case, data: services.case_close(user=request.user, case=case, **data),
        )


class ComplaintViewSet(CaseViewSet):
    """Complaints: staff all; a client's users those they or their organisation filed; an
    investigator those assigned; others 404. POST files one (staff record it for the submitter)."""

    serializer_class = ComplaintSerializer

    def get_queryset(self):
        return (
            complaints_for_user(self.request.user)
            .select_related("handler", "investigator")
            .order_by("-received_on", "-id")
        )

    @extend_schema(request=ComplaintInput, responses={201: ComplaintSerializer, **_STEP_ERRORS})
    def create(self, request, *args, **kwargs):
        source = self._source(request)
        data = ComplaintInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        complaint = services.complaint_file(user=request.user, source=source, **data.validated_data)
        return Response(self.get_serializer(complaint).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CaseSpecialAuditInput, responses={200: ComplaintSerializer, **_STEP_ERRORS})
    @action(detail=True, methods=["post"], url_path="special-audit")
    def special_audit(self, request, pk=None):
        """A special audit of the client complained about, in its programme, linked to the complaint."""
        return self._step(
            request,
            data_class=CaseSpecialAuditInput,
            perform=lambda case, data: services.complaint_special_audit(
                user=request.user, complaint=case, **data
            ),
        )

    @extend_schema(request=CaseSuspendInput, responses={200: ComplaintSerializer, **_STEP_ERRORS})
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        """Suspend the certificate complained about, with the reason."""
        return self._step(
            request,
            data_class=CaseSuspendInput,
            perform=lambda case, data: services.complaint_suspend(user=request.user, complaint=case, **data),
        )


class AppealViewSet(CaseViewSet):
    """Appeals: staff all; a client's users their organisation's; an investigator those assigned;
    others 404. POST files one against a decision, change of certificate or nonconformity grade."""

    serializer_class = AppealSerializer

    def get_queryset(self):
        return (
            appeals_for_user(self.request.user)
            .select_related("handler", "investigator")
            .order_by("-received_on", "-id")
        )

    @extend_schema(request=AppealInput, responses={201: AppealSerializer, **_STEP_ERRORS})
    def create(self, request, *args, **kwargs):
        source = self._source(request)
        data = AppealInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        appeal = services.appeal_file(user=request.user, source=source, **data.validated_data)
        return Response(self.get_serializer(appeal).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CaseReasonInput, responses={200: AppealSerializer, **_STEP_ERRORS})
    @action(detail=True, methods=["post"])
    def reinstate(self, request, pk=None):
        """An upheld appeal against a suspension: reinstate the certificate (a new event)."""
        return self._step(
            request,
            data_class=CaseReasonInput,
            perform=lambda case, data: services.appeal_reinstate(user=request.user, appeal=case, **data),
        )

    @extend_schema(request=AppealRedecideInput, responses={200: AppealSerializer, **_STEP_ERRORS})
    @action(detail=True, methods=["post"])
    def redecide(self, request, pk=None):
        """An upheld appeal against a refusal: a new decision that grants or renews (the refusal stays)."""
        return self._step(
            request,
            data_class=AppealRedecideInput,
            perform=lambda case, data: services.appeal_redecide(user=request.user, appeal=case, **data),
        )

    @extend_schema(request=AppealRegradeInput, responses={200: AppealSerializer, **_STEP_ERRORS})
    @action(detail=True, methods=["post"])
    def regrade(self, request, pk=None):
        """An upheld appeal against a nonconformity's grade: change the grade (a new step)."""
        return self._step(
            request,
            data_class=AppealRegradeInput,
            perform=lambda case, data: services.appeal_regrade(user=request.user, appeal=case, **data),
        )
