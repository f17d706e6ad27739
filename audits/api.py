"""Audits over the API: the audits themselves, their team and plan (/api/v1/audits/), and the
audit-time calculator (/api/v1/audit-time/). Rules live in audits.services and audits.audit_time."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import permissions, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404 as get_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from audits import services
from audits.audit_time import (
    INITIAL,
    RECERTIFICATION,
    SURVEILLANCE,
    Adjustment,
    AuditTimeError,
    Integration,
    calculate_combined_audit_time,
)
from audits.document_views import plan_pdf_response
from audits.models import Audit, AuditDay, AuditStatus, ObjectionOutcome, PlanSlot, TeamMember, TeamObjection
from audits.permissions import (
    can_plan,
    can_use_calculator,
    require_can_manage_audits,
    require_can_object_to_team,
    require_can_plan,
    require_can_see_objections,
)
from audits.selectors import audits_for_user, objections_for_user, programmes_for_user
from clients.models import Organization, Site
from clients.selectors import organizations_for_user, sites_for_user
from core.api import FilterSet, PDFRenderer, ReadableRelatedField, id_field, readable_choice_filter
from core.limits import LONG_TEXT_MAX_LENGTH
from standards.models import Clause, Standard


class TeamMemberSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="user.get_full_name", read_only=True)

    class Meta:
        model = TeamMember
        fields = ["id", "user", "name", "role"]
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = get_user_model().objects.filter(client_membership__isnull=True)


class AuditSerializer(serializers.ModelSerializer):
    # Organisations and sites the caller cannot see read as ids that do not exist. Standards are
    # the library, which every signed-in user reads.
    organization = ReadableRelatedField(queryset=Organization.objects.all(), readable=organizations_for_user)
    organization_name = serializers.CharField(source="organization.legal_name", read_only=True)
    standards = serializers.SlugRelatedField(slug_field="code", many=True, queryset=Standard.objects.all())
    sites = ReadableRelatedField(
        many=True, queryset=Site.objects.all(), readable=sites_for_user, required=False
    )
    team = TeamMemberSerializer(many=True, read_only=True)

    class Meta:
        model = Audit
        fields = [
            "id",
            "organization",
            "organization_name",
            "programme",
            "standards",
            "audit_type",
            "sequence",
            "mode",
            "status",
            "start_date",
            "end_date",
            "due_date",
            "sites",
            "team",
            "objectives",
            "scope",
            "criteria",
            "language",
            "planned_days",
            "time_calculation",
            "sampling_seed",
            "plan_justification",
            "confirmed_at",
        ]
        read_only_fields = [
            "programme",
            "sequence",
            "status",
            "planned_days",
            "time_calculation",
            "sampling_seed",
            "plan_justification",
            "confirmed_at",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if (
            self.instance is not None
            and not isinstance(self.instance, list | tuple)
            and hasattr(self.instance, "pk")
        ):
            self.fields["organization"].read_only = True

    def create(self, validated_data):
        standards = validated_data.pop("standards")
        sites = validated_data.pop("sites", None)
        audit = Audit.objects.create(
            organization=validated_data.pop("organization"), audit_type=validated_data.pop("audit_type")
        )
        audit.standards.set(standards)
        return services.audit_update(
            actor=self.context["request"].user, audit=audit, sites=sites, **validated_data
        )

    def update(self, instance, validated_data):
        validated_data.pop("standards", None)
        validated_data.pop("audit_type", None)
        sites = validated_data.pop("sites", None)
        return services.audit_update(
            actor=self.context["request"].user, audit=instance, sites=sites, **validated_data
        )


@extend_schema_field(
    {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$", "example": "09:00:00"}
)
class TimeOfDayField(serializers.TimeField):
    """A time of day at the site, without a UTC offset ("09:00:00").

    The schema says so with a pattern: JSON Schema's `time` format requires an offset.
    """


class PlanSlotSerializer(serializers.ModelSerializer):
    start = TimeOfDayField(read_only=True)
    end = TimeOfDayField(read_only=True)
    clauses = serializers.SlugRelatedField(slug_field="number", many=True, read_only=True)
    member_name = serializers.CharField(source="member.user.get_full_name", read_only=True)

    class Meta:
        model = PlanSlot
        fields = ["id", "start", "end", "member", "member_name", "activity", "clauses"]


class AuditDaySerializer(serializers.ModelSerializer):
    site_name = serializers.CharField(source="site.name", read_only=True)
    slots = PlanSlotSerializer(many=True, read_only=True)

    class Meta:
        model = AuditDay
        fields = ["id", "date", "site", "site_name", "slots"]


class PlanSerializer(serializers.Serializer):
    """The shape of AuditViewSet._plan(), for the schema only."""

    audit = serializers.IntegerField()
    status = serializers.ChoiceField(choices=AuditStatus.choices)
    planned_days = serializers.FloatField(allow_null=True)
    hours = serializers.FloatField()
    problems = serializers.ListField(
        child=serializers.CharField(), help_text="What still stops the plan from being confirmed."
    )
    days = AuditDaySerializer(many=True)
    onsite_warning = serializers.CharField(
        allow_null=True, help_text="A remote or hybrid audit with less time on site than the scheme asks."
    )


class DayInput(serializers.Serializer):
    date = serializers.DateField()
    site = id_field()


class SlotInput(serializers.Serializer):
    day = id_field()
    start = TimeOfDayField()
    end = TimeOfDayField()
    member = id_field()
    activity = serializers.CharField(max_length=200)
    clauses = serializers.ListField(child=serializers.CharField(), required=False, default=list)


class ConfirmInput(serializers.Serializer):
    justification = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=LONG_TEXT_MAX_LENGTH
    )


class ComputeTimeInput(serializers.Serializer):
    """What the planner weighs, as the calculator takes it: both optional, so an empty body computes
    the plain time."""

    adjustment = serializers.ListField(
        child=serializers.CharField(max_length=600),
        required=False,
        default=list,
        max_length=10,
        help_text="Each as percent:justification, for example -10:Low complexity.",
    )
    integration = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=600,
        help_text="For an audit of several standards (IAF MD 11): percent:justification, for example "
        "15:One manual and one management review.",
    )

    def validate_adjustment(self, value: list[str]) -> list[Adjustment]:
        return [_parse_adjustment(text) for text in value]

    def validate_integration(self, value: str) -> Integration | None:
        return _parse_integration(value) if value.strip() else None


class IctCheckInput(serializers.Serializer):
    """The ICT feasibility and risk check of a remote or hybrid audit (IAF MD 4)."""

    tools = serializers.CharField(max_length=LONG_TEXT_MAX_LENGTH)
    connectivity = serializers.CharField(max_length=LONG_TEXT_MAX_LENGTH)
    confidentiality = serializers.CharField(max_length=LONG_TEXT_MAX_LENGTH)
    limitations = serializers.CharField(
        max_length=LONG_TEXT_MAX_LENGTH, help_text="What cannot be seen remotely."
    )
    remote_percent = serializers.IntegerField(min_value=0, max_value=100)
    feasible = serializers.BooleanField()
    onsite_justification = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=LONG_TEXT_MAX_LENGTH
    )


class TeamRemoveInput(serializers.Serializer):
    user = id_field()


class TeamObjectionSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="user.get_full_name", read_only=True)
    outcome = serializers.CharField(
        read_only=True, help_text="Empty while awaiting staff's decision, then replaced or kept."
    )

    class Meta:
        model = TeamObjection
        fields = ["id", "user", "name", "reason", "raised_at", "outcome", "decision_reason", "decided_at"]
        read_only_fields = fields


class ObjectionInput(serializers.Serializer):
    member = id_field()
    reason = serializers.CharField(max_length=LONG_TEXT_MAX_LENGTH)


class ObjectionDecisionInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[ObjectionOutcome.REPLACED.value, ObjectionOutcome.KEPT.value])
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=LONG_TEXT_MAX_LENGTH
    )


class AuditFilter(FilterSet):
    organization = readable_choice_filter(organizations_for_user)
    programme = readable_choice_filter(programmes_for_user)

    class Meta:
        model = Audit
        fields = ["organization", "audit_type", "status", "programme"]


class AuditScopedViewSet(viewsets.GenericViewSet):
    """/api/v1/audits/{id}/: the audits the caller may see, others 404.

    The base of AuditViewSet and of the actions the higher apps add under the same path
    (reports' close and report, certificates' decision), registered beside it in config/api_urls.py,
    so the audit is looked up, scoped and described alike whichever app answers.
    """

    serializer_class = AuditSerializer
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    filterset_class = AuditFilter
    ordering_fields = ["start_date", "due_date", "id"]

    def get_queryset(self):
        return (
            audits_for_user(self.request.user)
            .select_related("organization")
            .prefetch_related(
                "standards", "sites", Prefetch("team", queryset=TeamMember.objects.select_related("user"))
            )
            .order_by("-start_date", "-id")
        )


class AuditViewSet(AuditScopedViewSet, viewsets.ModelViewSet):
    """Audits: staff create and edit; the team and the client's users read; others get 404."""

    def _require_staff(self):
        require_can_manage_audits(self.request.user)

    def _require_planner(self, audit):
        require_can_plan(self.request.user, audit)

    def create(self, request, *args, **kwargs):
        self._require_staff()
        return super().create(request, *args, **kwargs)

    def update(self, request, *args, **kwargs):
        self.get_object()  # 404 for outsiders before 403 for readers
        self._require_staff()
        return super().update(request, *args, **kwargs)

    @extend_schema(
        responses={405: OpenApiResponse(description="Audits are never deleted; cancel it instead.")}
    )
    def destroy(self, request, *args, **kwargs):
        self.get_object()
        self._require_staff()
        return Response(
            {"detail": "Audits are records and are never deleted; cancel it instead."}, status=405
        )

    @extend_schema(methods=["GET"], responses=TeamMemberSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=TeamMemberSerializer, responses={201: TeamMemberSerializer(many=True)}
    )
    @extend_schema(
        methods=["DELETE"],
        request=None,
        parameters=[OpenApiParameter("user", int, required=True, description="The member to remove.")],
        responses={200: TeamMemberSerializer(many=True)},
    )
    # The whole team in one answer: no pages, no filters.
    @action(detail=True, methods=["get", "post", "delete"], pagination_class=None, filter_backends=[])
    def team(self, request, pk=None):
        """The team: GET lists it; POST {user, role} adds a member; DELETE {user} removes one."""
        audit = self.get_object()
        if request.method != "GET":
            self._require_staff()
        if request.method == "POST":
            data = TeamMemberSerializer(data=request.data, context={"request": request})
            data.is_valid(raise_exception=True)
            services.team_member_add(
                actor=request.user,
                audit=audit,
                user=data.validated_data["user"],
                role=data.validated_data["role"],
            )
        elif request.method == "DELETE":
            data = TeamRemoveInput(data=request.data or request.query_params)
            data.is_valid(raise_exception=True)
            member = get_object_or_404(audit.team, user_id=data.validated_data["user"])
            services.team_member_remove(actor=request.user, member=member)
        members = audit.team.select_related("user")
        code = status.HTTP_201_CREATED if request.method == "POST" else status.HTTP_200_OK
        return Response(TeamMemberSerializer(members, many=True).data, status=code)

    @extend_schema(methods=["GET"], responses=TeamObjectionSerializer(many=True))
    @extend_schema(methods=["POST"], request=ObjectionInput, responses={201: TeamObjectionSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def objections(self, request, pk=None):
        """Objections to team members: the client POSTs {member, reason} before the plan is
        confirmed; staff, the lead and the client read them."""
        audit = self.get_object()
        if request.method == "POST":
            require_can_object_to_team(request.user, audit)
            data = ObjectionInput(data=request.data)
            data.is_valid(raise_exception=True)
            member = audit.team.filter(pk=data.validated_data["member"]).select_related("user").first()
            if member is None:
                raise serializers.ValidationError({"member": [_("Choose a member of this audit's team.")]})
            objection = services.team_objection_raise(
                actor=request.user, audit=audit, member=member, reason=data.validated_data["reason"]
            )
            return Response(TeamObjectionSerializer(objection).data, status=status.HTTP_201_CREATED)
        require_can_see_objections(request.user, audit)
        return Response(TeamObjectionSerializer(objections_for_user(request.user, audit), many=True).data)

    @extend_schema(
        request=ObjectionDecisionInput,
        responses=TeamObjectionSerializer,
        parameters=[
            OpenApiParameter("objection_pk", int, OpenApiParameter.PATH, description="The objection.")
        ],
    )
    @action(detail=True, methods=["post"], url_path=r"objections/(?P<objection_pk>[^/.]+)/decision")
    def objection_decision(self, request, pk=None, objection_pk=None):
        """Staff replace the member objected to (taken off the team) or keep them, with the reason."""
        audit = self.get_object()
        self._require_staff()
        objection = get_or_404(audit.objections.select_related("user"), pk=objection_pk)
        data = ObjectionDecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.team_objection_decide(actor=request.user, objection=objection, **data.validated_data)
        return Response(TeamObjectionSerializer(objection).data)

    def _plan(self, audit):
        days = audit.days.select_related("site").prefetch_related(
            Prefetch(
                "slots", queryset=PlanSlot.objects.select_related("member__user").prefetch_related("clauses")
            )
        )
        return {
            "audit": audit.pk,
            "status": audit.status,
            "planned_days": audit.planned_days,
            "hours": services.plan_hours(audit),
            # For those who plan, as on the audit's page: the blockers name team members' competences,
            # declarations and the client's objections, which the other readers do not see.
            "problems": services.plan_problems(audit)
            if audit.status == "planned" and can_plan(self.request.user, audit)
            else [],
            "days": AuditDaySerializer(days, many=True).data,
            "onsite_warning": services.onsite_share_warning(audit),
        }

    @extend_schema(responses=PlanSerializer)
    @action(detail=True, methods=["get"])
    def plan(self, request, pk=None):
        """The day-by-day plan, with what still stops it from being confirmed."""
        return Response(self._plan(self.get_object()))

    @extend_schema(
        operation_id="v1_audits_plan_pdf_retrieve", responses={(200, "application/pdf"): OpenApiTypes.BINARY}
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="plan.pdf",
        url_name="plan-pdf",
        renderer_classes=[renderers.JSONRenderer, PDFRenderer],
    )
    def download_plan_pdf(self, request, pk=None):
        """The confirmed plan as the PDF sent to the client; 404 until the plan is confirmed."""
        # Named to sort before `plan`: the router orders routes by method name, and the format-suffix
        # route of `plan` (plan.<format>) would otherwise answer plan.pdf/ with a 404.
        return plan_pdf_response(self.get_object())

    @extend_schema(request=DayInput, responses={201: PlanSerializer})
    @action(detail=True, methods=["post"], url_path="plan/days")
    def plan_days(self, request, pk=None):
        audit = self.get_object()
        self._require_planner(audit)
        data = DayInput(data=request.data)
        data.is_valid(raise_exception=True)
        site = get_object_or_404(audit.organization.sites, pk=data.validated_data["site"])
        services.plan_day_add(actor=request.user, audit=audit, date=data.validated_data["date"], site=site)
        return Response(self._plan(audit), status=status.HTTP_201_CREATED)

    @extend_schema(request=SlotInput, responses={201: PlanSerializer})
    @action(detail=True, methods=["post"], url_path="plan/slots")
    def plan_slots(self, request, pk=None):
        audit = self.get_object()
        self._require_planner(audit)
        data = SlotInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        day = get_object_or_404(audit.days, pk=values["day"])
        member = get_object_or_404(audit.team, pk=values["member"])
        clauses = list(
            Clause.objects.filter(standard__in=audit.standards.all(), number__in=values["clauses"])
        )
        unknown = set(values["clauses"]) - {clause.number for clause in clauses}
        if unknown:
            raise serializers.ValidationError({"clauses": [f"Unknown clause {sorted(unknown)[0]}."]})
        services.plan_slot_add(
            actor=request.user,
            day=day,
            start=values["start"],
            end=values["end"],
            member=member,
            activity=values["activity"],
            clauses=clauses,
        )
        return Response(self._plan(audit), status=status.HTTP_201_CREATED)

    @extend_schema(request=ConfirmInput, responses=PlanSerializer)
    @action(detail=True, methods=["post"], url_path="plan/confirm")
    def plan_confirm(self, request, pk=None):
        audit = self.get_object()
        self._require_planner(audit)
        data = ConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.plan_confirm(
            actor=request.user, audit=audit, justification=data.validated_data["justification"]
        )
        return Response(self._plan(audit))

    @extend_schema(request=IctCheckInput, responses=PlanSerializer)
    @action(detail=True, methods=["post"], url_path="plan/ict-check")
    def plan_ict_check(self, request, pk=None):
        """Record the ICT feasibility and risk check of a remote or hybrid audit; 409 for one on site."""
        audit = self.get_object()
        self._require_planner(audit)
        data = IctCheckInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.ict_check_record(actor=request.user, audit=audit, **data.validated_data)
        audit.refresh_from_db()
        return Response(self._plan(audit))

    @extend_schema(request=ComputeTimeInput)
    @action(detail=True, methods=["post"], url_path="compute-time")
    def compute_time(self, request, pk=None):
        """Compute the audit time and choose the sites; kept with the audit as its justification."""
        audit = self.get_object()
        self._require_planner(audit)
        data = ComputeTimeInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.audit_compute_time(
            actor=request.user,
            audit=audit,
            adjustments=data.validated_data["adjustment"],
            integration=data.validated_data["integration"],
        )
        return Response(
            AuditSerializer(self.get_queryset().get(pk=audit.pk), context={"request": request}).data
        )


# -- The audit-time calculator ------------------------------------------------------------------


class IsStaffOrAuditor(permissions.BasePermission):
    """Planning figures are for the certification body's own people, not for clients."""

    def has_permission(self, request, view):
        return can_use_calculator(request.user)


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


def _parse_integration(text: str) -> Integration:
    percent, separator, justification = text.partition(":")
    if not separator:
        raise serializers.ValidationError(
            _(
                "Write the integration reduction as percent:justification, "
                "for example 15:One manual and review."
            )
        )
    try:
        return Integration(percent=percent.strip(), justification=justification.strip())
    except AuditTimeError as error:
        raise serializers.ValidationError(error.message) from None


class AuditTimeQuery(serializers.Serializer):
    # Repeated for a combined audit: ?standard=ISO 9001:2015&standard=ISO 18295-1:2017.
    # A blank code is refused in validate_standard, so the answer names the parameter, not a position.
    standard = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=True), min_length=1, max_length=10
    )
    personnel = serializers.DecimalField(max_digits=10, decimal_places=2, max_value=Decimal(10_000_000))
    sites = serializers.IntegerField(min_value=1, max_value=100_000)
    audit_type = serializers.ChoiceField(choices=[INITIAL, SURVEILLANCE, RECERTIFICATION])
    adjustment = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    integration = serializers.CharField(required=False, default="")

    def validate_standard(self, value: list[str]) -> list[Standard]:
        standards = []
        for code in value:
            if not code:
                raise serializers.ValidationError(
                    _("Name each standard by its code, for example ISO 9001:2015.")
                )
            standard = Standard.objects.select_related("scheme").filter(code__iexact=code.strip()).first()
            if standard is None:
                raise serializers.ValidationError(_("No standard with the code %(code)s.") % {"code": code})
            if not hasattr(standard, "scheme"):
                raise serializers.ValidationError(
                    _("%(code)s has no certification scheme yet.") % {"code": standard.code}
                )
            if standard in standards:
                raise serializers.ValidationError(
                    _("%(code)s is given more than once; name each standard once.") % {"code": standard.code}
                )
            standards.append(standard)
        return standards

    def validate_personnel(self, value: Decimal) -> Decimal:
        if value <= 0:
            raise serializers.ValidationError(_("Effective personnel must be more than zero."))
        return value

    def validate_adjustment(self, value: list[str]) -> list[Adjustment]:
        return [_parse_adjustment(text) for text in value]

    def validate_integration(self, value: str) -> Integration | None:
        return _parse_integration(value) if value.strip() else None


class AuditTimePartSerializer(serializers.Serializer):
    standard = serializers.CharField()
    table_days = serializers.FloatField()
    adjusted_days = serializers.FloatField()
    initial_days = serializers.FloatField()
    stage1_days = serializers.FloatField()


class AuditTimeIntegrationSerializer(serializers.Serializer):
    percent = serializers.FloatField()
    justification = serializers.CharField()


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
    standards = serializers.ListField(child=serializers.CharField())
    parts = AuditTimePartSerializer(many=True, help_text="Each standard's own time in a combined audit.")
    combined_days = serializers.FloatField(
        allow_null=True, help_text="A combined audit's sum of each standard's time, before integration."
    )
    integration = AuditTimeIntegrationSerializer(allow_null=True)


class AuditTimeCalculatorView(APIView):
    """Audit days for one or several standards (a combined audit), a size and an audit type, with the
    justification to give the client."""

    permission_classes = [permissions.IsAuthenticated, IsStaffOrAuditor]

    @extend_schema(
        operation_id="audit_time_calculate",
        parameters=[
            OpenApiParameter(
                "standard",
                OpenApiTypes.STR,
                required=True,
                many=True,
                description="Standard code; repeat it for a combined audit of several standards (IAF MD 11).",
            ),
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
            OpenApiParameter(
                "integration",
                OpenApiTypes.STR,
                description=(
                    "A combined audit's reduction for integration as percent:justification, for example "
                    "15:One manual and one management review (at most the schemes' limit, 20 %)."
                ),
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
        result = calculate_combined_audit_time(
            schemes=[standard.scheme for standard in values["standard"]],
            personnel=values["personnel"],
            sites=values["sites"],
            audit_type=values["audit_type"],
            adjustments=values["adjustment"],
            integration=values["integration"],
        )
        return Response(result.as_dict())
