"""/api/v1/findings/: the team records findings; staff read; the client's users read after the report."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from audits.models import Audit
from audits.selectors import audits_for_user
from clients.models import Site
from clients.selectors import sites_for_user
from core.api import FilterSet, ReadableRelatedField, readable_choice_filter
from findings import services
from findings.models import Finding, Grade
from findings.permissions import require_can_record_findings
from findings.selectors import audits_with_readable_findings, findings_for_user
from standards.models import Clause


class FindingSerializer(serializers.ModelSerializer):
    # An audit or site the caller cannot see reads as one that does not exist; the service's
    # refusals (a site not among the audit's) then only ever name what the caller may see.
    # Clauses are the standards library, which every signed-in user reads.
    audit = ReadableRelatedField(queryset=Audit.objects.all(), readable=audits_for_user)
    clause = serializers.PrimaryKeyRelatedField(queryset=Clause.objects.all())
    site = ReadableRelatedField(
        queryset=Site.objects.all(), readable=sites_for_user, allow_null=True, required=False
    )
    grade = serializers.ChoiceField(choices=Grade.choices)
    clause_number = serializers.CharField(source="clause.number", read_only=True)
    version = serializers.IntegerField(
        required=False, help_text="On PATCH, the version you read; a newer stored version gets 409."
    )
    client_uuid = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="On create, an id the recording device chose (a UUID): sent again, the finding it "
        "recorded is answered (200) and nothing is saved twice. Kept with the finding; never changed.",
    )
    recorded_by = serializers.StringRelatedField()
    updated_by = serializers.StringRelatedField()

    class Meta:
        model = Finding
        fields = [
            "id",
            "audit",
            "clause",
            "clause_number",
            "site",
            "grade",
            "statement",
            "evidence",
            "interviewee_role",
            "version",
            "client_uuid",
            "recorded_by",
            "recorded_at",
            "updated_by",
            "updated_at",
        ]
        read_only_fields = ["recorded_at", "updated_at"]
        # A repeated client_uuid is answered with its finding (finding_create_once), not refused.
        validators = []


# The columns FindingSerializer reads: the finding's own, its clause's number and its people's
# names (a person's str(), accounts.models.person_name).
PERSON_COLUMNS = ("first_name", "last_name", "username")
LISTED_COLUMNS = (
    *("id", "audit", "site", "grade", "statement", "evidence", "interviewee_role", "version", "client_uuid"),
    *("recorded_at", "updated_at", "clause__number"),
    *(f"{person}__{column}" for person in ("recorded_by", "updated_by") for column in PERSON_COLUMNS),
)


class FindingFilter(FilterSet):
    audit = readable_choice_filter(audits_with_readable_findings)
    site = readable_choice_filter(sites_for_user)

    class Meta:
        model = Finding
        fields = ["audit", "clause", "site", "grade"]


class FindingViewSet(viewsets.ModelViewSet):
    """Findings of the audits the caller may read. Writes: the audit's team, while the audit is open.

    PATCH must carry the `version` the caller read; saving over a newer version is refused (409).
    DELETE takes the finding off the checklist; it stays on record with its history.
    """

    serializer_class = FindingSerializer
    permission_classes = [permissions.IsAuthenticated]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filterset_class = FindingFilter
    ordering_fields = ["recorded_at", "updated_at", "id"]

    def get_queryset(self):
        ordering = ("audit_id", "clause__order", "recorded_at", "id")
        # The clause (its number) and the two people (their names) of every row, in the one query.
        findings = (
            findings_for_user(self.request.user)
            .order_by(*ordering)
            .select_related("clause", "recorded_by", "updated_by")
        )
        if self.action == "list":
            # Only the columns a row shows: a hundred rows of clauses and users built whole (password,
            # dates converted...) were a good part of the list's time.
            return findings.only(*LISTED_COLUMNS)
        return findings

    def _require_writer(self, audit):
        # The audit is one the caller may see (the serializer's field, or the finding's own): the
        # rest learn of it no more than of an audit that does not exist.
        require_can_record_findings(self.request.user, audit)

    @extend_schema(
        responses={
            201: FindingSerializer,
            200: OpenApiResponse(
                FindingSerializer,
                description="Sent before with this client_uuid: the finding it recorded, unchanged.",
            ),
        }
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        self._require_writer(data["audit"])
        fields = {
            "audit": data["audit"],
            "user": request.user,
            "clause": data["clause"],
            "site": data.get("site"),
            "grade": data["grade"],
            "statement": data.get("statement", ""),
            "evidence": data.get("evidence", ""),
            "interviewee_role": data.get("interviewee_role", ""),
        }
        if data.get("client_uuid") is None:
            finding, created = services.finding_create(**fields), True
        else:
            finding, created = services.finding_create_once(client_uuid=data["client_uuid"], **fields)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(self.get_serializer(finding).data, status=code)

    def partial_update(self, request, *args, **kwargs):
        finding = self.get_object()
        self._require_writer(finding.audit)
        serializer = self.get_serializer(finding, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "version" not in data:
            raise serializers.ValidationError({"version": ["Send the version you read."]})
        version = data.pop("version")
        data.pop("client_uuid", None)  # the device's id is the finding's for good
        if "audit" in data and data.pop("audit") != finding.audit:
            raise serializers.ValidationError({"audit": ["A finding cannot move to another audit."]})
        saved = services.finding_update(finding=finding, user=request.user, version=version, **data)
        return Response(self.get_serializer(saved).data)

    def destroy(self, request, *args, **kwargs):
        finding = self.get_object()
        self._require_writer(finding.audit)
        version = request.data.get("version") or request.query_params.get("version")
        if version is None or not str(version).isdigit():
            raise serializers.ValidationError({"version": ["Send the version you read."]})
        services.finding_remove(finding=finding, user=request.user, version=int(version))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def get_object(self):
        # DRF's get_object_or_404: an id that is not a number ("abc") is a 404, not a 500.
        return get_object_or_404(self.get_queryset().select_related("audit"), pk=self.kwargs["pk"])
