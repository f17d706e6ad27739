"""/api/v1/transfers/: transfers of certification from another body (IAF MD 2). The rules:
transfers.services; who may: transfers.permissions (staff, and the reviewer for the review)."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.fields import empty
from rest_framework.response import Response

from clients.models import Organization
from clients.selectors import organizations_for_user
from core.api import ReadableRelatedField, id_field
from core.errors import DomainError
from core.limits import LONG_TEXT_MAX_LENGTH
from standards.models import Standard
from transfers import services
from transfers.checklist import QUESTIONS
from transfers.models import (
    CycleStage,
    DocumentKind,
    NcGrade,
    OtherBodyNonconformity,
    ReviewAnswer,
    ReviewItem,
    Transfer,
    TransferDocument,
)
from transfers.permissions import (
    require_can_decide_transfer,
    require_can_list_transfers,
    require_can_manage_transfers,
    require_can_review,
)
from transfers.selectors import transfers_for_user

# -- What a transfer looks like -------------------------------------------------------------------


class TransferDocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = TransferDocument
        fields = [
            "id",
            "kind",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "description",
            "uploaded_at",
        ]
        read_only_fields = fields


class TransferReviewItemSerializer(serializers.ModelSerializer):
    question = serializers.SerializerMethodField()
    # Blank until the reviewer answers.
    answer = serializers.CharField(read_only=True, help_text="confirmed, concern, not_applicable, or blank")
    answered_by: serializers.StringRelatedField = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = ReviewItem
        fields = ["id", "item", "question", "answer", "note", "answered_by", "answered_at"]
        read_only_fields = fields

    def get_question(self, item) -> str:
        return str(QUESTIONS.get(item.item, item.item))


class OtherBodyNonconformitySerializer(serializers.ModelSerializer):
    class Meta:
        model = OtherBodyNonconformity
        fields = ["id", "reference", "grade", "description", "state", "closed_on", "closure_note"]
        read_only_fields = fields


class TransferSerializer(serializers.ModelSerializer):
    organization = serializers.IntegerField(source="organization_id", read_only=True)
    organization_name = serializers.CharField(source="organization.legal_name", read_only=True)
    standard = serializers.CharField(source="standard.code", read_only=True)
    sites: serializers.ManyRelatedField = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        many=True, read_only=True
    )
    reviewer: serializers.StringRelatedField = serializers.StringRelatedField(allow_null=True)
    decision_outcome = serializers.CharField(
        source="decision.outcome", read_only=True, default=None, allow_null=True
    )
    decided_on = serializers.DateField(
        source="decision.decided_on", read_only=True, default=None, allow_null=True
    )
    certificate_issued = serializers.CharField(
        source="certificate.number", read_only=True, default=None, allow_null=True
    )
    documents = TransferDocumentSerializer(many=True, read_only=True)
    review_items = TransferReviewItemSerializer(many=True, read_only=True)
    nonconformities = OtherBodyNonconformitySerializer(many=True, read_only=True)

    class Meta:
        model = Transfer
        fields = [
            "id",
            "organization",
            "organization_name",
            "standard",
            *services.DETAIL_FIELDS,
            "sites",
            "status",
            "reviewer",
            "review_completed_at",
            "visit",
            "decision_outcome",
            "decided_on",
            "certificate_issued",
            "certificate",
            "documents",
            "review_items",
            "nonconformities",
            "created_at",
        ]
        read_only_fields = fields


# -- What the requests send -----------------------------------------------------------------------


class TransferDetailsInput(serializers.Serializer):
    certificate_number = serializers.CharField(max_length=100)
    issuing_body = serializers.CharField(max_length=200)
    accreditation_body = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    accredited = serializers.BooleanField(required=False, default=False)
    accreditation_recognised = serializers.BooleanField(required=False, default=False)
    scope = serializers.CharField(max_length=LONG_TEXT_MAX_LENGTH)
    issue_date = serializers.DateField()
    expiry_date = serializers.DateField()
    cycle_stage = serializers.ChoiceField(choices=CycleStage.choices)
    suspended = serializers.BooleanField(required=False, default=False)
    reasons = serializers.CharField(
        max_length=LONG_TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    sites = serializers.ListField(child=id_field(), min_length=1, max_length=1000)


class TransferCreateInput(TransferDetailsInput):
    organization = ReadableRelatedField(readable=organizations_for_user, queryset=Organization.objects.none())
    standard = serializers.PrimaryKeyRelatedField(queryset=Standard.objects.filter(scheme__isnull=False))


class TransferUpdateInput(TransferDetailsInput):
    """Only the fields sent change: none is required, and none takes a default (a flag left out
    of a PATCH keeps its value rather than turning false)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            field.default = empty


class TransferReviewerInput(serializers.Serializer):
    reviewer = id_field()


class TransferDocumentInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    file = serializers.FileField()
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class TransferAnswerInput(serializers.Serializer):
    item = id_field()
    answer = serializers.ChoiceField(choices=ReviewAnswer.choices)
    note = serializers.CharField(max_length=LONG_TEXT_MAX_LENGTH, allow_blank=True)


class TransferNonconformityInput(serializers.Serializer):
    reference = serializers.CharField(max_length=100)
    grade = serializers.ChoiceField(choices=NcGrade.choices)
    description = serializers.CharField(max_length=LONG_TEXT_MAX_LENGTH)


class TransferCloseInput(serializers.Serializer):
    nonconformity = id_field()
    closed_on = serializers.DateField()
    closure_note = serializers.CharField(max_length=LONG_TEXT_MAX_LENGTH, allow_blank=True)


class TransferDecisionInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[(services.ACCEPT, "accept"), (services.REFUSE, "refuse")])
    rationale = serializers.CharField(max_length=LONG_TEXT_MAX_LENGTH, allow_blank=True)
    decided_on = serializers.DateField(required=False, allow_null=True, default=None)


class TransferEmptyInput(serializers.Serializer):
    pass


_ERRORS = {
    400: OpenApiResponse(
        description="A field is missing or wrong: {field: [reason]}, or the decider is not independent."
    ),
    403: OpenApiResponse(description="The caller may see this transfer but not take this step."),
    404: OpenApiResponse(description="No such transfer for the caller."),
    409: OpenApiResponse(description="Not allowed in the transfer's state or by a rule: {detail, reasons}."),
}


def _sites(organization, ids: list[int]) -> list:
    if len(set(ids)) != len(ids):
        raise DomainError(_("Name each site once."), field="sites")
    sites = organization.sites.in_bulk(ids)
    unknown = [str(site_id) for site_id in ids if site_id not in sites]
    if unknown:
        raise DomainError(
            _("Not a site of %(organization)s: %(ids)s.")
            % {"organization": organization.legal_name, "ids": ", ".join(unknown)},
            field="sites",
        )
    return [sites[site_id] for site_id in ids]


class TransferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Transfers: staff see and handle all; a reviewer sees and reviews theirs; others get 403 on
    the list and 404 on a transfer."""

    serializer_class = TransferSerializer
    parser_classes = [parsers.JSONParser, parsers.MultiPartParser, parsers.FormParser]

    def get_queryset(self):
        return (
            transfers_for_user(self.request.user)
            .select_related("organization", "standard", "reviewer", "decision", "certificate")
            .prefetch_related("sites", "documents", "review_items__answered_by", "nonconformities")
            .order_by("-created_at", "-id")
        )

    def list(self, request, *args, **kwargs):
        require_can_list_transfers(request.user)
        return super().list(request, *args, **kwargs)

    def _answer(self, pk):
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)

    def _step(self, request, *, require, data_class, perform, answer_status=status.HTTP_200_OK):
        """404 for outsiders, then 403 for anyone the step is not for, then the body, then the service."""
        transfer = self.get_object()
        require(request.user, transfer)
        data = data_class(data=request.data)
        data.is_valid(raise_exception=True)
        result = perform(transfer, data.validated_data)
        if answer_status == status.HTTP_201_CREATED and result is not None:
            return Response(
                self.get_serializer(self.get_queryset().get(pk=transfer.pk)).data, status=answer_status
            )
        return self._answer(transfer.pk)

    @extend_schema(request=TransferCreateInput, responses={201: TransferSerializer, **_ERRORS})
    def create(self, request, *args, **kwargs):
        """Record a client's request to transfer its certificate (staff)."""
        require_can_manage_transfers(request.user)
        data = TransferCreateInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        organization = fields.pop("organization")
        transfer = services.transfer_create(
            user=request.user,
            organization=organization,
            standard=fields.pop("standard"),
            sites=_sites(organization, fields.pop("sites")),
            **fields,
        )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=transfer.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=TransferUpdateInput, responses={200: TransferSerializer, **_ERRORS})
    def partial_update(self, request, *args, **kwargs):
        """Correct the current certificate's details (staff), until the transfer is decided."""

        def perform(transfer, data):
            data = dict(data)
            sites = _sites(transfer.organization, data.pop("sites")) if "sites" in data else None
            services.transfer_update(user=request.user, transfer=transfer, sites=sites, **data)

        return self._step(request, require=_staff, data_class=TransferUpdateInput, perform=perform)

    @extend_schema(request=TransferReviewerInput, responses={200: TransferSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def reviewer(self, request, pk=None):
        """Choose the reviewer: someone with a valid auditor competence for the standard."""

        def perform(transfer, data):
            person = get_user_model().objects.filter(pk=data["reviewer"], is_active=True).first()
            if person is None:
                raise DomainError(_("No such person."), field="reviewer")
            services.transfer_assign_reviewer(user=request.user, transfer=transfer, reviewer=person)

        return self._step(request, require=_staff, data_class=TransferReviewerInput, perform=perform)

    @extend_schema(request=None, responses={200: TransferSerializer, **_ERRORS})
    @action(detail=True, methods=["post"], url_path="start-review")
    def start_review(self, request, pk=None):
        """Hand the draft to its reviewer (staff)."""
        return self._step(
            request,
            require=_staff,
            data_class=TransferEmptyInput,
            perform=lambda transfer, data: services.transfer_start_review(
                user=request.user, transfer=transfer
            ),
        )

    @extend_schema(
        request={"multipart/form-data": TransferDocumentInput}, responses={201: TransferSerializer, **_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def documents(self, request, pk=None):
        """Upload a document of the review (staff): checked by its content as evidence is."""
        return self._step(
            request,
            require=_staff,
            data_class=TransferDocumentInput,
            perform=lambda transfer, data: services.transfer_document_add(
                user=request.user,
                transfer=transfer,
                upload=data["file"],
                kind=data["kind"],
                description=data["description"],
            ),
            answer_status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=TransferAnswerInput, responses={200: TransferSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def answers(self, request, pk=None):
        """The reviewer answers one item of the checklist, with a note."""

        def perform(transfer, data):
            item = transfer.review_items.filter(pk=data["item"]).first()
            if item is None:
                raise DomainError(_("No such item of this review."), field="item")
            services.review_item_answer(
                user=request.user, item=item, answer=data["answer"], note=data["note"]
            )

        return self._step(
            request, require=require_can_review, data_class=TransferAnswerInput, perform=perform
        )

    @extend_schema(request=None, responses={200: TransferSerializer, **_ERRORS})
    @action(detail=True, methods=["post"], url_path="complete-review")
    def complete_review(self, request, pk=None):
        """The reviewer completes the review: 409 with the reasons while a rule stands against it."""
        return self._step(
            request,
            require=require_can_review,
            data_class=TransferEmptyInput,
            perform=lambda transfer, data: services.transfer_complete_review(
                user=request.user, transfer=transfer
            ),
        )

    @extend_schema(request=TransferNonconformityInput, responses={201: TransferSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def nonconformities(self, request, pk=None):
        """Record a nonconformity of the issuing body, open until shown closed (staff)."""
        return self._step(
            request,
            require=_staff,
            data_class=TransferNonconformityInput,
            perform=lambda transfer, data: services.nonconformity_record(
                user=request.user, transfer=transfer, **data
            ),
            answer_status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=TransferCloseInput, responses={200: TransferSerializer, **_ERRORS})
    @action(detail=True, methods=["post"], url_path="close-nonconformity")
    def close_nonconformity(self, request, pk=None):
        """Record that one of the issuing body's nonconformities was closed (staff)."""

        def perform(transfer, data):
            nonconformity = transfer.nonconformities.filter(pk=data["nonconformity"]).first()
            if nonconformity is None:
                raise DomainError(_("No such nonconformity of this transfer."), field="nonconformity")
            services.nonconformity_close(
                user=request.user,
                nonconformity=nonconformity,
                closed_on=data["closed_on"],
                closure_note=data["closure_note"],
            )

        return self._step(request, require=_staff, data_class=TransferCloseInput, perform=perform)

    @extend_schema(request=None, responses={201: TransferSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def visit(self, request, pk=None):
        """Add a visit: a special audit of the client, planned through the audits pages (staff)."""
        return self._step(
            request,
            require=_staff,
            data_class=TransferEmptyInput,
            perform=lambda transfer, data: services.transfer_plan_visit(user=request.user, transfer=transfer),
            answer_status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=TransferDecisionInput, responses={200: TransferSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def decision(self, request, pk=None):
        """The decision (staff not involved in the review): accept, which issues our certificate
        keeping the current expiry and continues the cycle, or refuse."""
        return self._step(
            request,
            require=_decider,
            data_class=TransferDecisionInput,
            perform=lambda transfer, data: services.transfer_decide(
                user=request.user, transfer=transfer, **data
            ),
        )


def _staff(user, transfer):
    require_can_manage_transfers(user)


def _decider(user, transfer):
    require_can_decide_transfer(user)
