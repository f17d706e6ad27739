"""Evidence files over the API. Rules live in findings.evidence; access in findings.selectors."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, serializers, status, viewsets
from rest_framework.response import Response

from core.api import FilterSet, ReadableRelatedField, readable_choice_filter
from findings import evidence as services
from findings.models import Evidence, Finding, Visibility
from findings.selectors import audits_with_readable_findings, evidence_for_user, findings_for_user


def _findings_with_removed(user):
    # Removed ones too, so the service can say why it refuses: never a hint at another client's.
    return findings_for_user(user, include_removed=True).select_related("audit")


class EvidenceSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "finding",
            "audit",
            "original_name",
            "sha256",
            "size",
            "content_type",
            "description",
            "visibility",
            "uploaded_by",
            "uploaded_at",
            "download_url",
            "thumbnail_url",
        ]
        read_only_fields = fields

    def get_download_url(self, evidence) -> str:
        return reverse("findings:evidence-download", args=[evidence.pk])

    def get_thumbnail_url(self, evidence) -> str | None:
        if not evidence.thumbnail:
            return None
        return reverse("findings:evidence-thumbnail", args=[evidence.pk])


class EvidenceCreateSerializer(serializers.Serializer):
    finding = ReadableRelatedField(
        queryset=Finding.objects.all(),
        readable=_findings_with_removed,
        error_messages={"does_not_exist": _("No such finding."), "incorrect_type": _("No such finding.")},
    )
    # Empty files and every other refusal get the service's message, the same as in the browser.
    file = serializers.FileField(allow_empty_file=True, use_url=False)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.TEAM)


class EvidenceUpdateSerializer(serializers.Serializer):
    description = serializers.CharField(required=False, allow_blank=True, max_length=500)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)


class EvidenceFilter(FilterSet):
    finding = readable_choice_filter(_findings_with_removed)
    audit = readable_choice_filter(audits_with_readable_findings)

    class Meta:
        model = Evidence
        fields = ["finding", "audit"]


class EvidenceViewSet(viewsets.ModelViewSet):
    """Files attached to findings. Everyone who may read an audit's findings lists what they may
    download; the audit's team uploads, changes and removes while the audit is open."""

    serializer_class = EvidenceSerializer
    parser_classes = [parsers.MultiPartParser, parsers.FormParser, parsers.JSONParser]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filterset_class = EvidenceFilter
    ordering_fields = ["uploaded_at", "id"]
    search_fields = ["original_name", "description"]

    def get_queryset(self):
        return evidence_for_user(self.request.user).order_by("finding_id", "uploaded_at", "id")

    @extend_schema(
        request={"multipart/form-data": EvidenceCreateSerializer},
        responses={201: EvidenceSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = EvidenceCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        evidence = services.evidence_add(
            finding=data.validated_data["finding"],
            user=request.user,
            upload=data.validated_data["file"],
            description=data.validated_data["description"],
            visibility=data.validated_data["visibility"],
        )
        return Response(self.get_serializer(evidence).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EvidenceUpdateSerializer, responses=EvidenceSerializer)
    def partial_update(self, request, *args, **kwargs):
        evidence = self.get_object()  # 404 for outsiders before 403 for readers
        data = EvidenceUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        evidence = services.evidence_update(evidence=evidence, user=request.user, **data.validated_data)
        return Response(self.get_serializer(evidence).data)

    def destroy(self, request, *args, **kwargs):
        """Take the file off its finding; it stays on record with the finding's history."""
        services.evidence_remove(evidence=self.get_object(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
