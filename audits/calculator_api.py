"""GET /api/v1/audit-time/: the audit-time calculator for planners, without saving anything."""

from decimal import Decimal

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import is_auditor, is_staff_member
from audits.audit_time import (
    INITIAL,
    RECERTIFICATION,
    SURVEILLANCE,
    Adjustment,
    AuditTimeError,
    calculate_audit_time,
)
from audits.models import Standard


class IsStaffOrAuditor(permissions.BasePermission):
    """Planning figures are for the certification body's own people, not for clients."""

    def has_permission(self, request, view):
        return is_staff_member(request.user) or is_auditor(request.user)


def _parse_adjustment(text: str) -> Adjustment:
    percent, separator, justification = text.partition(":")
    if not separator:
        raise serializers.ValidationError(
            _("Write each adjustment as percent:justification, for example -10:Low complexity.")
        )
    try:
        return Adjustment(percent=percent.strip(), justification=justification.strip())
    except AuditTimeError as error:
        raise serializers.ValidationError(error.message) from None


class AuditTimeQuery(serializers.Serializer):
    standard = serializers.CharField()
    personnel = serializers.DecimalField(max_digits=10, decimal_places=2, max_value=Decimal(10_000_000))
    sites = serializers.IntegerField(min_value=1, max_value=100_000)
    audit_type = serializers.ChoiceField(choices=[INITIAL, SURVEILLANCE, RECERTIFICATION])
    adjustment = serializers.ListField(child=serializers.CharField(), required=False, default=list)

    def validate_standard(self, value: str) -> Standard:
        standard = Standard.objects.select_related("scheme").filter(code__iexact=value.strip()).first()
        if standard is None:
            raise serializers.ValidationError(_("No standard with the code %(code)s.") % {"code": value})
        if not hasattr(standard, "scheme"):
            raise serializers.ValidationError(
                _("%(code)s has no certification scheme yet.") % {"code": standard.code}
            )
        return standard

    def validate_personnel(self, value: Decimal) -> Decimal:
        if value <= 0:
            raise serializers.ValidationError(_("Effective personnel must be more than zero."))
        return value

    def validate_adjustment(self, value: list[str]) -> list[Adjustment]:
        return [_parse_adjustment(text) for text in value]


class AuditTimeResultSerializer(serializers.Serializer):
    """The shape of AuditTimeResult.as_dict(), for the schema only."""

    standard = serializers.CharField()
    audit_type = serializers.CharField()
    calculated_as = serializers.ChoiceField(choices=[INITIAL, SURVEILLANCE, RECERTIFICATION])
    personnel = serializers.FloatField()
    sites = serializers.IntegerField()
    adjustments = serializers.ListField(child=serializers.DictField())
    sampling_allowed = serializers.BooleanField()
    table_days = serializers.FloatField()
    adjusted_days = serializers.FloatField()
    initial_days = serializers.FloatField()
    days = serializers.FloatField()
    stage1_days = serializers.FloatField(allow_null=True)
    stage2_days = serializers.FloatField(allow_null=True)
    onsite_days = serializers.FloatField()
    sampled_sites = serializers.IntegerField()
    visited_sites = serializers.IntegerField()
    warnings = serializers.ListField(child=serializers.CharField())
    justification = serializers.ListField(child=serializers.CharField())


class AuditTimeCalculatorView(APIView):
    """Audit days for a standard, a size and an audit type, with the justification to give the client."""

    permission_classes = [permissions.IsAuthenticated, IsStaffOrAuditor]

    @extend_schema(
        operation_id="audit_time_calculate",
        parameters=[
            OpenApiParameter("standard", OpenApiTypes.STR, required=True, description="Standard code."),
            OpenApiParameter(
                "personnel",
                OpenApiTypes.DECIMAL,
                required=True,
                description="Effective personnel in scope; part-time staff as FTE.",
            ),
            OpenApiParameter(
                "sites",
                OpenApiTypes.INT,
                required=True,
                description="Sites in scope, central function included.",
            ),
            OpenApiParameter(
                "audit_type", OpenApiTypes.STR, required=True, enum=[INITIAL, SURVEILLANCE, RECERTIFICATION]
            ),
            OpenApiParameter(
                "adjustment",
                OpenApiTypes.STR,
                many=True,
                description="Repeatable percent:justification, for example -10:Low complexity.",
            ),
        ],
        responses={
            200: AuditTimeResultSerializer,
            400: OpenApiResponse(description="A parameter is missing or wrong; the answer names it."),
        },
    )
    def get(self, request):
        query = AuditTimeQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        # An over-limit reduction raises AuditTimeError, which the API answers as 400 on "adjustment".
        result = calculate_audit_time(
            scheme=values["standard"].scheme,
            personnel=values["personnel"],
            sites=values["sites"],
            audit_type=values["audit_type"],
            adjustments=values["adjustment"],
        )
        return Response(result.as_dict())
