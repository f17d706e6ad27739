"""The audit's closing and its report over the API: POST /api/v1/audits/{id}/close/ and
GET /api/v1/audits/{id}/report/, answered here beside audits' own viewset (config/api_urls.py)."""

from django.db.models import Prefetch
from django.utils.translation import gettext as _
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
from reports.models import Conformity, Effectiveness, SystemStatement
from reports.services import StatementInput
from reports.views import report_pdf_response


class StatementInputSerializer(serializers.Serializer):
    """Per standard: does the management system conform, is it effective (17021-1 9.4.8)."""

    standard = serializers.CharField(max_length=60, help_text="The standard's code, e.g. ISO 9001:2015.")
    conformity = serializers.ChoiceField(choices=Conformity.choices)
    effectiveness = serializers.ChoiceField(choices=Effectiveness.choices)
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=LONG_TEXT_MAX_LENGTH
    )


def _long_text():
    return serializers.CharField(
        required=False, allow_blank=True, default="", max_length=LONG_TEXT_MAX_LENGTH
    )


class CloseInput(serializers.Serializer):
    recommendation = serializers.ChoiceField(choices=Recommendation.choices)
    conclusion = _long_text()
    plan_deviations = _long_text()
    # One per standard of the audit (the service refuses a missing one with its name).
    statements = StatementInputSerializer(many=True)
    unresolved_issues = _long_text()
    significant_changes = _long_text()
    ict_effectiveness = _long_text()

    def service_data(self, audit: Audit) -> dict:
        """The validated body as audit_close takes it: each statement's standard by its id."""
        data = dict(self.validated_data)
        codes = dict(audit.standards.values_list("code", "pk"))
        statements = []
        for statement in data.pop("statements"):
            if statement["standard"] not in codes:
                raise serializers.ValidationError(
                    {"statements": [_("%(standard)s is not a standard of this audit.") % statement]}
                )
            statements.append(
                StatementInput(
                    codes[statement["standard"]],
                    statement["conformity"],
                    statement["effectiveness"],
                    statement["comment"],
                )
            )
        data["statements"] = statements
        return data


class SystemStatementSerializer(serializers.ModelSerializer):
    standard = serializers.CharField(source="standard.code", read_only=True)

    class Meta:
        model = SystemStatement
        fields = ["standard", "conformity", "effectiveness", "comment"]


class NonconformitySerializer(serializers.ModelSerializer):
    clause = serializers.CharField(source="finding.clause.number", read_only=True)
    site = serializers.CharField(source="finding.site.name", read_only=True, default=None)

    class Meta:
        model = Nonconformity
        fields = ["id", "number", "grade", "status", "clause", "site", "response_due", "close_due"]


class ClosedAuditSerializer(serializers.ModelSerializer):
    nonconformities = NonconformitySerializer(many=True, read_only=True)
    statements = SystemStatementSerializer(source="system_statements", many=True, read_only=True)

    class Meta:
        model = Audit
        fields = [
            "id",
            "status",
            "recommendation",
            "conclusion",
            "plan_deviations",
            "statements",
            "unresolved_issues",
            "significant_changes",
            "ict_effectiveness",
            "closed_at",
            "closed_by",
            "nonconformities",
        ]


class AuditReportViewSet(AuditScopedViewSet):
    """The lead auditor's closing of an audit and the report it makes."""

    @extend_schema(request=CloseInput, responses=ClosedAuditSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """The lead auditor closes the audit: POST {recommendation, conclusion?, plan_deviations?,
        statements: [{standard, conformity, effectiveness, comment?}] (one per standard),
        unresolved_issues?, significant_changes?, ict_effectiveness? (required for a remote or
        hybrid audit)}."""
        audit = self.get_object()
        # 403 before any 400: a body is only worth validating from the one who may close.
        require_can_close(request.user, audit)
        data = CloseInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.audit_close(audit=audit, user=request.user, **data.service_data(audit))
        nonconformities = Nonconformity.objects.select_related("finding__clause", "finding__site")
        statements = SystemStatement.objects.select_related("standard")
        closed = Audit.objects.prefetch_related(
            Prefetch("nonconformities", queryset=nonconformities),
            Prefetch("system_statements", queryset=statements),
        ).get(pk=audit.pk)
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
