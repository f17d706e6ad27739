"""The audit's closing and its report over the API: POST /api/v1/audits/{id}/close/ and
GET /api/v1/audits/{id}/report/, answered here beside audits' own viewset (config/api_urls.py)."""

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import renderers, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from audits.api import AuditScopedViewSet
from audits.models import Audit, Recommendation
from audits.permissions import require_can_close
from core.api import PDFRenderer
from core.limits import LONG_TEXT_MAX_LENGTH
from findings.models import Nonconformity
from reports import services
from reports.views import report_pdf_response


class CloseInput(serializers.Serializer):
    recommendation = serializers.ChoiceField(choices=Recommendation.choices)
    conclusion = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=LONG_TEXT_MAX_LENGTH
    )
    plan_deviations = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=LONG_TEXT_MAX_LENGTH
    )


class NonconformitySerializer(serializers.ModelSerializer):
    clause = serializers.CharField(source="finding.clause.number", read_only=True)
    site = serializers.CharField(source="finding.site.name", read_only=True, default=None)

    class Meta:
        model = Nonconformity
        fields = ["id", "number", "grade", "status", "clause", "site", "response_due", "close_due"]


class ClosedAuditSerializer(serializers.ModelSerializer):
    nonconformities = NonconformitySerializer(many=True, read_only=True)

    class Meta:
        model = Audit
        fields = [
            "id",
            "status",
            "recommendation",
            "conclusion",
            "plan_deviations",
            "closed_at",
            "closed_by",
            "nonconformities",
        ]


class AuditReportViewSet(AuditScopedViewSet):
    """The lead auditor's closing of an audit and the report it makes."""

    @extend_schema(request=CloseInput, responses=ClosedAuditSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """The lead auditor closes the audit: POST {recommendation, conclusion?, plan_deviations?}."""
        audit = self.get_object()
        # 403 before any 400: a body is only worth validating from the one who may close.
        require_can_close(request.user, audit)
        data = CloseInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.audit_close(audit=audit, user=request.user, **data.validated_data)
        nonconformities = Nonconformity.objects.select_related("finding__clause", "finding__site")
        closed = Audit.objects.prefetch_related(Prefetch("nonconformities", queryset=nonconformities)).get(
            pk=audit.pk
        )
        return Response(ClosedAuditSerializer(closed).data)

    @extend_schema(
        operation_id="v1_audits_report_retrieve", responses={(200, "application/pdf"): OpenApiTypes.BINARY}
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="report",
        url_name="report",
        renderer_classes=[renderers.JSONRenderer, PDFRenderer],
    )
    def report(self, request, pk=None):
        """The closed audit's report PDF; 404 until the audit is closed."""
        # No other action's path starts with "report", so its format-suffix route shadows nothing.
        return report_pdf_response(self.get_object())
