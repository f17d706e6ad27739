from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from standards.models import Standard
from standards.selectors import clause_tree, standards_with_counts


class StandardSerializer(serializers.ModelSerializer):
    clause_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Standard
        fields = ["id", "code", "title", "edition", "accreditation_basis", "description", "clause_count"]


ClauseTreeSerializer = inline_serializer(
    "ClauseNode",
    many=True,
    fields={
        "id": serializers.IntegerField(),
        "number": serializers.CharField(),
        "title": serializers.CharField(),
        "auditable": serializers.BooleanField(),
        "is_active": serializers.BooleanField(),
        "children": serializers.ListField(child=serializers.DictField()),
    },
)


class StandardViewSet(viewsets.ReadOnlyModelViewSet):
    """The standards library. Every signed-in user may read it; staff import with import_standard."""

    serializer_class = StandardSerializer
    filterset_fields = ["accreditation_basis"]
    search_fields = ["code", "title"]
    ordering_fields = ["code"]

    def get_queryset(self):
        return standards_with_counts().order_by("code")

    @extend_schema(responses=ClauseTreeSerializer)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def clauses(self, request, pk=None):
        """The clause tree, nested by parent, in the standard's order."""
        return Response(clause_tree(self.get_object()))
