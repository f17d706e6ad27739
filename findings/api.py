"""/api/v1/findings/: the team records findings; staff read; the client's users read after the report."""

from rest_framework import permissions, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from audits.models import Clause
from audits.selectors import audits_for_user
from clients.models import Site
from config.api import SharedReadFieldsMixin
from findings import services
from findings.models import Finding, Grade
from findings.selectors import can_write_findings, findings_for_user


class FindingSerializer(SharedReadFieldsMixin, serializers.ModelSerializer):
    clause = serializers.PrimaryKeyRelatedField(queryset=Clause.objects.all())
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all(), allow_null=True, required=False)
    grade = serializers.ChoiceField(choices=Grade.choices)
    clause_number = serializers.CharField(source="clause.number", read_only=True)
    version = serializers.IntegerField(
        required=False, help_text="On PATCH, the version you read; a newer stored version gets 409."
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
            "recorded_by",
            "recorded_at",
            "updated_by",
            "updated_at",
        ]
        read_only_fields = ["recorded_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        # A change (PATCH) names only audits the caller can see; others read as "does not exist".
        # A new finding is checked in the view, once its audit is known (FindingViewSet.create);
        # a serializer that only writes out a finding needs no scoping.
        if request is not None and "data" in kwargs and self.instance is not None:
            self.fields["audit"].queryset = audits_for_user(request.user)

    def to_representation(self, finding):
        """What DRF's field-by-field representation gives, read straight off the finding.

        A list of 100 findings went through 1,400 fields' get_attribute and to_representation,
        a third of its time. The answer is the same, key for key (tests compare it with DRF's for
        findings with and without a site, and after a change): dates through DRF's own field.
        """
        datetime = self._datetime_field().to_representation
        updated_by = finding.updated_by
        return {
            "id": finding.pk,
            "audit": finding.audit_id,
            "clause": finding.clause_id,
            "clause_number": finding.clause.number,
            "site": finding.site_id,
            "grade": finding.grade,
            "statement": finding.statement,
            "evidence": finding.evidence,
            "interviewee_role": finding.interviewee_role,
            "version": finding.version,
            "recorded_by": str(finding.recorded_by),
            "recorded_at": datetime(finding.recorded_at),
            "updated_by": None if updated_by is None else str(updated_by),
            "updated_at": datetime(finding.updated_at),
        }

    @classmethod
    def _datetime_field(cls) -> serializers.DateTimeField:
        field = cls.__dict__.get("_shared_datetime_field")
        if field is None:
            field = cls._shared_datetime_field = serializers.DateTimeField(read_only=True)
        return field


PERSON_COLUMNS = ("username", "first_name", "last_name")  # what str(user) reads
LIST_COLUMNS = (
    *(field.name for field in Finding._meta.concrete_fields),
    "clause__number",
    *(f"recorded_by__{name}" for name in PERSON_COLUMNS),
    *(f"updated_by__{name}" for name in PERSON_COLUMNS),
)


class FindingViewSet(viewsets.ModelViewSet):
    """Findings of the audits the caller may read. Writes: the audit's team, while the audit is open.

    PATCH must carry the `version` the caller read; saving over a newer version is refused (409).
    DELETE takes the finding off the checklist; it stays on record with its history.
    """

    serializer_class = FindingSerializer
    permission_classes = [permissions.IsAuthenticated]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filterset_fields = ["audit", "clause", "site", "grade"]
    ordering_fields = ["recorded_at", "updated_at", "id"]

    def get_queryset(self):
        findings = (
            findings_for_user(self.request.user)
            .select_related("clause", "recorded_by", "updated_by")
            .order_by("audit_id", "clause__order", "recorded_at", "id")
        )
        if self.action == "list":
            # Only the columns the rows show: a finding brings a clause and two people, and
            # building those whole (a user is 11 columns, the name 3) was a third of the list's time.
            findings = findings.only(*LIST_COLUMNS)
        return findings

    def _require_writer(self, audit):
        if can_write_findings(self.request.user, audit):
            return
        # Only then is the audit's visibility worth a query: those who cannot see it cannot
        # even name it, and learn no more than of an audit that does not exist.
        if not audits_for_user(self.request.user).filter(pk=audit.pk).exists():
            message = serializers.PrimaryKeyRelatedField.default_error_messages["does_not_exist"]
            raise serializers.ValidationError({"audit": [message.format(pk_value=audit.pk)]})
        raise PermissionDenied("Only the audit's team records findings.")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        self._require_writer(data["audit"])
        finding = services.finding_create(
            audit=data["audit"],
            user=request.user,
            clause=data["clause"],
            site=data.get("site"),
            grade=data["grade"],
            statement=data.get("statement", ""),
            evidence=data.get("evidence", ""),
            interviewee_role=data.get("interviewee_role", ""),
        )
        return Response(self.get_serializer(finding).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        finding = self.get_object()
        self._require_writer(finding.audit)
        serializer = self.get_serializer(finding, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "version" not in data:
            raise serializers.ValidationError({"version": ["Send the version you read."]})
        version = data.pop("version")
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
