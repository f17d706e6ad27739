"""/api/v1/nonconformities/: the NCR thread over the API. Who may act and what is allowed: findings.ncr."""

from django.db.models import Exists, OuterRef, Prefetch, Value
from django.urls import reverse
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.roles import is_staff_member
from audits.selectors import audits_for_user
from core.api import FilterSet, readable_choice_filter
from core.errors import DomainError
from core.limits import LONG_TEXT_MAX_LENGTH
from findings import ncr, permissions
from findings.models import (
    NONCONFORMITY_GRADES,
    InternalNote,
    Nonconformity,
    NonconformityAttachment,
    NonconformityEvent,
    NonconformityResponse,
    NonconformityStatus,
    ReviewDecision,
    VerificationMethod,
)

# -- Who sees the internal notes -----------------------------------------------------------------


def internal_visible(user, nonconformity_prefix: str = ""):
    """permissions.can_see_internal as an SQL expression, so a whole list is decided in its one query.

    Staff, or a member of the nonconformity's audit team or of a later audit of the same programme
    (see permissions.can_review; tests/findings/test_nc_api.py holds the two to the same answers).
    """
    if not user.is_authenticated:
        return Value(False)
    if is_staff_member(user):
        return Value(True)
    audit = f"{nonconformity_prefix}audit"
    return Exists(
        permissions.reviewer_teams(
            user,
            audit_id=OuterRef(f"{audit}_id"),
            programme_id=OuterRef(f"{audit}__programme_id"),
            created_at=OuterRef(f"{audit}__created_at"),
        )
    )


# -- What a nonconformity looks like ---------------------------------------------------------------


class NonconformityFileSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = NonconformityAttachment
        fields = ["id", "name", "content_type", "size", "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, attachment) -> str:
        return reverse("findings:nc-file", args=[attachment.pk])


class NonconformityResponseSerializer(serializers.ModelSerializer):
    submitted_by = serializers.StringRelatedField()
    reviewed_by = serializers.StringRelatedField(
        allow_null=True, help_text="Null until the answer is reviewed."
    )
    # Declared so the schema says it is empty ("") until the answer is reviewed.
    decision = serializers.ChoiceField(choices=ReviewDecision.choices, allow_blank=True, read_only=True)
    files = NonconformityFileSerializer(source="attachments", many=True, read_only=True)

    class Meta:
        model = NonconformityResponse
        fields = [
            "round",
            "correction",
            "root_cause",
            "corrective_action",
            "responsible",
            "target_date",
            "submitted_by",
            "submitted_at",
            "decision",
            "review_comment",
            "reviewed_by",
            "reviewed_at",
            "files",
        ]
        read_only_fields = fields


class NonconformityEventSerializer(serializers.ModelSerializer):
    by = serializers.StringRelatedField()

    class Meta:
        model = NonconformityEvent
        fields = ["kind", "by", "at", "comment"]
        read_only_fields = fields


class InternalNoteSerializer(serializers.ModelSerializer):
    author = serializers.StringRelatedField()

    class Meta:
        model = InternalNote
        fields = ["id", "text", "author", "created_at"]
        read_only_fields = fields


class ClauseReferenceSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)


class NonconformityDetailSerializer(serializers.ModelSerializer):
    organization = serializers.CharField(source="audit.organization.legal_name", read_only=True)
    clause = ClauseReferenceSerializer(source="finding.clause", read_only=True)
    site = serializers.CharField(source="finding.site.name", read_only=True, allow_null=True, default=None)
    statement = serializers.CharField(source="finding.statement", read_only=True)
    evidence = serializers.CharField(
        source="finding.evidence", read_only=True, help_text="The objective evidence of the finding."
    )
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)
    # Declared so the schema says it is empty ("") until the nonconformity is closed.
    verification_method = serializers.ChoiceField(
        choices=VerificationMethod.choices, allow_blank=True, read_only=True
    )
    responses = NonconformityResponseSerializer(many=True, read_only=True)
    verification_files = NonconformityFileSerializer(many=True, read_only=True)
    events = NonconformityEventSerializer(many=True, read_only=True)
    # Not read_only on purpose: the schema then lists it as optional, which it is (never sent to
    # the client's users). The serializer is only ever used for responses.
    internal_notes = InternalNoteSerializer(
        many=True,
        required=False,
        help_text="Only for certification staff and the audit team; absent for everyone else.",
    )

    class Meta:
        model = Nonconformity
        fields = [
            "id",
            "number",
            "audit",
            "organization",
            "clause",
            "site",
            "grade",
            "status",
            "statement",
            "evidence",
            "response_due",
            "close_due",
            "overdue",
            "accepted_at",
            "closed_at",
            "verification_method",
            "verification_comment",
            "responses",
            "verification_files",
            "events",
            "internal_notes",
        ]
        read_only_fields = [field for field in fields if field != "internal_notes"]

    def to_representation(self, nonconformity):
        data = super().to_representation(nonconformity)
        # The key is left out, not emptied: the client's users must not learn notes exist at all.
        if not nonconformity.internal_visible:
            del data["internal_notes"]
        return data


# -- What the actions take ------------------------------------------------------------------------

# Blank text passes here on purpose: the service refuses it with its own message, as on the pages.
_files_field = serializers.ListField(
    child=serializers.FileField(allow_empty_file=True, use_url=False),
    required=False,
    default=list,
    help_text=f"Repeat the field for several files (at most {ncr.MAX_FILES}). Multipart only.",
)


class RespondInput(serializers.Serializer):
    correction = serializers.CharField(allow_blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    root_cause = serializers.CharField(allow_blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    corrective_action = serializers.CharField(allow_blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    responsible = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    target_date = serializers.DateField(required=False, allow_null=True, default=None)


class RespondUpload(RespondInput):
    files = _files_field


class ReviewInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=ReviewDecision.choices)
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=LONG_TEXT_MAX_LENGTH,
        help_text="Needed to reject: the client reads it.",
    )


# The same choices as the answer's `verification_method`, so the schema names them once: two field
# names for one choice set would otherwise become two enums (and a warning that fails the check).
@extend_schema_field({"allOf": [{"$ref": "#/components/schemas/VerificationMethodEnum"}]})
class VerificationMethodField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=VerificationMethod.choices, **kwargs)


class VerifyInput(serializers.Serializer):
    comment = serializers.CharField(allow_blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    method = VerificationMethodField(default=VerificationMethod.DESK)


class VerifyUpload(VerifyInput):
    files = _files_field


class NoteInput(serializers.Serializer):
    text = serializers.CharField(allow_blank=True)


# -- Lists and filters ----------------------------------------------------------------------------


class NonconformityFilter(FilterSet):
    # An audit the caller cannot see is refused like one that does not exist: no hint it is there.
    audit = readable_choice_filter(audits_for_user)
    status = filters.ChoiceFilter(choices=NonconformityStatus.choices)
    grade = filters.ChoiceFilter(choices=[(grade.value, grade.label) for grade in NONCONFORMITY_GRADES])
    # A choice, not a BooleanFilter: that one quietly ignores a value such as "maybe".
    overdue = filters.TypedChoiceFilter(
        field_name="is_overdue",
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        help_text="true: not answered, or a major not closed, by its deadline.",
    )

    class Meta:
        model = Nonconformity
        fields = ["audit", "status", "grade", "overdue"]


_ACTION_ERRORS = {
    400: OpenApiResponse(description="A field is missing or wrong: {field: [reason]}."),
    403: OpenApiResponse(description="The caller may read this nonconformity but not take this step."),
    404: OpenApiResponse(description="No such nonconformity for the caller."),
    409: OpenApiResponse(description="Not allowed in the nonconformity's current state: {detail: reason}."),
}


class NonconformityViewSet(viewsets.ReadOnlyModelViewSet):
    """Nonconformities the caller may read, overdue ones first, then by answer deadline.

    The client's users answer (`respond/`); the audit team reviews (`review/`), verifies and closes
    (`verify/`) and, with staff, writes internal notes (`notes/`) that the client never sees.
    """

    serializer_class = NonconformityDetailSerializer
    parser_classes = [parsers.JSONParser, parsers.MultiPartParser, parsers.FormParser]
    filterset_class = NonconformityFilter
    ordering_fields = ["response_due", "number"]
    search_fields = ["number", "finding__statement"]

    def get_queryset(self):
        user = self.request.user
        overdue = Nonconformity.objects.overdue(timezone.localdate()).filter(pk=OuterRef("pk"))
        responses = NonconformityResponse.objects.select_related(
            "submitted_by", "reviewed_by"
        ).prefetch_related(
            Prefetch("attachments", queryset=NonconformityAttachment.objects.order_by("uploaded_at", "id"))
        )
        notes = InternalNote.objects.select_related("author")
        if not is_staff_member(user):
            # Only the notes the caller may read are fetched: a client's request never loads one.
            notes = notes.filter(internal_visible(user, "nonconformity__"))
        return (
            ncr.nonconformities_for_user(user)
            .select_related("audit__organization", "finding__clause", "finding__site")
            .annotate(is_overdue=Exists(overdue), internal_visible=internal_visible(user))
            .prefetch_related(
                Prefetch("responses", queryset=responses),
                Prefetch(
                    "attachments",
                    queryset=NonconformityAttachment.objects.filter(response__isnull=True),
                    to_attr="verification_files",
                ),
                Prefetch("events", queryset=NonconformityEvent.objects.select_related("by")),
                Prefetch("internal_notes", queryset=notes),
            )
            .order_by("-is_overdue", "response_due", "number")
        )

    def _step(self, request, *, require, data_class, perform, created=False):
        """One step: 404 for outsiders, then 403 for the wrong role, then the body, then the service."""
        nonconformity = self.get_object()
        # The role comes before the body: a reader who may not act learns nothing from a 400.
        require(request.user, nonconformity)
        data = data_class(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            perform(nonconformity, data.validated_data)
        except DomainError as error:
            # The upload checks name their one `file`; here the field the caller sent is `files`.
            if error.field != "file":
                raise
            raise DomainError(error.message, field="files") from error
        fresh = self.get_object()
        return Response(
            self.get_serializer(fresh).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(
        request={"application/json": RespondInput, "multipart/form-data": RespondUpload},
        responses={201: NonconformityDetailSerializer, **_ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        """The client's answer: a new round, with optional files; the NCR then awaits review."""

        def perform(nonconformity, data):
            ncr.nonconformity_respond(nonconformity=nonconformity, user=request.user, **data)

        return self._step(
            request,
            require=permissions.require_can_answer,
            data_class=RespondUpload,
            perform=perform,
            created=True,
        )

    @extend_schema(request=ReviewInput, responses={200: NonconformityDetailSerializer, **_ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """The team accepts the latest answer, or rejects it with the reasons (back to the client)."""

        def perform(nonconformity, data):
            ncr.nonconformity_review(nonconformity=nonconformity, user=request.user, **data)

        return self._step(
            request,
            require=permissions.require_can_review,
            data_class=ReviewInput,
            perform=perform,
        )

    @extend_schema(
        request={"application/json": VerifyInput, "multipart/form-data": VerifyUpload},
        responses={200: NonconformityDetailSerializer, **_ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        """The team verifies an accepted nonconformity was put right, with optional files, and closes it."""

        def perform(nonconformity, data):
            ncr.nonconformity_verify(nonconformity=nonconformity, user=request.user, **data)

        return self._step(
            request,
            require=permissions.require_can_verify,
            data_class=VerifyUpload,
            perform=perform,
        )

    @extend_schema(request=NoteInput, responses={201: NonconformityDetailSerializer, **_ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        """An internal note of the team or staff; never shown to the client's users."""

        def perform(nonconformity, data):
            ncr.internal_note_add(nonconformity=nonconformity, user=request.user, **data)

        return self._step(
            request,
            require=permissions.require_can_write_internal_note,
            data_class=NoteInput,
            perform=perform,
            created=True,
        )
